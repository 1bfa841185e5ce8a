/*
 * /api/v1/auth/{login,refresh,logout,me}: password sign-in, rotating
 * refresh tokens, logout, and who the caller is.
 *
 * A refresh token is "rt1_" + base64url(tenant id, 32 random bytes): the
 * tenant it names scopes the lookup (row-level security), and only its
 * SHA-256 is stored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "codec.h"
#include "db.h"
#include "errors.h"
#include "password.h"
#include "server.h"
#include "validate.h"

#define REFRESH_PREFIX "rt1_"
#define REFRESH_RANDOM 32
#define REFRESH_TTL "14 days"
#define SESSION_MAX "30 days"
#define ACCOUNT_LIMIT "5"
#define ADDRESS_LIMIT "20"

static const struct field login_fields[] = {
	{"email", FIELD_STRING, FIELD_REQUIRED, 3, 320, NULL},
	{"password", FIELD_STRING, FIELD_REQUIRED, 1, 1024, NULL},
	{"tenant", FIELD_STRING, 0, 1, 64, NULL},
};

static const struct field refresh_fields[] = {
	{"refresh_token", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
};

static const struct db_stmt q_throttle_wait = {
	"SELECT login_throttle_wait(ARRAY[$1, $2])"};

static const struct db_stmt q_throttle_fail = {
	"SELECT login_throttle_fail($1, " ACCOUNT_LIMIT "),"
	" login_throttle_fail($2, " ADDRESS_LIMIT ")"};

static const struct db_stmt q_candidates = {
	"SELECT user_id, password_hash, tenant_id, tenant_slug, role, active"
	" FROM auth_login_candidates($1)"};

static const struct db_stmt q_session_start = {
	"SELECT auth_session_start($1::uuid, $2::uuid, $3, decode($4, 'hex'),"
	" $5, '" REFRESH_TTL "', '" SESSION_MAX "')"};

static const struct db_stmt q_refresh = {
	"SELECT outcome, user_id, role, family_id FROM auth_refresh($1::uuid,"
	" decode($2, 'hex'), decode($3, 'hex'), '" REFRESH_TTL "')"};

static const struct db_stmt q_logout = {
	"SELECT auth_logout(nullif($1, '')::uuid, $2, to_timestamp($3::bigint))"};

static const struct db_stmt q_me = {
	"SELECT t.id AS tenant_id, t.slug AS tenant_slug, t.name AS tenant_name,"
	" app_role() AS role, u.id AS user_id, u.email, u.display_name,"
	" k.id AS api_key_id"
	" FROM tenants t"
	" LEFT JOIN users u ON u.id = app_user_id() AND NOT $1::boolean"
	" LEFT JOIN api_keys k ON k.tenant_id = t.id AND k.id = app_user_id()"
	"  AND $1::boolean"
	" WHERE t.id = app_tenant_id()"};

/* A new refresh token for tenant: the token and its SHA-256 (hex). */
static char *
refresh_token_new(struct arena *a, const char *tenant, char hash[65])
{
	unsigned char raw[16 + REFRESH_RANDOM];
	unsigned int v;
	char *b64, *token;
	size_t i, o = 0;

	for (i = 0; tenant[i] != '\0' && o < 16; i++) {
		if (tenant[i] == '-')
			continue;
		if (sscanf(tenant + i, "%2x", &v) != 1)
			return NULL;
		raw[o++] = (unsigned char)v;
		i++;
	}
	if (o != 16 || auth_random(raw + 16, REFRESH_RANDOM) != 0)
		return NULL;
	b64 = codec_b64url_encode(a, raw, sizeof(raw));
	token = b64 ? arena_printf(a, REFRESH_PREFIX "%s", b64) : NULL;
	if (token != NULL)
		auth_sha256_hex(token, strlen(token), hash);
	return token;
}

/* The tenant a refresh token names, or NULL when it is not one of ours. */
static char *
refresh_token_tenant(struct arena *a, const char *token)
{
	unsigned char raw[16 + REFRESH_RANDOM + 1];
	const unsigned char *b = raw;

	if (strncmp(token, REFRESH_PREFIX, 4) != 0 ||
	    codec_b64url_decode(token + 4, strlen(token + 4), raw,
				sizeof(raw)) != (long)(16 + REFRESH_RANDOM))
		return NULL;
	return arena_printf(a,
			    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			    "%02x%02x%02x%02x%02x%02x",
			    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
			    b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Signs an access token and answers with the token pair. */
static int
issue(struct request *r, struct response *res, const char *tenant,
      const char *user, const char *role, const char *family,
      const char *refresh)
{
	const struct config *cfg = server_config();
	struct auth_claims c;
	unsigned char rnd[16];
	char jti[33], *token;
	time_t now = time(NULL);
	size_t i;

	if (auth_random(rnd, sizeof(rnd)) != 0)
		return http_internal(res, "no randomness for a token id");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	memset(&c, 0, sizeof(c));
	c.sub = user;
	c.tid = tenant;
	c.role = role;
	c.jti = jti;
	c.sid = family;
	c.issuer = cfg->issuer;
	c.audience = cfg->audience;
	c.iat = now;
	c.nbf = now;
	c.exp = now + cfg->token_ttl;
	auth_keyset_refresh(server_keyset(), now, 5);
	token = auth_sign(server_keyset(), NULL, &c);
	if (token == NULL)
		return http_internal(res, "cannot sign an access token");
	res->body = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "access_token",
			      token, "token_type", "Bearer", "expires_in",
			      cfg->token_ttl, "refresh_token", refresh,
			      "tenant_id", tenant, "role", role);
	free(token);
	(void)r;
	return 200;
}

static int
refuse_login(struct request *r, struct response *res, const char *account,
	     const char *address)
{
	const char *params[2] = {account, address};

	if (db_exec(r->db, &q_throttle_fail, 2, params, 0) == NULL)
		return errors_from_db(res, r->db);
	/* The failure count must survive the 401. */
	res->commit_on_error = true;
	return http_problem(res, 401, "unauthorized",
			    "The email, password or tenant is not valid.");
}

/*
 * The candidate row for the tenant asked for, or else the only one whose
 * window is open: an engagement that ended does not make a consultant
 * name the tenant of their own company.
 */
static int
choose_membership(const PGresult *rows, const char *tenant)
{
	int i, n = PQntuples(rows), found = -1;

	for (i = 0; i < n; i++) {
		if (PQgetisnull(rows, i, 2))
			continue;
		if (tenant == NULL) {
			if (strcmp(PQgetvalue(rows, i, 5), "t") != 0)
				continue;
			if (found >= 0)
				return -2;
			found = i;
		} else if (strcasecmp(PQgetvalue(rows, i, 2), tenant) == 0 ||
			   strcasecmp(PQgetvalue(rows, i, 3), tenant) == 0) {
			return i;
		}
	}
	return found;
}

int
sessions_login(struct request *r, struct response *res)
{
	const char *email, *password, *tenant, *params[7];
	char *account, *address, *refresh, hash[65];
	enum password_result pw;
	PGresult *rows, *wait, *session;
	int status, chosen;

	status = validate_object(res, r->json, login_fields,
				 sizeof(login_fields) / sizeof(login_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0)
		return status;
	email = json_string_value(json_object_get(r->json, "email"));
	password = json_string_value(json_object_get(r->json, "password"));
	tenant = json_string_value(json_object_get(r->json, "tenant"));
	account = arena_printf(r->arena, "u:%s", email);
	for (char *p = account; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	address = arena_printf(r->arena, "a:%s",
			       r->remote_addr ? r->remote_addr : "");

	params[0] = account;
	params[1] = address;
	wait = db_exec(r->db, &q_throttle_wait, 2, params, 0);
	if (wait == NULL)
		return errors_from_db(res, r->db);
	if (atoi(PQgetvalue(wait, 0, 0)) > 0) {
		http_header(res, "Retry-After", "%s", PQgetvalue(wait, 0, 0));
		return http_problem(res, 429, "too-many-requests",
				    "Too many failed sign-ins; retry later.");
	}

	params[0] = email;
	rows = db_exec(r->db, &q_candidates, 1, params, 0);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	/* Unknown accounts are checked against a dummy hash: same cost. */
	pw = password_verify(PQntuples(rows) > 0 && !PQgetisnull(rows, 0, 1)
				     ? PQgetvalue(rows, 0, 1)
				     : NULL,
			     password);
	if (pw == PASSWORD_BUSY) {
		http_header(res, "Retry-After", "1");
		return http_problem(res, 503, "unavailable",
				    "Sign-in is busy; retry shortly.");
	}
	if (pw != PASSWORD_OK)
		return refuse_login(r, res, account, address);
	chosen = choose_membership(rows, tenant);
	if (chosen == -2) {
		http_field_error(res, "tenant", "is required for this account");
		return http_problem(res, 422, "validation",
				    "This account belongs to several tenants; "
				    "name one in 'tenant'.");
	}
	if (chosen < 0 || strcmp(PQgetvalue(rows, chosen, 5), "t") != 0)
		return refuse_login(r, res, account, address);

	refresh = refresh_token_new(r->arena, PQgetvalue(rows, chosen, 2),
				    hash);
	if (refresh == NULL)
		return http_internal(res, "cannot make a refresh token");
	params[0] = PQgetvalue(rows, chosen, 2);
	params[1] = PQgetvalue(rows, chosen, 0);
	params[2] = PQgetvalue(rows, chosen, 4);
	params[3] = hash;
	params[4] = account;
	session = db_exec(r->db, &q_session_start, 5, params, 0);
	if (session == NULL)
		return errors_from_db(res, r->db);
	return issue(r, res, params[0], params[1], params[2],
		     PQgetvalue(session, 0, 0), refresh);
}

int
sessions_refresh(struct request *r, struct response *res)
{
	const char *token, *params[3];
	char *tenant, *refresh, old_hash[65], new_hash[65];
	const char *outcome;
	PGresult *row;
	int status;

	status = validate_object(res, r->json, refresh_fields,
				 sizeof(refresh_fields) /
					 sizeof(refresh_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0)
		return status;
	token = json_string_value(json_object_get(r->json, "refresh_token"));
	tenant = refresh_token_tenant(r->arena, token);
	if (tenant == NULL)
		return http_problem(res, 401, "unauthorized",
				    "The refresh token is not valid.");
	auth_sha256_hex(token, strlen(token), old_hash);
	refresh = refresh_token_new(r->arena, tenant, new_hash);
	if (refresh == NULL)
		return http_internal(res, "cannot make a refresh token");
	params[0] = tenant;
	params[1] = old_hash;
	params[2] = new_hash;
	row = db_exec(r->db, &q_refresh, 3, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	outcome = PQgetvalue(row, 0, 0);
	if (strcmp(outcome, "ok") == 0)
		return issue(r, res, tenant, PQgetvalue(row, 0, 1),
			     PQgetvalue(row, 0, 2), PQgetvalue(row, 0, 3),
			     refresh);
	/* A reused token revoked its family: that must be committed. */
	res->commit_on_error = strcmp(outcome, "reused") == 0;
	return http_problem(res, 401, "unauthorized",
			    res->commit_on_error
				    ? "The refresh token was already used; its "
				      "session has been revoked."
				    : "The refresh token is not valid.");
}

int
sessions_logout(struct request *r, struct response *res)
{
	const struct principal *p = &r->principal;
	const char *params[3];

	if (p->api_key) {
		http_field_error(res, "Authorization",
				 "is an API key, which has no session");
		return http_problem(res, 422, "validation",
				    "API keys do not sign in; revoke one with "
				    "DELETE /api/v1/api-keys/{id}.");
	}
	params[0] = p->sid;
	params[1] = p->jti;
	params[2] = arena_printf(r->arena, "%lld", (long long)p->exp);
	if (db_exec(r->db, &q_logout, 3, params, DB_COMMIT) == NULL)
		return errors_from_db(res, r->db);
	return 204;
}

int
sessions_me(struct request *r, struct response *res)
{
	const char *params[1] = {r->principal.api_key ? "true" : "false"};
	PGresult *row;

	row = db_exec(r->db, &q_me, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) != 1)
		return http_problem(res, 401, "unauthorized",
				    "The caller is not known.");
	res->body = db_row_json(row, 0);
	return 200;
}
