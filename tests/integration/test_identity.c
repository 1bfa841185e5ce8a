/*
 * The identity service through the real stack: password sign-in and its
 * throttle, rotating refresh tokens, logout, the key set, members, API
 * keys, the roles of every route, auditors' engagement windows, tenant
 * isolation of identities, and forged or stale credentials. Every refusal
 * must be a problem document, and a refused write must leave the database
 * as it was.
 *
 * Failed sign-ins are counted per account and per client address, and
 * every request here comes from 127.0.0.1, which may fail 20 times in 15
 * minutes: the suite spends 10 (three look-alike refusals, two auditors
 * outside their window, five for the lockout), each test on accounts of
 * its own.
 */
#include <check.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"

#define PASSWORD "correct horse battery staple"
#define WRONG_PASSWORD "incorrect horse battery staple"
#define INVALID_TOKEN "Bearer error=\"invalid_token\""

static void
setup(void)
{
	t_setup();
}

/* Once, before the tests: a stack that outlives a run keeps its counts. */
static void
setup_once(void)
{
	t_setup();
	t_login_throttle_reset();
}

static const char *
body_of(const struct reply *r)
{
	return r->body != NULL ? r->body : "";
}

static void
assert_problem(struct reply *r, long status)
{
	ck_assert_msg(t_is_problem(r, status),
		      "expected a %ld problem document, got %ld %s: %.300s",
		      status, r->status, r->content_type, body_of(r));
	t_reply_free(r);
}

/* A 401 from token verification names the error in its challenge. */
static void
assert_invalid_token(struct reply *r, const char *what)
{
	ck_assert_msg(t_is_problem(r, 401),
		      "%s: expected a 401 problem document, got %ld: %.300s",
		      what, r->status, body_of(r));
	ck_assert_msg(strcmp(r->www_authenticate, INVALID_TOKEN) == 0,
		      "%s: WWW-Authenticate is '%s'", what,
		      r->www_authenticate);
	t_reply_free(r);
}

static void
assert_status(struct reply *r, long status)
{
	ck_assert_msg(r->status == status, "expected %ld, got %ld: %.300s",
		      status, r->status, body_of(r));
	t_reply_free(r);
}

static void
assert_still_serving(void)
{
	assert_status(t_json("GET", "/healthz/auth", NULL, NULL), 200);
	assert_status(t_json("GET", "/healthz/assets", NULL, NULL), 200);
}

/* A string member of the reply's body, kept until exit. */
static char *
member(const struct reply *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->json, key));

	ck_assert_msg(v != NULL, "no string '%s' in %ld %.300s", key, r->status,
		      body_of(r));
	return t_keep(strdup(v));
}

static char *
path_with(const char *prefix, const char *id)
{
	char *p = malloc(strlen(prefix) + strlen(id) + 1);

	ck_assert_ptr_nonnull(p);
	sprintf(p, "%s%s", prefix, id);
	return t_keep(p);
}

/* The JSON text of j, which it takes; kept until exit. */
static char *
body_text(json_t *j)
{
	char *s;

	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return t_keep(s);
}

/* An identity with a password and a membership of t. */
static void
password_member(const struct t_tenant *t, const char *role, char *user_id,
		char *email)
{
	t_user_create(PASSWORD, user_id, email);
	t_membership_add(t, user_id, role, NULL, NULL);
}

static struct reply *
login_ok(const char *email, const char *tenant)
{
	struct reply *r = t_login(email, PASSWORD, tenant);

	ck_assert_msg(r->status == 200, "login %s: %ld %.300s", email,
		      r->status, body_of(r));
	return r;
}

static struct reply *
refresh(const char *token)
{
	return t_json("POST", "/api/v1/auth/refresh", NULL,
		      body_text(json_pack("{s:s}", "refresh_token", token)));
}

static struct reply *
with_if_match(const char *method, const char *path, const char *token,
	      const char *body, const char *etag)
{
	char header[96];
	const char *const extra[] = {header, NULL};

	snprintf(header, sizeof(header), "If-Match: %s", etag);
	return t_http(method, path, token, body ? "application/json" : NULL,
		      body, body ? strlen(body) : 0, extra);
}

/* RFC 3339 UTC, offset seconds from now. */
static char *
timestamp(long offset)
{
	time_t t = time(NULL) + offset;
	struct tm tm;
	char *s = malloc(32);

	ck_assert_ptr_nonnull(s);
	gmtime_r(&t, &tm);
	strftime(s, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return t_keep(s);
}

/* The query's single value as owner, in t's context, kept until exit. */
static char *db(const struct t_tenant *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *
db(const struct t_tenant *t, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return t_keep(strdup(t_db_value(t->id, sql)));
}

static bool
items_have_id(const struct reply *r, const char *id)
{
	const json_t *items = json_object_get(r->json, "items"), *item;
	size_t i;

	ck_assert_msg(json_is_array(items), "no items: %.300s", body_of(r));
	json_array_foreach (items, i, item) {
		const char *v = json_string_value(json_object_get(item, "id"));

		if (v != NULL && strcmp(v, id) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */

START_TEST(login_issues_a_working_token_pair)
{
	struct t_tenant a;
	char user[37], email[128], upper[128];
	struct reply *r;
	json_t *header, *claims;
	json_int_t ttl;
	char *access;
	size_t i;

	t_tenant_create(&a, "login");
	password_member(&a, "editor", user, email);
	r = login_ok(email, NULL);
	access = member(r, "access_token");
	ck_assert_str_eq(member(r, "token_type"), "Bearer");
	ck_assert(strncmp(member(r, "refresh_token"), "rt1_", 4) == 0);
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	ck_assert_str_eq(member(r, "role"), "editor");
	ck_assert(json_is_integer(json_object_get(r->json, "expires_in")));
	ttl = json_integer_value(json_object_get(r->json, "expires_in"));
	ck_assert_msg(ttl > 0 && ttl <= 900, "expires_in %lld", (long long)ttl);
	t_reply_free(r);

	header = t_jwt_segment(access, 0);
	claims = t_jwt_segment(access, 1);
	ck_assert_ptr_nonnull(header);
	ck_assert_ptr_nonnull(claims);
	ck_assert_str_eq(json_string_value(json_object_get(header, "alg")),
			 "RS256");
	ck_assert_str_eq(json_string_value(json_object_get(header, "kid")),
			 t_jwt_kid());
	ck_assert_str_eq(json_string_value(json_object_get(claims, "sub")),
			 user);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "tid")),
			 a.id);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "role")),
			 "editor");
	ck_assert(json_integer_value(json_object_get(claims, "exp")) -
			  json_integer_value(json_object_get(claims, "iat")) ==
		  ttl);
	json_decref(header);
	json_decref(claims);

	r = t_json("GET", "/api/v1/auth/me", access, NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "user_id"), user);
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	ck_assert_str_eq(member(r, "tenant_slug"), a.slug);
	ck_assert_str_eq(member(r, "role"), "editor");
	ck_assert_str_eq(member(r, "email"), email);
	ck_assert(json_is_null(json_object_get(r->json, "api_key_id")));
	t_reply_free(r);
	assert_status(t_json("GET", "/api/v1/assets", access, NULL), 200);
	assert_status(t_json("POST", "/api/v1/assets", access,
			     "{\"name\": \"Laptop\", \"type\": \"hardware\"}"),
		      201);

	/* the email is matched without regard to case */
	for (i = 0; email[i] != '\0'; i++)
		upper[i] = (char)toupper((unsigned char)email[i]);
	upper[i] = '\0';
	t_reply_free(login_ok(upper, a.slug));
}
END_TEST

START_TEST(login_refusals_look_alike)
{
	struct t_tenant a, b;
	char user[37], email[128], unknown[160];
	struct reply *r[3];
	const char *fields[] = {"type", "title", "detail"};
	size_t i, k;

	t_tenant_create(&a, "alike-a");
	t_tenant_create(&b, "alike-b");
	password_member(&a, "viewer", user, email);
	snprintf(unknown, sizeof(unknown), "nobody-%s", email);

	r[0] = t_login(email, WRONG_PASSWORD, NULL);
	r[1] = t_login(unknown, PASSWORD, NULL);
	r[2] = t_login(email, PASSWORD, b.slug); /* no membership in b */
	for (i = 0; i < 3; i++) {
		ck_assert_msg(t_is_problem(r[i], 401), "case %zu: %ld %s", i,
			      r[i]->status, body_of(r[i]));
		for (k = 0; k < 3; k++)
			ck_assert_msg(
				json_equal(
					json_object_get(r[i]->json, fields[k]),
					json_object_get(r[0]->json, fields[k])),
				"case %zu tells itself apart by %s: %s", i,
				fields[k], body_of(r[i]));
	}
	for (i = 0; i < 3; i++)
		t_reply_free(r[i]);
	/* no session anywhere, and b gained no member */
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens"), "0");
	ck_assert_str_eq(db(&b, "SELECT count(*) FROM refresh_tokens"), "0");
	ck_assert_str_eq(db(&b, "SELECT count(*) FROM memberships"), "1");
	/* the right tenant, by id this time */
	r[0] = login_ok(email, a.id);
	ck_assert_str_eq(member(r[0], "tenant_id"), a.id);
	t_reply_free(r[0]);
}
END_TEST

START_TEST(login_names_the_tenant_of_several)
{
	struct t_tenant a, b;
	char user[37], email[128];
	struct reply *r;
	char *tok_a, *tok_b;

	t_tenant_create(&a, "multi-a");
	t_tenant_create(&b, "multi-b");
	t_user_create(PASSWORD, user, email);
	t_membership_add(&a, user, "editor", NULL, NULL);
	t_membership_add(&b, user, "viewer", NULL, NULL);

	assert_problem(t_login(email, PASSWORD, NULL), 422);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens"), "0");
	ck_assert_str_eq(db(&b, "SELECT count(*) FROM refresh_tokens"), "0");

	r = login_ok(email, a.slug);
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	ck_assert_str_eq(member(r, "role"), "editor");
	tok_a = member(r, "access_token");
	t_reply_free(r);
	r = login_ok(email, b.id);
	ck_assert_str_eq(member(r, "tenant_id"), b.id);
	ck_assert_str_eq(member(r, "role"), "viewer");
	tok_b = member(r, "access_token");
	t_reply_free(r);

	r = t_json("GET", "/api/v1/auth/me", tok_a, NULL);
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	ck_assert_str_eq(member(r, "role"), "editor");
	t_reply_free(r);
	r = t_json("GET", "/api/v1/auth/me", tok_b, NULL);
	ck_assert_str_eq(member(r, "tenant_id"), b.id);
	ck_assert_str_eq(member(r, "role"), "viewer");
	t_reply_free(r);
	/* each token carries its tenant's role */
	assert_status(t_json("POST", "/api/v1/assets", tok_a,
			     "{\"name\": \"a\", \"type\": \"site\"}"),
		      201);
	assert_problem(t_json("POST", "/api/v1/assets", tok_b,
			      "{\"name\": \"b\", \"type\": \"site\"}"),
		       403);
	ck_assert_str_eq(db(&b, "SELECT count(*) FROM assets"), "0");
}
END_TEST

START_TEST(login_rejects_malformed_bodies)
{
	struct {
		const char *ctype;
		const char *body;
		long status;
		const char *field;
	} cases[] = {
		{"application/json", NULL, 422, "remember"},
		{"application/json", NULL, 422, "password"},
		{"application/json", NULL, 422, "password"},
		{"text/plain", NULL, 415, NULL},
		{"application/json", "{\"email\": ", 400, NULL},
		{"application/json", "[]", 400, NULL},
		{"application/json", "", 400, NULL},
		{"application/json", NULL, 400, NULL},
	};
	char user[37], email[128];
	struct reply *r;
	size_t i;

	t_user_create(PASSWORD, user, email);
	/* right password, but not a valid request: nothing may count */
	cases[0].body =
		body_text(json_pack("{s:s, s:s, s:b}", "email", email,
				    "password", PASSWORD, "remember", 1));
	cases[1].body = body_text(json_pack("{s:s}", "email", email));
	cases[2].body = body_text(
		json_pack("{s:s, s:i}", "email", email, "password", 12));
	cases[3].body = body_text(
		json_pack("{s:s, s:s}", "email", email, "password", PASSWORD));
	cases[7].body = t_keep(strdup("{\"email\": \"x@example.test\", "
				      "\"email\": \"y@example.test\", "
				      "\"password\": \"p\"}"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = t_http("POST", "/api/v1/auth/login", NULL, cases[i].ctype,
			   cases[i].body, strlen(cases[i].body), NULL);
		ck_assert_msg(t_is_problem(r, cases[i].status),
			      "case %zu: expected %ld, got %ld %.300s", i,
			      cases[i].status, r->status, body_of(r));
		if (cases[i].field != NULL)
			ck_assert_msg(strstr(body_of(r), cases[i].field) !=
					      NULL,
				      "case %zu: errors do not name %s: %s", i,
				      cases[i].field, body_of(r));
		t_reply_free(r);
	}
	r = t_json("GET", "/api/v1/auth/login", NULL, NULL);
	ck_assert_str_eq(r->allow, "POST");
	assert_problem(r, 405);
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM login_throttle WHERE subject = "
			 "'u:%s'",
			 email);
		ck_assert_str_eq(t_db_value("", sql), "0");
	}
}
END_TEST

START_TEST(refresh_rotates_and_reuse_revokes_the_family)
{
	struct t_tenant a;
	char user[37], email[128];
	struct reply *r;
	char *access1, *rt1, *access2, *rt2;

	t_tenant_create(&a, "refresh");
	password_member(&a, "editor", user, email);
	r = login_ok(email, NULL);
	access1 = member(r, "access_token");
	rt1 = member(r, "refresh_token");
	t_reply_free(r);

	r = refresh(rt1);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	access2 = member(r, "access_token");
	rt2 = member(r, "refresh_token");
	ck_assert_str_ne(access2, access1);
	ck_assert_str_ne(rt2, rt1);
	ck_assert_str_eq(member(r, "role"), "editor");
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	ck_assert(json_integer_value(json_object_get(r->json, "expires_in")) <=
		  900);
	t_reply_free(r);
	assert_status(t_json("GET", "/api/v1/auth/me", access2, NULL), 200);

	/* the rotated token again: a copy is in use, the family goes */
	assert_problem(refresh(rt1), 401);
	assert_problem(refresh(rt2), 401);
	ck_assert_str_eq(db(&a,
			    "SELECT count(*) FILTER (WHERE revoked_at IS NULL)"
			    " || '/' || count(*) FROM refresh_tokens"),
			 "0/2");

	assert_problem(refresh("rt1_AAAA"), 401);
	assert_problem(refresh("not a refresh token"), 401);
	assert_problem(
		refresh("rt1_"
			"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			"AAAAAAAAAAAAAAA"),
		401);
	assert_problem(t_json("POST", "/api/v1/auth/refresh", NULL, "{}"), 422);
	assert_problem(t_json("POST", "/api/v1/auth/refresh", NULL,
			      body_text(json_pack("{s:s, s:i}", "refresh_token",
						  rt2, "ttl", 60))),
		       422);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens"), "2");
}
END_TEST

START_TEST(logout_revokes_the_session_everywhere)
{
	struct t_tenant a;
	char user[37], email[128];
	struct reply *r;
	char *access, *rt;

	t_tenant_create(&a, "logout");
	password_member(&a, "editor", user, email);
	r = login_ok(email, NULL);
	access = member(r, "access_token");
	rt = member(r, "refresh_token");
	t_reply_free(r);
	assert_status(t_json("GET", "/api/v1/assets", access, NULL), 200);

	r = t_json("POST", "/api/v1/auth/logout", access, NULL);
	ck_assert_msg(r->status == 204, "%ld %s", r->status, body_of(r));
	ck_assert_uint_eq(r->len, 0);
	t_reply_free(r);

	assert_problem(t_json("GET", "/api/v1/assets", access, NULL), 401);
	assert_problem(t_json("POST", "/api/v1/assets", access,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	assert_problem(t_json("GET", "/api/v1/auth/me", access, NULL), 401);
	assert_problem(t_json("POST", "/api/v1/auth/logout", access, NULL),
		       401);
	assert_problem(refresh(rt), 401);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM revoked_tokens"), "1");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens WHERE "
				"revoked_at IS NULL"),
			 "0");
	/* signing out is not a lock-out */
	t_reply_free(login_ok(email, NULL));
}
END_TEST

START_TEST(jwks_publishes_the_signing_key)
{
	static const char *const paths[] = {"/api/v1/auth/jwks",
					    "/.well-known/jwks.json"};
	static const char *const private_members[] = {"d",  "p",  "q",
						      "dp", "dq", "qi"};
	struct t_tenant a;
	char user[37], email[128];
	struct reply *r, *first = NULL;
	json_t *header, *key;
	const char *kid;
	size_t i, k, p;
	bool found;

	t_tenant_create(&a, "jwks");
	password_member(&a, "viewer", user, email);
	r = login_ok(email, NULL);
	header = t_jwt_segment(member(r, "access_token"), 0);
	t_reply_free(r);
	ck_assert_ptr_nonnull(header);
	kid = json_string_value(json_object_get(header, "kid"));
	ck_assert_ptr_nonnull(kid);

	for (p = 0; p < 2; p++) {
		r = t_json("GET", paths[p], NULL, NULL);
		ck_assert_msg(r->status == 200, "%s: %ld", paths[p], r->status);
		ck_assert(json_array_size(json_object_get(r->json, "keys")) >
			  0);
		found = false;
		json_array_foreach (json_object_get(r->json, "keys"), i, key) {
			for (k = 0; k < 6; k++)
				ck_assert_msg(
					json_object_get(key,
							private_members[k]) ==
						NULL,
					"%s publishes '%s'", paths[p],
					private_members[k]);
			if (strcmp(json_string_value(
					   json_object_get(key, "kid")),
				   kid) != 0)
				continue;
			found = true;
			ck_assert_str_eq(
				json_string_value(json_object_get(key, "kty")),
				"RSA");
			ck_assert_str_eq(
				json_string_value(json_object_get(key, "alg")),
				"RS256");
			ck_assert(json_string_length(
					  json_object_get(key, "n")) >= 342);
			ck_assert(json_string_length(
					  json_object_get(key, "e")) > 0);
		}
		ck_assert_msg(found, "%s lacks kid %s: %s", paths[p], kid,
			      body_of(r));
		if (first == NULL) {
			first = r;
		} else {
			ck_assert(json_equal(first->json, r->json));
			t_reply_free(r);
		}
	}
	t_reply_free(first);
	json_decref(header);
}
END_TEST

START_TEST(admin_adds_members)
{
	struct t_tenant a, b;
	char b_member[37], b_member2[37], *b_email, *b_email2, email[160];
	char auditor_email[160];
	struct reply *r;
	char *admin, *viewer_id, *auditor_id, *members_before;

	t_tenant_create(&a, "members-a");
	t_tenant_create(&b, "members-b");
	admin = t_token(a.id, a.admin_id, "admin");

	/* a new identity, with its initial password */
	snprintf(email, sizeof(email), "viewer-%s@example.test", a.slug);
	r = t_json("POST", "/api/v1/users", admin,
		   body_text(json_pack("{s:s, s:s, s:s, s:s}", "email", email,
				       "role", "viewer", "password", PASSWORD,
				       "display_name", "New Viewer")));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	viewer_id = member(r, "id");
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_str_eq(member(r, "email"), email);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(r->location, path_with("/api/v1/users/", viewer_id));
	ck_assert(json_object_get(r->json, "password_hash") == NULL);
	ck_assert(strstr(body_of(r), PASSWORD) == NULL);
	t_reply_free(r);
	r = login_ok(email, NULL);
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	t_reply_free(r);

	/* an auditor needs both ends of the engagement window */
	members_before = db(&a, "SELECT count(*) FROM memberships");
	snprintf(auditor_email, sizeof(auditor_email),
		 "auditor-%s@example.test", a.slug);
	assert_problem(
		t_json("POST", "/api/v1/users", admin,
		       body_text(json_pack("{s:s, s:s, s:s}", "email",
					   auditor_email, "role", "auditor",
					   "password", PASSWORD))),
		422);
	assert_problem(
		t_json("POST", "/api/v1/users", admin,
		       body_text(json_pack("{s:s, s:s, s:s, s:s}", "email",
					   auditor_email, "role", "auditor",
					   "password", PASSWORD, "valid_from",
					   timestamp(-3600)))),
		422);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM users WHERE email = '%s'",
			    auditor_email),
			 "0");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM memberships"),
			 members_before);
	r = t_json("POST", "/api/v1/users", admin,
		   body_text(json_pack("{s:s, s:s, s:s, s:s, s:s}", "email",
				       auditor_email, "role", "auditor",
				       "password", PASSWORD, "valid_from",
				       timestamp(-3600), "valid_until",
				       timestamp(30 * 86400))));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	auditor_id = member(r, "id");
	ck_assert(json_is_string(json_object_get(r->json, "valid_until")));
	t_reply_free(r);

	/* another tenant's identity joins without a password ... */
	t_member_create(&b, "editor", b_member);
	b_email = db(&b, "SELECT email FROM users WHERE id = '%s'", b_member);
	r = t_json("POST", "/api/v1/users", admin,
		   body_text(json_pack("{s:s, s:s}", "email", b_email, "role",
				       "viewer")));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "id"), b_member);
	t_reply_free(r);
	ck_assert_str_eq(db(&b,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    b_member),
			 "editor/1");
	/* ... and never with one: it keeps its own */
	t_member_create(&b, "viewer", b_member2);
	b_email2 = db(&b, "SELECT email FROM users WHERE id = '%s'", b_member2);
	assert_problem(t_json("POST", "/api/v1/users", admin,
			      body_text(json_pack("{s:s, s:s, s:s}", "email",
						  b_email2, "role", "admin",
						  "password", PASSWORD))),
		       409);
	ck_assert_str_eq(db(&a,
			    "SELECT count(*) FROM memberships WHERE user_id = "
			    "'%s'",
			    b_member2),
			 "0");
	ck_assert_str_eq(db(&a,
			    "SELECT (password_hash IS NULL)::text || version "
			    "FROM users WHERE id = '%s'",
			    b_member2),
			 "true1");
	/* a member twice: conflict, not a second row */
	assert_problem(t_json("POST", "/api/v1/users", admin,
			      body_text(json_pack("{s:s, s:s}", "email", email,
						  "role", "editor"))),
		       409);
	/* a new identity needs an acceptable password */
	snprintf(email, sizeof(email), "nopass-%s@example.test", a.slug);
	assert_problem(t_json("POST", "/api/v1/users", admin,
			      body_text(json_pack("{s:s, s:s}", "email", email,
						  "role", "viewer"))),
		       422);
	assert_problem(t_json("POST", "/api/v1/users", admin,
			      body_text(json_pack("{s:s, s:s, s:s}", "email",
						  email, "role", "viewer",
						  "password", "short"))),
		       422);
	assert_problem(t_json("POST", "/api/v1/users", admin,
			      body_text(json_pack("{s:s, s:s, s:s}", "email",
						  email, "role", "owner",
						  "password", PASSWORD))),
		       422);
	ck_assert_str_eq(
		db(&a, "SELECT count(*) FROM users WHERE email = '%s'", email),
		"0");

	/* an id that is not a UUID names nothing */
	assert_problem(t_json("GET", "/api/v1/users/not-a-uuid", admin, NULL),
		       404);
	assert_problem(t_json("PATCH", "/api/v1/users/1%20OR%201=1", admin,
			      "{\"role\": \"admin\"}"),
		       404);
	assert_problem(
		t_json("DELETE", "/api/v1/api-keys/not-a-uuid", admin, NULL),
		404);

	r = t_json("GET", "/api/v1/users", admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 4);
	ck_assert(items_have_id(r, a.admin_id));
	ck_assert(items_have_id(r, viewer_id));
	ck_assert(items_have_id(r, auditor_id));
	ck_assert(items_have_id(r, b_member));
	t_reply_free(r);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM memberships"), "4");
}
END_TEST

START_TEST(member_update_honours_if_match)
{
	struct t_tenant a;
	char editor[37], email[128];
	struct reply *r;
	char *admin, *old, *path, *rt;

	t_tenant_create(&a, "patch");
	password_member(&a, "editor", editor, email);
	admin = t_token(a.id, a.admin_id, "admin");
	r = login_ok(email, NULL);
	old = member(r, "access_token");
	rt = member(r, "refresh_token");
	t_reply_free(r);
	path = path_with("/api/v1/users/", editor);
	assert_status(t_json("GET", "/api/v1/assets", old, NULL), 200);

	r = t_json("GET", path, admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(member(r, "role"), "editor");
	t_reply_free(r);

	assert_problem(with_if_match("PATCH", path, admin,
				     "{\"role\": \"viewer\"}", "\"7\""),
		       412);
	assert_problem(with_if_match("PATCH", path, admin,
				     "{\"role\": \"viewer\"}", "abc"),
		       412);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    editor),
			 "editor/1");

	r = with_if_match("PATCH", path, admin, "{\"role\": \"viewer\"}",
			  "\"1\"");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(r->etag, "\"2\"");
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_int_eq(
		json_integer_value(json_object_get(r->json, "version")), 2);
	t_reply_free(r);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    editor),
			 "viewer/2");

	/* only the membership's own fields, and a membership that holds */
	assert_problem(
		t_json("PATCH", path, admin, "{\"email\": \"x@example.test\"}"),
		422);
	assert_problem(t_json("PATCH", path, admin, "{\"role\": \"root\"}"),
		       422);
	assert_problem(t_json("PATCH", path, admin, "{\"role\": \"auditor\"}"),
		       422);
	assert_problem(
		t_json("PATCH", path, admin,
		       body_text(json_pack("{s:s, s:s}", "valid_from",
					   timestamp(3600), "valid_until",
					   timestamp(60)))),
		422);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    editor),
			 "viewer/2");

	/* the old token's role no longer matches: refused, even to read */
	assert_problem(t_json("GET", "/api/v1/assets", old, NULL), 401);
	assert_problem(t_json("POST", "/api/v1/assets", old,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	/* the next refresh carries the new role */
	r = refresh(rt);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "role"), "viewer");
	assert_status(t_json("GET", "/api/v1/assets", member(r, "access_token"),
			     NULL),
		      200);
	assert_problem(t_json("POST", "/api/v1/assets",
			      member(r, "access_token"),
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       403);
	t_reply_free(r);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
}
END_TEST

START_TEST(last_admin_cannot_leave)
{
	struct t_tenant a;
	char second[37];
	struct reply *r;
	char *admin, *path;

	t_tenant_create(&a, "last");
	admin = t_token(a.id, a.admin_id, "admin");
	path = path_with("/api/v1/users/", a.admin_id);

	assert_problem(t_json("PATCH", path, admin, "{\"role\": \"editor\"}"),
		       409);
	assert_problem(t_json("DELETE", path, admin, NULL), 409);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    a.admin_id),
			 "admin/1");
	assert_status(t_json("GET", "/api/v1/users", admin, NULL), 200);

	/* with a second admin, one of them may step down */
	t_member_create(&a, "admin", second);
	r = t_json("PATCH", path_with("/api/v1/users/", second),
		   t_token(a.id, second, "admin"), "{\"role\": \"editor\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	t_reply_free(r);
	assert_problem(t_json("DELETE", path, admin, NULL), 409);
	ck_assert_str_eq(db(&a,
			    "SELECT string_agg(role, ',' ORDER BY role) FROM "
			    "memberships"),
			 "admin,editor");
}
END_TEST

START_TEST(removed_member_is_refused_at_once)
{
	struct t_tenant a;
	char editor[37], user[37], email[128];
	struct reply *r;
	char *admin, *tok, *rt;

	t_tenant_create(&a, "remove");
	t_member_create(&a, "editor", editor);
	password_member(&a, "viewer", user, email);
	admin = t_token(a.id, a.admin_id, "admin");
	tok = t_token(a.id, editor, "editor");
	assert_status(t_json("GET", "/api/v1/assets", tok, NULL), 200);
	r = login_ok(email, NULL);
	rt = member(r, "refresh_token");
	t_reply_free(r);

	assert_status(t_json("DELETE", path_with("/api/v1/users/", editor),
			     admin, NULL),
		      204);
	assert_status(t_json("DELETE", path_with("/api/v1/users/", user), admin,
			     NULL),
		      204);

	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	assert_problem(t_json("POST", "/api/v1/assets", tok,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	assert_problem(t_json("GET", "/api/v1/auth/me", tok, NULL), 401);
	assert_problem(refresh(rt), 401);
	assert_problem(
		t_json("GET", path_with("/api/v1/users/", editor), admin, NULL),
		404);
	assert_problem(t_json("DELETE", path_with("/api/v1/users/", editor),
			      admin, NULL),
		       404);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM memberships"), "1");
	/* the identity itself stays: it may belong to other tenants */
	ck_assert_str_eq(
		db(&a, "SELECT count(*) FROM users WHERE id = '%s'", editor),
		"1");
}
END_TEST

/* The key with the last secret byte changed (same length, same form). */
static char *
flip_secret(const char *key)
{
	char *k = t_keep(strdup(key));
	size_t n = strlen(k);

	k[n - 1] = k[n - 1] == 'A' ? 'B' : 'A';
	return k;
}

static struct reply *
create_key(const char *admin, const char *name, const char *role,
	   const char *expires_at)
{
	json_t *body = json_pack("{s:s, s:s}", "name", name, "role", role);

	if (expires_at != NULL)
		json_object_set_new(body, "expires_at",
				    json_string(expires_at));
	return t_json("POST", "/api/v1/api-keys", admin, body_text(body));
}

START_TEST(api_keys_act_with_their_role_until_revoked)
{
	struct t_tenant a;
	struct reply *r;
	char *admin, *vkey, *vid, *ekey, *eid, *akey, *aid, *keys_before;
	const json_t *item;
	size_t i;

	t_tenant_create(&a, "keys");
	admin = t_token(a.id, a.admin_id, "admin");

	r = create_key(admin, "reporting", "viewer", NULL);
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	vkey = member(r, "key");
	vid = member(r, "id");
	ck_assert(strncmp(vkey, "isk_", 4) == 0);
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_str_eq(r->location, path_with("/api/v1/api-keys/", vid));
	ck_assert(json_object_get(r->json, "secret_hash") == NULL);
	t_reply_free(r);
	r = create_key(admin, "ci", "editor", timestamp(3600));
	ck_assert_int_eq(r->status, 201);
	ekey = member(r, "key");
	eid = member(r, "id");
	t_reply_free(r);
	r = create_key(admin, "sync", "admin", timestamp(3600));
	ck_assert_int_eq(r->status, 201);
	akey = member(r, "key");
	aid = member(r, "id");
	t_reply_free(r);

	/* shown once: the list has the keys, never their secrets */
	r = t_json("GET", "/api/v1/api-keys", admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(items_have_id(r, vid) && items_have_id(r, eid) &&
		  items_have_id(r, aid));
	json_array_foreach (json_object_get(r->json, "items"), i, item) {
		ck_assert(json_object_get(item, "key") == NULL);
		ck_assert(json_object_get(item, "secret_hash") == NULL);
	}
	ck_assert(strstr(body_of(r), vkey + 4) == NULL);
	ck_assert(strstr(body_of(r), ekey + 4) == NULL);
	t_reply_free(r);

	/* one key reads back without its secret, with its ETag */
	r = t_json("GET", path_with("/api/v1/api-keys/", vid), admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(member(r, "id"), vid);
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert(json_object_get(r->json, "key") == NULL);
	ck_assert(strstr(body_of(r), vkey + 4) == NULL);
	t_reply_free(r);
	assert_problem(t_json("GET", "/api/v1/api-keys/not-a-uuid", admin, NULL),
		       404);

	/* a viewer key reads, and only reads */
	assert_status(t_json("GET", "/api/v1/assets", vkey, NULL), 200);
	assert_problem(t_json("POST", "/api/v1/assets", vkey,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       403);
	assert_problem(t_json("GET", "/api/v1/users", vkey, NULL), 403);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	r = t_json("GET", "/api/v1/auth/me", vkey, NULL);
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "api_key_id"), vid);
	ck_assert_str_eq(member(r, "role"), "viewer");
	ck_assert_str_eq(member(r, "tenant_id"), a.id);
	t_reply_free(r);
	/* a key has no session to end */
	assert_problem(t_json("POST", "/api/v1/auth/logout", vkey, NULL), 422);

	/* an editor key writes, as itself */
	r = t_json("POST", "/api/v1/assets", ekey,
		   "{\"name\": \"Build server\", \"type\": \"hardware\"}");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "created_by"), eid);
	t_reply_free(r);

	/* the same key with one secret byte changed */
	assert_problem(t_json("GET", "/api/v1/assets", flip_secret(ekey), NULL),
		       401);
	assert_problem(t_json("POST", "/api/v1/assets", flip_secret(ekey),
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	assert_problem(t_json("GET", "/api/v1/assets", flip_secret(vkey), NULL),
		       401);

	/* revoked: refused on the very next request */
	assert_status(t_json("DELETE", path_with("/api/v1/api-keys/", eid),
			     admin, NULL),
		      204);
	assert_problem(t_json("GET", "/api/v1/assets", ekey, NULL), 401);
	assert_problem(t_json("POST", "/api/v1/assets", ekey,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	assert_problem(t_json("DELETE", path_with("/api/v1/api-keys/", eid),
			      admin, NULL),
		       404);
	ck_assert_str_eq(db(&a,
			    "SELECT (revoked_at IS NOT NULL)::text FROM "
			    "api_keys WHERE id = '%s'",
			    eid),
			 "true");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "1");

	/* expired: refused from the moment expires_at passes */
	assert_status(t_json("GET", "/api/v1/users", akey, NULL), 200);
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "UPDATE api_keys SET expires_at = now() - interval "
			 "'1 minute' WHERE id = '%s'",
			 aid);
		t_db_exec(a.id, sql);
	}
	assert_problem(t_json("GET", "/api/v1/users", akey, NULL), 401);
	assert_problem(t_json("GET", "/api/v1/assets", akey, NULL), 401);
	/* one created already expired never works */
	r = create_key(admin, "stale", "viewer", "2020-01-01T00:00:00Z");
	if (r->status == 201) {
		char *stale = member(r, "key");

		t_reply_free(r);
		assert_problem(t_json("GET", "/api/v1/assets", stale, NULL),
			       401);
	} else {
		assert_problem(r, 422);
	}

	/* auditors need a window, so no key acts as one */
	keys_before = db(&a, "SELECT count(*) FROM api_keys");
	assert_problem(create_key(admin, "audit", "auditor", NULL), 422);
	assert_problem(t_json("POST", "/api/v1/api-keys", admin,
			      "{\"name\": \"x\", \"role\": \"viewer\", "
			      "\"secret\": \"mine\"}"),
		       422);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM api_keys"), keys_before);
	assert_status(t_json("GET", "/api/v1/assets", vkey, NULL), 200);
}
END_TEST

/* ---- the role matrix ---- */

enum { R_ADMIN = 1, R_EDITOR = 2, R_VIEWER = 4, R_AUDITOR = 8 };
#define R_READ (R_ADMIN | R_EDITOR | R_VIEWER | R_AUDITOR)
#define R_WRITE (R_ADMIN | R_EDITOR)
#define R_PUBLIC 0

enum matrix_id { ID_NONE, ID_MEMBER, ID_KEY };
enum matrix_body { B_NONE, B_EMPTY, B_USER, B_ROLE, B_KEY, B_ASSET };

/*
 * Every route of isms-auth and isms-assets (services/auth/main.c,
 * services/assets/main.c) with the roles the API documents for it.
 */
static const struct {
	const char *method;
	const char *path;
	enum matrix_id id;
	enum matrix_body body;
	unsigned roles;
} matrix[] = {
	{"POST", "/api/v1/auth/login", ID_NONE, B_EMPTY, R_PUBLIC},
	{"POST", "/api/v1/auth/refresh", ID_NONE, B_EMPTY, R_PUBLIC},
	{"GET", "/api/v1/auth/jwks", ID_NONE, B_NONE, R_PUBLIC},
	{"GET", "/.well-known/jwks.json", ID_NONE, B_NONE, R_PUBLIC},
	{"GET", "/api/v1/auth/me", ID_NONE, B_NONE, R_READ},
	{"POST", "/api/v1/auth/logout", ID_NONE, B_NONE, R_READ},
	{"GET", "/api/v1/users", ID_NONE, B_NONE, R_ADMIN},
	{"POST", "/api/v1/users", ID_NONE, B_USER, R_ADMIN},
	{"GET", "/api/v1/users/", ID_MEMBER, B_NONE, R_ADMIN},
	{"PATCH", "/api/v1/users/", ID_MEMBER, B_ROLE, R_ADMIN},
	{"DELETE", "/api/v1/users/", ID_MEMBER, B_NONE, R_ADMIN},
	{"GET", "/api/v1/api-keys", ID_NONE, B_NONE, R_ADMIN},
	{"POST", "/api/v1/api-keys", ID_NONE, B_KEY, R_ADMIN},
	{"GET", "/api/v1/api-keys/", ID_KEY, B_NONE, R_ADMIN},
	{"DELETE", "/api/v1/api-keys/", ID_KEY, B_NONE, R_ADMIN},
	{"GET", "/api/v1/assets", ID_NONE, B_NONE, R_READ},
	{"POST", "/api/v1/assets", ID_NONE, B_ASSET, R_WRITE},
};

/* A valid body, unique per role and tenant; NULL for none. */
static const char *
matrix_body(enum matrix_body kind, const char *role, const char *slug,
	    char *buf, size_t len)
{
	switch (kind) {
	case B_NONE:
		return NULL;
	case B_EMPTY:
		return "{}";
	case B_USER:
		snprintf(buf, len,
			 "{\"email\": \"matrix-%s-%s@example.test\", "
			 "\"role\": \"viewer\", \"password\": \"" PASSWORD
			 "\"}",
			 role, slug);
		return buf;
	case B_ROLE:
		return "{\"role\": \"editor\"}";
	case B_KEY:
		snprintf(buf, len,
			 "{\"name\": \"matrix-%s\", \"role\": \"viewer\"}",
			 role);
		return buf;
	case B_ASSET:
		snprintf(buf, len,
			 "{\"name\": \"matrix %s\", \"type\": \"site\"}", role);
		return buf;
	}
	return NULL;
}

/* What refused requests must leave alone; editors do add assets. */
#define MATRIX_STATE                                                           \
	"SELECT (SELECT string_agg(user_id || ':' || role || ':' || version,"  \
	" ',' ORDER BY user_id) FROM memberships)"                             \
	" || '|' || (SELECT string_agg(id || ':' || version || ':' ||"         \
	" (revoked_at IS NULL)::text, ',' ORDER BY id) FROM api_keys)"         \
	" || '|' || (SELECT count(*) FROM users"                               \
	" WHERE email LIKE 'matrix-%%-%s@%%')"                                 \
	" || '|' || (SELECT count(*) FROM assets"                              \
	" WHERE name IN ('matrix viewer', 'matrix auditor'))"

START_TEST(every_route_admits_exactly_its_roles)
{
	static const struct {
		const char *name;
		unsigned bit;
	} roles[] = {
		/* admin last: its allowed writes come after the refusals */
		{"viewer", R_VIEWER},
		{"auditor", R_AUDITOR},
		{"editor", R_EDITOR},
		{"admin", R_ADMIN},
	};
	struct t_tenant a;
	char ids[4][37], target[37], fails[8192] = "", body[512], path[256];
	char *state, *key_id, *after, *expect;
	const char *tok, *text;
	struct reply *r;
	size_t i, k;
	int auditor_requests = 0;
	bool allowed;

	t_tenant_create(&a, "matrix");
	snprintf(ids[3], sizeof(ids[3]), "%s", a.admin_id);
	for (k = 0; k < 3; k++)
		t_member_create(&a, roles[k].name, ids[k]);
	t_member_create(&a, "viewer", target);
	r = create_key(t_token(a.id, a.admin_id, "admin"), "matrix-target",
		       "viewer", NULL);
	ck_assert_int_eq(r->status, 201);
	key_id = member(r, "id");
	t_reply_free(r);
	state = db(&a, MATRIX_STATE, a.slug);

	for (k = 0; k < 4; k++) {
		if (roles[k].bit == R_ADMIN) {
			/* nothing the others tried may have changed */
			after = db(&a, MATRIX_STATE, a.slug);
			if (strcmp(after, state) != 0)
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "refused requests changed the "
					 "database:\n  %s\n  %s\n",
					 state, after);
		}
		for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", matrix[i].path,
				 matrix[i].id == ID_MEMBER ? target
				 : matrix[i].id == ID_KEY  ? key_id
							   : "");
			text = matrix_body(matrix[i].body, roles[k].name,
					   a.slug, body, sizeof(body));
			/* a token per request: logout revokes the one it gets
			 */
			tok = t_token(a.id, ids[k], roles[k].name);
			r = t_json(matrix[i].method, path, tok, text);
			allowed = matrix[i].roles == R_PUBLIC ||
				  (matrix[i].roles & roles[k].bit) != 0;
			if (roles[k].bit == R_AUDITOR &&
			    matrix[i].roles != R_PUBLIC)
				auditor_requests++;
			if (allowed ? (r->status == 401 || r->status == 403 ||
				       r->status >= 500)
				    : !t_is_problem(r, 403))
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "%s %s %s: expected %s, got %ld "
					 "%.160s\n",
					 roles[k].name, matrix[i].method,
					 matrix[i].path,
					 allowed ? "allowed" : "403", r->status,
					 body_of(r));
			t_reply_free(r);
		}
	}
	/* the allowed writes did land */
	ck_assert_str_eq(db(&a, "SELECT string_agg(name, ',' ORDER BY name) "
				"FROM assets"),
			 "matrix admin,matrix editor");
	ck_assert_str_eq(db(&a,
			    "SELECT count(*) FROM memberships WHERE user_id = "
			    "'%s'",
			    target),
			 "0");
	ck_assert_str_eq(db(&a,
			    "SELECT (revoked_at IS NOT NULL)::text FROM "
			    "api_keys WHERE id = '%s'",
			    key_id),
			 "true");

	/* every request an auditor made is on record, the refused too */
	expect = t_keep(malloc(16));
	snprintf(expect, 16, "%d", auditor_requests);
	after = db(&a,
		   "SELECT count(*) FROM activity_log WHERE action = 'read' "
		   "AND actor_id = '%s'",
		   ids[1]);
	if (strcmp(after, expect) != 0)
		snprintf(fails + strlen(fails), sizeof(fails) - strlen(fails),
			 "auditor: %s of %s requests in the activity log\n",
			 after, expect);
	after = db(&a,
		   "SELECT count(*) FROM activity_log WHERE action = 'read' "
		   "AND actor_id = '%s' AND after->>'method' = 'POST' AND "
		   "after->>'path' = '/api/v1/assets' AND "
		   "(after->>'status')::int = 403",
		   ids[1]);
	if (strcmp(after, "1") != 0)
		snprintf(fails + strlen(fails), sizeof(fails) - strlen(fails),
			 "auditor: the refused write is not on record (%s)\n",
			 after);
	ck_assert_msg(fails[0] == '\0', "role matrix:\n%s", fails);
}
END_TEST

START_TEST(auditor_only_within_the_window)
{
	struct t_tenant a;
	char future[37], past[37], current[37];
	char future_email[128], past_email[128], current_email[128];
	struct reply *r;
	char *tok, *rt, *minted;

	t_tenant_create(&a, "window");
	t_user_create(PASSWORD, future, future_email);
	t_membership_add(&a, future, "auditor", "1 day", "30 days");
	t_user_create(PASSWORD, past, past_email);
	t_membership_add(&a, past, "auditor", "-30 days", "-1 day");
	password_member(&a, "auditor", current, current_email);

	/* before and after the window: no sign-in, no minted token */
	assert_problem(t_login(future_email, PASSWORD, NULL), 401);
	assert_problem(t_login(past_email, PASSWORD, NULL), 401);
	assert_problem(t_json("GET", "/api/v1/assets",
			      t_token(a.id, future, "auditor"), NULL),
		       401);
	assert_problem(t_json("GET", "/api/v1/assets",
			      t_token(a.id, past, "auditor"), NULL),
		       401);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens"), "0");

	/* within it: reads, never writes */
	r = login_ok(current_email, NULL);
	ck_assert_str_eq(member(r, "role"), "auditor");
	tok = member(r, "access_token");
	rt = member(r, "refresh_token");
	t_reply_free(r);
	minted = t_token(a.id, current, "auditor");
	assert_status(t_json("GET", "/api/v1/assets", tok, NULL), 200);
	assert_status(t_json("GET", "/api/v1/assets", minted, NULL), 200);
	assert_problem(t_json("POST", "/api/v1/assets", tok,
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       403);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");

	/* the engagement ends: the very next request is refused */
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "UPDATE memberships SET valid_until = now() - "
			 "interval '1 minute' WHERE user_id = '%s'",
			 current);
		t_db_exec(a.id, sql);
	}
	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	assert_problem(t_json("GET", "/api/v1/assets", minted, NULL), 401);
	assert_problem(t_json("GET", "/api/v1/auth/me", tok, NULL), 401);
	assert_problem(refresh(rt), 401);
}
END_TEST

START_TEST(tenants_keep_their_members_and_keys)
{
	struct t_tenant a, b;
	char shared[37];
	struct reply *r;
	char *b_admin, *a_admin, *key, *key_id, *path, *email, *a_row;

	t_tenant_create(&a, "cross-a");
	t_tenant_create(&b, "cross-b");
	t_member_create(&a, "editor", shared);
	a_admin = t_token(a.id, a.admin_id, "admin");
	b_admin = t_token(b.id, b.admin_id, "admin");
	r = create_key(a_admin, "a's key", "viewer", NULL);
	ck_assert_int_eq(r->status, 201);
	key = member(r, "key");
	key_id = member(r, "id");
	t_reply_free(r);
	path = path_with("/api/v1/users/", shared);
	a_row = db(&a,
		   "SELECT role || '/' || version FROM memberships WHERE "
		   "user_id = '%s'",
		   shared);

	/* A's ids mean nothing in B */
	assert_problem(t_json("GET", path, b_admin, NULL), 404);
	assert_problem(t_json("PATCH", path, b_admin, "{\"role\": \"admin\"}"),
		       404);
	assert_problem(with_if_match("PATCH", path, b_admin,
				     "{\"role\": \"admin\"}", "\"1\""),
		       404);
	assert_problem(t_json("DELETE", path, b_admin, NULL), 404);
	assert_problem(t_json("DELETE", path_with("/api/v1/users/", a.admin_id),
			      b_admin, NULL),
		       404);
	assert_problem(t_json("DELETE", path_with("/api/v1/api-keys/", key_id),
			      b_admin, NULL),
		       404);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    shared),
			 a_row);
	ck_assert_str_eq(db(&a,
			    "SELECT (revoked_at IS NULL)::text FROM api_keys "
			    "WHERE id = '%s'",
			    key_id),
			 "true");
	assert_status(t_json("GET", "/api/v1/assets", key, NULL), 200);

	/* lists hold B's rows only */
	r = t_json("GET", "/api/v1/users", b_admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert(!items_have_id(r, shared));
	ck_assert(!items_have_id(r, a.admin_id));
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
	t_reply_free(r);
	r = t_json("GET", "/api/v1/api-keys", b_admin, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
	t_reply_free(r);

	/* identities are global: B may add A's member to B ... */
	email = db(&a, "SELECT email FROM users WHERE id = '%s'", shared);
	r = t_json("POST", "/api/v1/users", b_admin,
		   body_text(json_pack("{s:s, s:s}", "email", email, "role",
				       "viewer")));
	ck_assert_msg(r->status == 201, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "id"), shared);
	ck_assert_str_eq(member(r, "role"), "viewer");
	t_reply_free(r);
	/* ... and then changes and removes B's membership only */
	r = t_json("PATCH", path, b_admin, "{\"role\": \"admin\"}");
	ck_assert_msg(r->status == 200, "%ld %s", r->status, body_of(r));
	ck_assert_str_eq(member(r, "role"), "admin");
	t_reply_free(r);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    shared),
			 a_row);
	assert_status(t_json("POST", "/api/v1/assets",
			     t_token(a.id, shared, "editor"),
			     "{\"name\": \"a\", \"type\": \"site\"}"),
		      201);
	/* a token for B cannot pass for A, nor the other way round */
	assert_problem(t_json("GET", "/api/v1/assets",
			      t_token(a.id, shared, "admin"), NULL),
		       401);
	assert_problem(t_json("GET", "/api/v1/users",
			      t_token(b.id, a.admin_id, "admin"), NULL),
		       401);
	assert_status(t_json("DELETE", path, b_admin, NULL), 204);
	ck_assert_str_eq(db(&a,
			    "SELECT role || '/' || version FROM memberships "
			    "WHERE user_id = '%s'",
			    shared),
			 a_row);
	ck_assert_str_eq(db(&b,
			    "SELECT count(*) FROM memberships WHERE user_id = "
			    "'%s'",
			    shared),
			 "0");
	assert_status(t_json("GET", "/api/v1/assets",
			     t_token(a.id, shared, "editor"), NULL),
		      200);
}
END_TEST

START_TEST(forged_tokens_are_refused)
{
	struct t_tenant a;
	char viewer[37];
	json_t *header, *claims;
	const char *pem;
	char *tok, *sig, *signed_tok;
	size_t pem_len;
	struct reply *r;

	t_tenant_create(&a, "forge");
	t_member_create(&a, "viewer", viewer);
	claims = t_jwt_claims(a.id, a.admin_id, "admin");

	/* alg none, without and with a signature */
	header = json_pack("{s:s, s:s, s:s}", "alg", "none", "typ", "JWT",
			   "kid", t_jwt_kid());
	tok = t_jwt_unsigned(header, claims);
	assert_invalid_token(t_json("GET", "/api/v1/assets", tok, NULL),
			     "alg none");
	sig = strrchr(t_token(a.id, a.admin_id, "admin"), '.');
	signed_tok = t_keep(malloc(strlen(tok) + strlen(sig)));
	sprintf(signed_tok, "%s%s", tok, sig + 1);
	assert_invalid_token(t_json("GET", "/api/v1/users", signed_tok, NULL),
			     "alg none, signed");
	json_decref(header);

	/* HS256 keyed with the public key every client can fetch */
	header = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "typ", "JWT",
			   "kid", t_jwt_kid());
	pem = t_jwt_public_pem(&pem_len);
	assert_invalid_token(t_json("GET", "/api/v1/users",
				    t_jwt_hs256(header, claims, pem, pem_len),
				    NULL),
			     "HS256 with the public key");
	assert_invalid_token(t_json("GET", "/api/v1/auth/me",
				    t_jwt_hs256(header, claims, pem, pem_len),
				    NULL),
			     "HS256 with the public key (auth)");
	json_decref(header);

	/* RS256 under a key the stack does not know, named or not */
	header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT",
			   "kid", "no-such-key");
	assert_invalid_token(t_json("GET", "/api/v1/assets",
				    t_jwt_rs256_foreign(header, claims), NULL),
			     "unknown kid");
	json_decref(header);
	header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT",
			   "kid", t_jwt_kid());
	assert_invalid_token(t_json("GET", "/api/v1/users",
				    t_jwt_rs256_foreign(header, claims), NULL),
			     "another key under the real kid");
	json_decref(header);
	json_decref(claims);

	/* a viewer's real token promoted to admin, signature kept */
	tok = t_token(a.id, viewer, "viewer");
	claims = t_jwt_segment(tok, 1);
	ck_assert_ptr_nonnull(claims);
	json_object_set_new(claims, "role", json_string("admin"));
	r = t_json("GET", "/api/v1/users", t_jwt_replace_payload(tok, claims),
		   NULL);
	assert_invalid_token(r, "tampered role");
	json_decref(claims);
	assert_status(t_json("GET", "/api/v1/assets", tok, NULL), 200);

	/* well signed, but not for now or not for us */
	assert_invalid_token(
		t_json("GET", "/api/v1/assets",
		       t_token_custom(a.id, a.admin_id, "admin", "isms",
				      "isms-api", -1200, -600),
		       NULL),
		"expired");
	assert_invalid_token(
		t_json("GET", "/api/v1/auth/me",
		       t_token_custom(a.id, a.admin_id, "admin", "isms",
				      "isms-api", 600, 1200),
		       NULL),
		"not yet valid");
	assert_invalid_token(
		t_json("GET", "/api/v1/assets",
		       t_token_custom(a.id, a.admin_id, "admin", "someone-else",
				      "isms-api", 0, 600),
		       NULL),
		"wrong iss");
	assert_invalid_token(t_json("GET", "/api/v1/users",
				    t_token_custom(a.id, a.admin_id, "admin",
						   "isms", "other-api", 0, 600),
				    NULL),
			     "wrong aud");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM memberships"), "2");
	assert_still_serving();
}
END_TEST

/*
 * Credentials that are well formed and well signed but that the database
 * no longer honours (app_begin): a removed member's token, a signed-out
 * one, an auditor's after the window, a disabled user's, a revoked API
 * key. Each must be refused on every service as a 401 problem document,
 * and, being as invalid as a forged token, must carry the same challenge:
 * RFC 9110 section 15.5.2 requires WWW-Authenticate on every 401, RFC 6750
 * section 3.1 names the error.
 */
START_TEST(stale_credentials_are_invalid_tokens)
{
	static const char *const paths[] = {"/api/v1/assets",
					    "/api/v1/auth/me"};
	struct t_tenant a;
	char removed[37], user[37], email[128], auditor[37], disabled[37];
	char fails[4096] = "", sql[256];
	struct reply *r;
	const char *names[5], *tokens[5];
	char *admin, *key, *key_id;
	size_t i, p;

	t_tenant_create(&a, "stale");
	admin = t_token(a.id, a.admin_id, "admin");
	t_member_create(&a, "editor", removed);
	t_member_create(&a, "auditor", auditor);
	t_member_create(&a, "viewer", disabled);
	password_member(&a, "editor", user, email);
	names[0] = "removed member";
	tokens[0] = t_token(a.id, removed, "editor");
	names[1] = "signed out";
	r = login_ok(email, NULL);
	tokens[1] = member(r, "access_token");
	t_reply_free(r);
	names[2] = "auditor after the window";
	tokens[2] = t_token(a.id, auditor, "auditor");
	names[3] = "disabled user";
	tokens[3] = t_token(a.id, disabled, "viewer");
	names[4] = "revoked API key";
	r = create_key(admin, "stale", "editor", NULL);
	ck_assert_int_eq(r->status, 201);
	key = member(r, "key");
	key_id = member(r, "id");
	t_reply_free(r);
	tokens[4] = key;
	for (i = 0; i < 5; i++)
		assert_status(t_json("GET", "/api/v1/assets", tokens[i], NULL),
			      200);

	assert_status(t_json("DELETE", path_with("/api/v1/users/", removed),
			     admin, NULL),
		      204);
	assert_status(t_json("POST", "/api/v1/auth/logout", tokens[1], NULL),
		      204);
	snprintf(sql, sizeof(sql),
		 "UPDATE memberships SET valid_until = now() - interval "
		 "'1 minute' WHERE user_id = '%s'",
		 auditor);
	t_db_exec(a.id, sql);
	snprintf(sql, sizeof(sql),
		 "UPDATE users SET disabled_at = now() WHERE id = '%s'",
		 disabled);
	t_db_exec(a.id, sql);
	assert_status(t_json("DELETE", path_with("/api/v1/api-keys/", key_id),
			     admin, NULL),
		      204);

	for (i = 0; i < 5; i++) {
		for (p = 0; p < 2; p++) {
			r = t_json("GET", paths[p], tokens[i], NULL);
			if (!t_is_problem(r, 401))
				snprintf(fails + strlen(fails),
					 sizeof(fails) - strlen(fails),
					 "%s, GET %s: %ld %.120s\n", names[i],
					 paths[p], r->status, body_of(r));
			else if (strcmp(r->www_authenticate, INVALID_TOKEN) !=
				 0)
				snprintf(
					fails + strlen(fails),
					sizeof(fails) - strlen(fails),
					"%s, GET %s: 401 with WWW-Authenticate "
					"'%s'\n",
					names[i], paths[p],
					r->www_authenticate);
			t_reply_free(r);
		}
	}
	/* a refused write is refused as 401, and changes nothing */
	assert_problem(t_json("POST", "/api/v1/assets", tokens[0],
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	assert_problem(t_json("POST", "/api/v1/assets", tokens[4],
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       401);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM assets"), "0");
	assert_still_serving();
	ck_assert_msg(fails[0] == '\0', "stale credentials:\n%s", fails);
}
END_TEST

START_TEST(failed_logins_lock_the_account)
{
	struct t_tenant a;
	char user[37], email[128], other[37], other_email[128];
	struct reply *r;
	long wait;
	int i;

	t_tenant_create(&a, "lock");
	password_member(&a, "editor", user, email);
	password_member(&a, "editor", other, other_email);
	for (i = 0; i < 5; i++)
		assert_problem(t_login(email, WRONG_PASSWORD, NULL), 401);
	/* the sixth attempt is refused, right password or not */
	r = t_login(email, PASSWORD, NULL);
	ck_assert_msg(t_is_problem(r, 429), "%ld %s", r->status, body_of(r));
	wait = strtol(r->retry_after, NULL, 10);
	ck_assert_msg(wait > 0 && wait <= 30, "Retry-After '%s'",
		      r->retry_after);
	t_reply_free(r);
	ck_assert_str_eq(db(&a, "SELECT count(*) FROM refresh_tokens"), "0");
	/* the account is locked, not the address */
	t_reply_free(login_ok(other_email, NULL));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("identity");

	tcase_add_unchecked_fixture(tc, setup_once, NULL);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, login_issues_a_working_token_pair);
	tcase_add_test(tc, login_refusals_look_alike);
	tcase_add_test(tc, login_names_the_tenant_of_several);
	tcase_add_test(tc, login_rejects_malformed_bodies);
	tcase_add_test(tc, refresh_rotates_and_reuse_revokes_the_family);
	tcase_add_test(tc, logout_revokes_the_session_everywhere);
	tcase_add_test(tc, jwks_publishes_the_signing_key);
	tcase_add_test(tc, admin_adds_members);
	tcase_add_test(tc, member_update_honours_if_match);
	tcase_add_test(tc, last_admin_cannot_leave);
	tcase_add_test(tc, removed_member_is_refused_at_once);
	tcase_add_test(tc, api_keys_act_with_their_role_until_revoked);
	tcase_add_test(tc, every_route_admits_exactly_its_roles);
	tcase_add_test(tc, auditor_only_within_the_window);
	tcase_add_test(tc, tenants_keep_their_members_and_keys);
	tcase_add_test(tc, forged_tokens_are_refused);
	tcase_add_test(tc, stale_credentials_are_invalid_tokens);
	tcase_add_test(tc, failed_logins_lock_the_account);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
