/*
 * libcurl client, token minting and database fixtures for the
 * integration suites.
 */
#include "client.h"

#include <check.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "password.h"

static struct auth_keyset keys;
static PGconn *owner;
static unsigned long serial;

/* Strings handed to tests live until the test process exits. */
static char **kept;
static size_t nkept;

static void
kept_free(void)
{
	while (nkept > 0)
		free(kept[--nkept]);
	free(kept);
}

char *
t_keep(char *s)
{
	char **grown = realloc(kept, (nkept + 1) * sizeof(*kept));

	ck_assert_ptr_nonnull(grown);
	if (kept == NULL)
		atexit(kept_free);
	kept = grown;
	kept[nkept++] = s;
	return s;
}

const char *
t_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "%s is not set", name);
	return v;
}

void
t_setup(void)
{
	const char *env = getenv("ISMS_ENV_FILE");

	ck_assert_msg(env != NULL, "ISMS_ENV_FILE is not set");
	ck_assert_msg(config_read_env_file(env) == 0, "cannot read %s", env);
	if (keys.nkeys == 0)
		ck_assert_msg(auth_keyset_load(&keys, t_env("ISMS_JWT_KEYS_DIR"),
					       true) == 0,
			      "no keys in ISMS_JWT_KEYS_DIR");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	{
		FILE *f = fopen("/dev/urandom", "rb");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fread(&serial, sizeof(serial), 1, f), 1);
		fclose(f);
		serial %= 1000000000000ul;
	}
}

struct buf {
	char *data;
	size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	char *grown = realloc(b->data, b->len + size * n + 1);

	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

static void
header_value(const char *line, size_t n, const char *name, char *out,
	     size_t outlen)
{
	size_t k = strlen(name);

	if (n > k + 1 && strncasecmp(line, name, k) == 0 && line[k] == ':') {
		line += k + 1;
		n -= k + 1;
		while (n > 0 && *line == ' ')
			line++, n--;
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
			n--;
		snprintf(out, outlen, "%.*s", (int)n, line);
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = size * n;

	header_value(p, len, "Content-Type", r->content_type,
		     sizeof(r->content_type));
	header_value(p, len, "Location", r->location, sizeof(r->location));
	header_value(p, len, "ETag", r->etag, sizeof(r->etag));
	header_value(p, len, "Allow", r->allow, sizeof(r->allow));
	header_value(p, len, "WWW-Authenticate", r->www_authenticate,
		     sizeof(r->www_authenticate));
	header_value(p, len, "X-Request-Id", r->request_id,
		     sizeof(r->request_id));
	header_value(p, len, "Retry-After", r->retry_after,
		     sizeof(r->retry_after));
	return len;
}

/* One JSON line per exchange, for tests/contract/validate.mjs. */
static void
record(const char *method, const char *path, const struct reply *r)
{
	const char *log = getenv("ISMS_CONTRACT_LOG");
	char *line, *q;
	json_t *entry;
	FILE *f;

	if (log == NULL || *log == '\0')
		return;
	q = strdup(path);
	q[strcspn(q, "?")] = '\0';
	entry = json_pack("{s:s, s:s, s:i, s:s, s:O?}", "method", method,
			  "path", q, "status", (int)r->status, "content_type",
			  r->content_type, "body", r->json);
	if (r->json == NULL && r->body != NULL)
		json_object_set_new(entry, "raw",
				    json_stringn_nocheck(r->body, r->len));
	line = json_dumps(entry, JSON_COMPACT);
	f = fopen(log, "a");
	if (f != NULL && line != NULL) {
		fprintf(f, "%s\n", line);
		fclose(f);
	} else if (f != NULL) {
		fclose(f);
	}
	free(line);
	free(q);
	json_decref(entry);
}

struct reply *
t_http(const char *method, const char *path, const char *token,
       const char *content_type, const char *body, size_t len,
       const char *const *extra)
{
	struct reply *r = calloc(1, sizeof(*r));
	struct curl_slist *headers = NULL;
	struct buf b = {NULL, 0};
	char url[4096], line[8400];
	CURL *c = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s%s", t_env("ISMS_HTTP_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (token != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, line);
	}
	if (content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		headers = curl_slist_append(headers, line);
	}
	headers = curl_slist_append(headers, "Expect:");
	for (; extra != NULL && *extra != NULL; extra++)
		headers = curl_slist_append(headers, *extra);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
		      curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = b.data;
	r->len = b.len;
	if (b.data != NULL && strstr(r->content_type, "json") != NULL)
		r->json = json_loadb(b.data, b.len, 0, NULL);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	record(method, path, r);
	return r;
}

struct reply *
t_json(const char *method, const char *path, const char *token,
       const char *body)
{
	return t_http(method, path, token, body ? "application/json" : NULL,
		      body, body ? strlen(body) : 0, NULL);
}

void
t_reply_free(struct reply *r)
{
	if (r == NULL)
		return;
	json_decref(r->json);
	free(r->body);
	free(r);
}

int
t_is_problem(const struct reply *r, long status)
{
	const json_t *j = r->json;

	return r->status == status &&
	       strncmp(r->content_type, "application/problem+json", 24) == 0 &&
	       json_is_object(j) &&
	       json_integer_value(json_object_get(j, "status")) == status &&
	       json_is_string(json_object_get(j, "type")) &&
	       json_is_string(json_object_get(j, "title"));
}

PGconn *
t_db(void)
{
	if (owner == NULL) {
		owner = PQconnectdb(t_env("ISMS_ADMIN_DATABASE_URL"));
		ck_assert_msg(PQstatus(owner) == CONNECTION_OK, "owner: %s",
			      PQerrorMessage(owner));
	}
	return owner;
}

void
t_db_close(void)
{
	PQfinish(owner);
	owner = NULL;
}

static PGresult *
exec_params(const char *sql, int n, const char *const *values)
{
	PGresult *res = PQexecParams(t_db(), sql, n, NULL, values, NULL, NULL,
				     0);
	ExecStatusType st = PQresultStatus(res);

	ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK,
		      "%s: %s", sql, PQerrorMessage(t_db()));
	return res;
}

static void
exec_simple(const char *sql)
{
	PQclear(exec_params(sql, 0, NULL));
}

void
t_tenant_create(struct t_tenant *t, const char *prefix)
{
	const char *v[3];
	PGresult *res;

	snprintf(t->slug, sizeof(t->slug), "%s-%lu", prefix, serial++);
	exec_simple("BEGIN");
	res = exec_params("SELECT set_config('app.tenant_id', "
			  "gen_random_uuid()::text, true)",
			  0, NULL);
	snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	v[0] = t->id;
	v[1] = t->slug;
	v[2] = t->slug;
	PQclear(exec_params("INSERT INTO tenants (id, slug, name) "
			    "VALUES ($1, $2, $3)",
			    3, v));
	exec_simple("COMMIT");
	t_member_create(t, "admin", t->admin_id);
}

void
t_member_create(const struct t_tenant *t, const char *role, char *user_id)
{
	char email[128];
	const char *v[3];
	PGresult *res;

	snprintf(email, sizeof(email), "%s-%lu@example.test", role, serial++);
	exec_simple("BEGIN");
	v[0] = t->id;
	PQclear(exec_params("SELECT set_config('app.tenant_id', $1, true)", 1,
			    v));
	v[0] = email;
	res = exec_params("INSERT INTO users (email, display_name) "
			  "VALUES ($1, $1) RETURNING id",
			  1, v);
	snprintf(user_id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	v[0] = t->id;
	v[1] = user_id;
	v[2] = role;
	PQclear(exec_params(
		strcmp(role, "auditor") == 0
			? "INSERT INTO memberships (tenant_id, user_id, role, "
			  "valid_from, valid_until) VALUES ($1, $2, $3, "
			  "now() - interval '1 day', now() + interval '30 days')"
			: "INSERT INTO memberships (tenant_id, user_id, role) "
			  "VALUES ($1, $2, $3)",
		3, v));
	exec_simple("COMMIT");
}

char *
t_token_custom(const char *tenant_id, const char *user_id, const char *role,
	       const char *issuer, const char *audience, long nbf_offset,
	       long exp_offset)
{
	struct auth_claims c;
	char *token;
	char jti[40];
	time_t now = time(NULL);

	snprintf(jti, sizeof(jti), "t%lu", serial++);
	memset(&c, 0, sizeof(c));
	c.sub = user_id;
	c.tid = tenant_id;
	c.role = role;
	c.jti = jti;
	c.issuer = issuer;
	c.audience = audience;
	c.iat = now;
	c.nbf = now + nbf_offset;
	c.exp = now + exp_offset;
	token = auth_sign(&keys, NULL, &c);
	ck_assert_ptr_nonnull(token);
	return t_keep(token);
}

char *
t_token(const char *tenant_id, const char *user_id, const char *role)
{
	return t_token_custom(tenant_id, user_id, role, "isms", "isms-api", 0,
			      600);
}

char *
t_db_value(const char *tenant_id, const char *sql)
{
	static char value[4096];
	const char *v[1] = {tenant_id};
	PGresult *res;

	exec_simple("BEGIN");
	PQclear(exec_params("SELECT set_config('app.tenant_id', $1, true)", 1,
			    v));
	res = exec_params(sql, 0, NULL);
	snprintf(value, sizeof(value), "%s",
		 PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	exec_simple("COMMIT");
	return value;
}

void
t_db_exec(const char *tenant_id, const char *sql)
{
	const char *v[1] = {tenant_id};

	exec_simple("BEGIN");
	PQclear(exec_params("SELECT set_config('app.tenant_id', $1, true)", 1,
			    v));
	exec_simple(sql);
	exec_simple("COMMIT");
}

void
t_user_create(const char *password, char *user_id, char *email)
{
	char hash[PASSWORD_ENCODED_MAX];
	const char *v[2];
	PGresult *res;

	snprintf(email, 128, "user-%lu@example.test", serial++);
	if (password != NULL)
		ck_assert_int_eq(password_hash(password, hash), PASSWORD_OK);
	v[0] = email;
	v[1] = password != NULL ? hash : NULL;
	res = exec_params("INSERT INTO users (email, display_name, "
			  "password_hash) VALUES ($1, $1, $2) RETURNING id",
			  2, v);
	snprintf(user_id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

void
t_membership_add(const struct t_tenant *t, const char *user_id,
		 const char *role, const char *from, const char *until)
{
	const char *v[5];

	if (strcmp(role, "auditor") == 0 && from == NULL && until == NULL) {
		from = "-1 day";
		until = "30 days";
	}
	v[0] = t->id;
	v[1] = user_id;
	v[2] = role;
	v[3] = from;
	v[4] = until;
	exec_simple("BEGIN");
	PQclear(exec_params("SELECT set_config('app.tenant_id', $1, true)", 1,
			    v));
	PQclear(exec_params("INSERT INTO memberships (tenant_id, user_id, "
			    "role, valid_from, valid_until) VALUES ($1, $2, "
			    "$3, now() + $4::interval, now() + $5::interval)",
			    5, v));
	exec_simple("COMMIT");
}

struct reply *
t_login(const char *email, const char *password, const char *tenant)
{
	json_t *body =
		json_pack("{s:s, s:s}", "email", email, "password", password);
	struct reply *r;
	char *text;

	if (tenant != NULL)
		json_object_set_new(body, "tenant", json_string(tenant));
	text = json_dumps(body, JSON_COMPACT);
	r = t_json("POST", "/api/v1/auth/login", NULL, text);
	free(text);
	json_decref(body);
	return r;
}

/*
 * On a connection of its own: the suites' main() calls this before Check
 * forks, and a connection must not be shared with the children.
 */
void
t_login_throttle_reset(void)
{
	PGconn *c = PQconnectdb(t_env("ISMS_ADMIN_DATABASE_URL"));
	PGresult *res;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "owner: %s",
		      PQerrorMessage(c));
	res = PQexec(c, "DELETE FROM login_throttle "
			"WHERE subject = 'a:127.0.0.1'");
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s",
		      PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

/* ---- hand-built tokens ----
 * Base64url is written out here rather than taken from common/codec.c:
 * a forger sharing the verifier's codec would share its bugs too. */

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
b64url_encode(const unsigned char *in, size_t n)
{
	char *out = malloc(4 * (n / 3) + 5), *o;
	unsigned long v;
	size_t i;

	ck_assert_ptr_nonnull(out);
	for (i = 0, o = out; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
		*o++ = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

/* Decodes n characters; returns the byte count, -1 on a bad character. */
static long
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	unsigned long v = 0;
	size_t i, bits = 0, o = 0;
	const char *p;

	for (i = 0; i < n; i++) {
		p = in[i] != '\0' ? strchr(b64url_alphabet, in[i]) : NULL;
		if (p == NULL)
			return -1;
		v = (v << 6 | (unsigned long)(p - b64url_alphabet)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	return (long)o;
}

static char *
json_b64url(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT), *out;

	ck_assert_ptr_nonnull(text);
	out = b64url_encode((const unsigned char *)text, strlen(text));
	free(text);
	return out;
}

/* "b64(header).b64(payload)" */
static char *
signing_input(const json_t *header, const json_t *payload)
{
	char *h = json_b64url(header), *p = json_b64url(payload), *out;

	out = malloc(strlen(h) + strlen(p) + 2);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%s.%s", h, p);
	free(h);
	free(p);
	return out;
}

static char *
with_signature(char *input, const unsigned char *sig, size_t n)
{
	char *s = b64url_encode(sig, n), *out;

	out = malloc(strlen(input) + strlen(s) + 2);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%s.%s", input, s);
	free(s);
	free(input);
	return t_keep(out);
}

static const struct auth_key *
signing_key(void)
{
	size_t i;

	for (i = keys.nkeys; i > 0; i--)
		if (keys.keys[i - 1].private_pem != NULL)
			return &keys.keys[i - 1];
	ck_abort_msg("no private key in ISMS_JWT_KEYS_DIR");
	return NULL;
}

const char *
t_jwt_kid(void)
{
	return signing_key()->kid;
}

const char *
t_jwt_public_pem(size_t *len)
{
	const struct auth_key *k = signing_key();

	*len = (size_t)k->pem_len;
	return (const char *)k->pem;
}

json_t *
t_jwt_claims(const char *tenant_id, const char *user_id, const char *role)
{
	json_int_t now = (json_int_t)time(NULL);
	char jti[40];

	snprintf(jti, sizeof(jti), "f%lu", serial++);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss",
			 "isms", "aud", "isms-api", "sub", user_id, "tid",
			 tenant_id, "role", role, "jti", jti, "iat", now, "nbf",
			 now, "exp", now + 600);
}

json_t *
t_jwt_segment(const char *token, int index)
{
	unsigned char buf[8192];
	const char *p = token, *end;
	long n;
	int i;

	for (i = 0; i < index && p != NULL; i++) {
		p = strchr(p, '.');
		p = p != NULL ? p + 1 : NULL;
	}
	if (p == NULL)
		return NULL;
	end = strchr(p, '.');
	n = b64url_decode(p, end ? (size_t)(end - p) : strlen(p), buf,
			  sizeof(buf));
	return n > 0 ? json_loadb((const char *)buf, (size_t)n, 0, NULL) : NULL;
}

char *
t_jwt_unsigned(const json_t *header, const json_t *payload)
{
	return with_signature(signing_input(header, payload), NULL, 0);
}

char *
t_jwt_hs256(const json_t *header, const json_t *payload, const void *key,
	    size_t keylen)
{
	char *input = signing_input(header, payload);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)keylen,
				   (const unsigned char *)input, strlen(input),
				   md, &n));
	return with_signature(input, md, n);
}

static EVP_PKEY *foreign_key;

static void
foreign_key_free(void)
{
	EVP_PKEY_free(foreign_key);
	foreign_key = NULL;
}

char *
t_jwt_rs256_foreign(const json_t *header, const json_t *payload)
{
	char *input = signing_input(header, payload);
	unsigned char sig[1024];
	size_t n = sizeof(sig);
	EVP_MD_CTX *ctx;

	if (foreign_key == NULL) {
		foreign_key = EVP_RSA_gen(2048);
		ck_assert_ptr_nonnull(foreign_key);
		atexit(foreign_key_free);
	}
	ctx = EVP_MD_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(
		EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, foreign_key),
		1);
	ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n,
					(const unsigned char *)input,
					strlen(input)),
			 1);
	EVP_MD_CTX_free(ctx);
	return with_signature(input, sig, n);
}

char *
t_jwt_replace_payload(const char *token, const json_t *payload)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	char *p, *out;

	ck_assert_ptr_nonnull(dot2);
	p = json_b64url(payload);
	out = malloc(strlen(token) + strlen(p) + 1);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "%.*s.%s%s", (int)(dot1 - token), token, p, dot2);
	free(p);
	return t_keep(out);
}
