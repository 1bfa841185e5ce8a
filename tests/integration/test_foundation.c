/*
 * The vertical slice through the real stack: nginx -> FastCGI -> JWT ->
 * tenant transaction -> row-level security -> JSON, and the refusals on
 * the way (401, 403, 404, 405, 400, 413, 415, 422), after each of which
 * the services must still serve.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static const char *const services[] = {"auth", "assets", "risks", "controls",
				       "audits"};

static void
setup(void)
{
	t_setup();
}

static void
assert_problem(struct reply *r, long status)
{
	ck_assert_msg(t_is_problem(r, status),
		      "expected a %ld problem document, got %ld %s: %.300s",
		      status, r->status, r->content_type,
		      r->body ? r->body : "");
	t_reply_free(r);
}

static void
assert_still_serving(void)
{
	struct reply *r = t_json("GET", "/healthz/assets", NULL, NULL);

	ck_assert_int_eq(r->status, 200);
	t_reply_free(r);
}

START_TEST(health_and_readiness_through_nginx)
{
	char path[64];
	struct reply *r;
	size_t i;

	r = t_json("GET", "/healthz", NULL, NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r->json, "status")),
			 "ok");
	t_reply_free(r);
	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		snprintf(path, sizeof(path), "/healthz/%s", services[i]);
		r = t_json("GET", path, NULL, NULL);
		ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
		ck_assert_str_eq(
			json_string_value(json_object_get(r->json, "status")),
			"ok");
		ck_assert_msg(r->request_id[0] != '\0', "no X-Request-Id");
		t_reply_free(r);
		snprintf(path, sizeof(path), "/readyz/%s", services[i]);
		r = t_json("GET", path, NULL, NULL);
		ck_assert_msg(r->status == 200, "%s: %ld", path, r->status);
		ck_assert_str_eq(
			json_string_value(json_object_get(r->json, "status")),
			"ready");
		t_reply_free(r);
	}
}
END_TEST

START_TEST(no_token_is_401_problem)
{
	struct reply *r = t_json("GET", "/api/v1/assets", NULL, NULL);

	ck_assert_str_eq(r->www_authenticate, "Bearer");
	assert_problem(r, 401);
	assert_still_serving();
}
END_TEST

START_TEST(bad_tokens_are_401)
{
	struct t_tenant a;
	char *tok;
	struct reply *r;

	t_tenant_create(&a, "tok");
	/* expired, not yet valid, wrong issuer, wrong audience */
	tok = t_token_custom(a.id, a.admin_id, "admin", "isms", "isms-api",
			     -1200, -600);
	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	tok = t_token_custom(a.id, a.admin_id, "admin", "isms", "isms-api",
			     600, 1200);
	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	tok = t_token_custom(a.id, a.admin_id, "admin", "evil", "isms-api", 0,
			     600);
	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	tok = t_token_custom(a.id, a.admin_id, "admin", "isms", "other", 0,
			     600);
	assert_problem(t_json("GET", "/api/v1/assets", tok, NULL), 401);
	/* a tampered payload keeps the old signature */
	tok = t_keep(strdup(t_token(a.id, a.admin_id, "admin")));
	{
		char *dot = strchr(tok, '.');

		dot[3] = dot[3] == 'A' ? 'B' : 'A';
	}
	r = t_json("GET", "/api/v1/assets", tok, NULL);
	ck_assert_str_eq(r->www_authenticate,
			 "Bearer error=\"invalid_token\"");
	assert_problem(r, 401);
	/* not a JWT at all */
	assert_problem(t_json("GET", "/api/v1/assets", "abc.def", NULL), 401);
	assert_still_serving();
}
END_TEST

START_TEST(create_then_list)
{
	struct t_tenant a;
	struct reply *r;
	char *tok, id[64];
	json_t *items, *item;
	size_t i;
	int found = 0;

	t_tenant_create(&a, "slice");
	tok = t_token(a.id, a.admin_id, "admin");
	r = t_json("POST", "/api/v1/assets", tok,
		   "{\"name\": \"Customer database\", \"type\": \"information\"}");
	ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
	snprintf(id, sizeof(id), "%s",
		 json_string_value(json_object_get(r->json, "id")));
	ck_assert_int_eq(strlen(id), 36);
	ck_assert_str_eq(r->etag, "\"1\"");
	ck_assert_msg(strstr(r->location, id) != NULL, "Location %s",
		      r->location);
	ck_assert_str_eq(json_string_value(json_object_get(r->json,
							   "created_by")),
			 a.admin_id);
	t_reply_free(r);

	/* what the API said it stored is what the database holds */
	ck_assert_str_eq(t_db_value(a.id, "SELECT name || '/' || type FROM "
					  "assets"),
			 "Customer database/information");

	r = t_json("GET", "/api/v1/assets", tok, NULL);
	ck_assert_int_eq(r->status, 200);
	items = json_object_get(r->json, "items");
	json_array_foreach(items, i, item) {
		if (strcmp(json_string_value(json_object_get(item, "id")), id) == 0)
			found = 1;
	}
	ck_assert_int_eq(found, 1);
	ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
	t_reply_free(r);
}
END_TEST

START_TEST(tenants_never_see_each_other)
{
	struct t_tenant a, b;
	struct reply *r;

	t_tenant_create(&a, "iso-a");
	t_tenant_create(&b, "iso-b");
	r = t_json("POST", "/api/v1/assets", t_token(a.id, a.admin_id, "admin"),
		   "{\"name\": \"A's secret\", \"type\": \"information\"}");
	ck_assert_int_eq(r->status, 201);
	t_reply_free(r);
	r = t_json("GET", "/api/v1/assets", t_token(b.id, b.admin_id, "admin"),
		   NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
	t_reply_free(r);
	ck_assert_str_eq(t_db_value(b.id, "SELECT count(*) FROM assets"), "0");
	ck_assert_str_eq(t_db_value(a.id, "SELECT count(*) FROM assets"), "1");
}
END_TEST

START_TEST(viewer_cannot_create)
{
	struct t_tenant a;
	char viewer[37];

	t_tenant_create(&a, "role");
	t_member_create(&a, "viewer", viewer);
	assert_problem(t_json("POST", "/api/v1/assets",
			      t_token(a.id, viewer, "viewer"),
			      "{\"name\": \"x\", \"type\": \"site\"}"),
		       403);
	ck_assert_str_eq(t_db_value(a.id, "SELECT count(*) FROM assets"), "0");
}
END_TEST

START_TEST(bad_bodies_are_refused_and_nothing_changes)
{
	static const struct {
		const char *ctype;
		const char *body;
		long status;
	} cases[] = {
		{"application/json", "{\"name\": \"x\", \"type\": ", 400},
		{"application/json", "{\"name\": \"x\", \"name\": \"y\", "
				     "\"type\": \"site\"}", 400},
		{"application/json", "[1, 2]", 400},
		{"application/json", "", 400},
		{"text/plain", "{\"name\": \"x\", \"type\": \"site\"}", 415},
		{"application/json", "{\"name\": \"x\", \"type\": \"site\", "
				     "\"colour\": \"red\"}", 422},
		{"application/json", "{\"name\": 42, \"type\": \"site\"}", 422},
		{"application/json", "{\"name\": \"x\", \"type\": \"planet\"}",
		 422},
		{"application/json", "{\"type\": \"site\"}", 422},
		{"application/json", "{\"name\": \"\", \"type\": \"site\"}", 422},
		{"application/json", "{\"name\": \"a\\u0000b\", \"type\": "
				     "\"site\"}", 400},
		{"application/json", "{\"name\": \"tab\\there\", \"type\": "
				     "\"site\"}", 422},
		{"application/json", "{\"name\": \"\xc3\x28\", \"type\": "
				     "\"site\"}", 400},
		{"application/json", "{\"name\": \"x'; DROP TABLE assets; --\", "
				     "\"type\": \"site\", \"id\": 1}", 422},
	};
	struct t_tenant a;
	struct reply *r;
	char *tok;
	size_t i;

	t_tenant_create(&a, "bad");
	tok = t_token(a.id, a.admin_id, "admin");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = t_http("POST", "/api/v1/assets", tok, cases[i].ctype,
			   cases[i].body, strlen(cases[i].body), NULL);
		ck_assert_msg(t_is_problem(r, cases[i].status),
			      "case %zu: expected %ld, got %ld %.200s", i,
			      cases[i].status, r->status, r->body);
		if (cases[i].status == 422)
			ck_assert(json_array_size(json_object_get(
					  r->json, "errors")) > 0);
		t_reply_free(r);
	}
	/* too long: 201 characters, counted as characters not bytes */
	{
		char body[1024];
		char name[202 * 2];
		int k;

		for (k = 0; k < 201; k++)
			name[k] = 'n';
		name[201] = '\0';
		snprintf(body, sizeof(body),
			 "{\"name\": \"%s\", \"type\": \"site\"}", name);
		assert_problem(t_json("POST", "/api/v1/assets", tok, body),
			       422);
		/* 200 two-byte characters are fine */
		for (k = 0; k < 200; k++) {
			name[2 * k] = '\xc3';
			name[2 * k + 1] = '\xa9';
		}
		name[400] = '\0';
		snprintf(body, sizeof(body),
			 "{\"name\": \"%s\", \"type\": \"site\"}", name);
		r = t_json("POST", "/api/v1/assets", tok, body);
		ck_assert_int_eq(r->status, 201);
		t_reply_free(r);
	}
	ck_assert_str_eq(t_db_value(a.id, "SELECT count(*) FROM assets"), "1");
	assert_still_serving();
}
END_TEST

START_TEST(oversize_body_is_413)
{
	struct t_tenant a;
	size_t n = 2 * 1024 * 1024;
	char *body = malloc(n);

	t_tenant_create(&a, "big");
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	assert_problem(t_http("POST", "/api/v1/assets",
			      t_token(a.id, a.admin_id, "admin"),
			      "application/json", body, n, NULL),
		       413);
	free(body);
	assert_still_serving();
}
END_TEST

START_TEST(query_whitelist)
{
	struct t_tenant a;
	char *tok;

	char viewer[37];

	t_tenant_create(&a, "query");
	t_member_create(&a, "viewer", viewer);
	tok = t_token(a.id, viewer, "viewer");
	assert_problem(t_json("GET", "/api/v1/assets?colour=red", tok, NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?limit=1&limit=2", tok,
			      NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?limit=0", tok, NULL), 400);
	assert_problem(t_json("GET", "/api/v1/assets?limit=201", tok, NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?limit=9999999999999999999",
			      tok, NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?limit=-1", tok, NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?cursor=bm90LWEtY3Vyc29y",
			      tok, NULL),
		       400);
	assert_problem(t_json("GET", "/api/v1/assets?cursor=%ZZ", tok, NULL),
		       400);
	assert_still_serving();
}
END_TEST

START_TEST(keyset_paging_visits_every_row_once)
{
	struct t_tenant a;
	struct reply *r;
	char *tok, path[512], body[128];
	const char *next;
	int i, seen = 0, pages = 0;

	char editor[37];

	t_tenant_create(&a, "page");
	t_member_create(&a, "editor", editor);
	tok = t_token(a.id, editor, "editor");
	for (i = 0; i < 7; i++) {
		snprintf(body, sizeof(body),
			 "{\"name\": \"asset %d\", \"type\": \"hardware\"}", i);
		r = t_json("POST", "/api/v1/assets", tok, body);
		ck_assert_int_eq(r->status, 201);
		t_reply_free(r);
	}
	snprintf(path, sizeof(path), "/api/v1/assets?limit=3");
	for (;;) {
		r = t_json("GET", path, tok, NULL);
		ck_assert_int_eq(r->status, 200);
		seen += (int)json_array_size(json_object_get(r->json, "items"));
		pages++;
		next = json_string_value(json_object_get(r->json,
							 "next_cursor"));
		if (next == NULL) {
			t_reply_free(r);
			break;
		}
		snprintf(path, sizeof(path), "/api/v1/assets?limit=3&cursor=%s",
			 next);
		t_reply_free(r);
		ck_assert_int_lt(pages, 10);
	}
	ck_assert_int_eq(seen, 7);
	ck_assert_int_eq(pages, 3);
}
END_TEST

START_TEST(unknown_path_and_method)
{
	struct reply *r;

	assert_problem(t_json("GET", "/api/v1/nothing-here", NULL, NULL), 404);
	assert_problem(t_json("GET", "/api/v1/assets/x/y/z", NULL, NULL), 404);
	r = t_json("DELETE", "/api/v1/assets", NULL, NULL);
	ck_assert_str_eq(r->allow, "GET, POST");
	assert_problem(r, 405);
	assert_still_serving();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("foundation");
	TCase *tc = tcase_create("slice");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, health_and_readiness_through_nginx);
	tcase_add_test(tc, no_token_is_401_problem);
	tcase_add_test(tc, bad_tokens_are_401);
	tcase_add_test(tc, create_then_list);
	tcase_add_test(tc, tenants_never_see_each_other);
	tcase_add_test(tc, viewer_cannot_create);
	tcase_add_test(tc, bad_bodies_are_refused_and_nothing_changes);
	tcase_add_test(tc, oversize_body_is_413);
	tcase_add_test(tc, query_whitelist);
	tcase_add_test(tc, keyset_paging_visits_every_row_once);
	tcase_add_test(tc, unknown_path_and_method);
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
