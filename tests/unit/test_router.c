/*
 * Unit tests for common/router: literal and {name} segments, 404 versus
 * 405 with the allowed methods, captured path parameters, paths that must
 * not match (trailing slash, empty segment, extra or missing segments),
 * table order, and the Allow header text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "router.h"

static int
h_list(struct request *r, struct response *res)
{
	(void)r;
	(void)res;
	return 200;
}

static int
h_create(struct request *r, struct response *res)
{
	(void)r;
	(void)res;
	return 201;
}

static int
h_item(struct request *r, struct response *res)
{
	(void)r;
	(void)res;
	return 200;
}

static int
h_link(struct request *r, struct response *res)
{
	(void)r;
	(void)res;
	return 204;
}

static int
h_root(struct request *r, struct response *res)
{
	(void)r;
	(void)res;
	return 200;
}

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/risks", h_list, ROLES_READ, NULL, 0},
	{HTTP_POST, "/api/v1/risks", h_create, ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET | HTTP_HEAD, "/api/v1/risks/matrix", h_list, ROLES_READ, NULL,
	 0},
	{HTTP_GET, "/api/v1/risks/{id}", h_item, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/risks/{id}", h_item, ROLES_WRITE, NULL, 0},
	{HTTP_DELETE, "/api/v1/risks/{id}", h_item, ROLES_ADMIN, NULL, 0},
	{HTTP_PUT | HTTP_DELETE, "/api/v1/risks/{id}/controls/{control}",
	 h_link, ROLES_WRITE, NULL, 0},
	{HTTP_GET, "/", h_root, 0, NULL, ROUTE_PUBLIC},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static struct arena A;
static struct request R;

static void
setup(void)
{
	arena_init(&A, 1024);
	request_init(&R, &A);
}

static void
teardown(void)
{
	request_release(&R);
	arena_free(&A);
}

static enum route_match
match(unsigned method, const char *path, const struct route **rt,
      unsigned *allow)
{
	request_init(&R, &A);
	R.method = method;
	R.path = path;
	*rt = NULL;
	return router_match(routes, NROUTES, &R, rt, allow);
}

START_TEST(test_literal_routes)
{
	const struct route *rt;
	unsigned allow = 123;

	ck_assert_int_eq(match(HTTP_GET, "/api/v1/risks", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[0]);
	ck_assert_uint_eq(R.nparams, 0);
	ck_assert_int_eq(match(HTTP_POST, "/api/v1/risks", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[1]);
	ck_assert_int_eq(match(HTTP_HEAD, "/api/v1/risks/matrix", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[2]);
	ck_assert_int_eq(match(HTTP_GET, "/", &rt, &allow), ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[7]);
}
END_TEST

START_TEST(test_literal_before_placeholder_by_table_order)
{
	const struct route *rt;
	unsigned allow;

	/* "matrix" is listed before {id}, so it wins for GET ... */
	ck_assert_int_eq(match(HTTP_GET, "/api/v1/risks/matrix", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[2]);
	ck_assert_uint_eq(R.nparams, 0);
	/* ... while PATCH falls through to the {id} route. */
	ck_assert_int_eq(match(HTTP_PATCH, "/api/v1/risks/matrix", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[4]);
	ck_assert_uint_eq(R.nparams, 1);
	ck_assert_str_eq(R.params[0], "matrix");
}
END_TEST

START_TEST(test_params_captured)
{
	const struct route *rt;
	unsigned allow;
	static const char id[] = "0b7e4bbb-6f43-4b5e-9d7b-2b3c5f9e1a11";
	char path[128];

	strcpy(path, "/api/v1/risks/");
	strcat(path, id);
	ck_assert_int_eq(match(HTTP_GET, path, &rt, &allow), ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[3]);
	ck_assert_uint_eq(R.nparams, 1);
	ck_assert_str_eq(R.params[0], id);
	/* A copy in the arena, not a pointer into the path. */
	ck_assert(R.params[0] < path || R.params[0] >= path + sizeof(path));

	ck_assert_int_eq(
		match(HTTP_PUT, "/api/v1/risks/r-1/controls/c-2", &rt, &allow),
		ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[6]);
	ck_assert_uint_eq(R.nparams, 2);
	ck_assert_str_eq(R.params[0], "r-1");
	ck_assert_str_eq(R.params[1], "c-2");

	/* Segments are taken as they are, undecoded. */
	ck_assert_int_eq(match(HTTP_DELETE, "/api/v1/risks/a%2Fb", &rt, &allow),
			 ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &routes[5]);
	ck_assert_str_eq(R.params[0], "a%2Fb");
}
END_TEST

START_TEST(test_not_found)
{
	static const char *const paths[] = {
		"/api/v1/risks/",            /* trailing slash */
		"/api/v1/risks/x/",          /* trailing slash after {id} */
		"/api/v1/risks//controls/c", /* empty {id} */
		"/api/v1/risks/r//c",
		"/api/v1/risks/r/controls/", /* empty {control} */
		"/api/v1/risks/r/controls",
		"/api/v1/risks/r/controls/c/d",
		"/api/v1//risks",
		"//api/v1/risks",
		"/api/v1/risk",
		"/api/v1/riskss",
		"/API/v1/risks",
		"/api/v2/risks",
		"api/v1/risks",
		"",
		"//",
		"/api/v1/risks/r/x/c",
	};
	const struct route *rt;
	unsigned allow;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		allow = 99;
		ck_assert_msg(match(HTTP_GET, paths[i], &rt, &allow) ==
				      ROUTE_NOT_FOUND,
			      "\"%s\" matched", paths[i]);
		ck_assert_uint_eq(allow, 0);
		ck_assert_ptr_null(rt);
	}
	/* No path at all. */
	request_init(&R, &A);
	R.method = HTTP_GET;
	ck_assert_int_eq(router_match(routes, NROUTES, &R, &rt, &allow),
			 ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(test_method_not_allowed)
{
	const struct route *rt;
	unsigned allow;

	ck_assert_int_eq(match(HTTP_DELETE, "/api/v1/risks", &rt, &allow),
			 ROUTE_BAD_METHOD);
	ck_assert_uint_eq(allow, HTTP_GET | HTTP_POST);
	ck_assert_ptr_null(rt);

	ck_assert_int_eq(match(HTTP_POST, "/api/v1/risks/abc", &rt, &allow),
			 ROUTE_BAD_METHOD);
	ck_assert_uint_eq(allow, HTTP_GET | HTTP_PATCH | HTTP_DELETE);

	ck_assert_int_eq(
		match(HTTP_GET, "/api/v1/risks/r/controls/c", &rt, &allow),
		ROUTE_BAD_METHOD);
	ck_assert_uint_eq(allow, HTTP_PUT | HTTP_DELETE);

	/* "matrix" matches both its literal route and {id}. */
	ck_assert_int_eq(match(HTTP_POST, "/api/v1/risks/matrix", &rt, &allow),
			 ROUTE_BAD_METHOD);
	ck_assert_uint_eq(allow,
			  HTTP_GET | HTTP_HEAD | HTTP_PATCH | HTTP_DELETE);

	/* An unknown method (0) is a 405 on an existing path. */
	ck_assert_int_eq(match(0, "/api/v1/risks", &rt, &allow),
			 ROUTE_BAD_METHOD);
	ck_assert_uint_eq(allow, HTTP_GET | HTTP_POST);
	/* ... and still a 404 elsewhere. */
	ck_assert_int_eq(match(0, "/nowhere", &rt, &allow), ROUTE_NOT_FOUND);
	ck_assert_uint_eq(allow, 0);
}
END_TEST

START_TEST(test_too_many_params)
{
	static const struct route deep[] = {
		{HTTP_GET, "/{a}/{b}/{c}/{d}/{e}", h_root, 0, NULL, 0},
		{HTTP_GET, "/{a}/{b}/{c}/{d}", h_root, 0, NULL, 0},
	};
	const struct route *rt = NULL;
	unsigned allow;

	request_init(&R, &A);
	R.method = HTTP_GET;
	R.path = "/1/2/3/4/5";
	/* Five placeholders exceed HTTP_MAX_PARAMS: never matched. */
	ck_assert_int_eq(router_match(deep, 2, &R, &rt, &allow),
			 ROUTE_NOT_FOUND);
	R.path = "/1/2/3/4";
	ck_assert_int_eq(router_match(deep, 2, &R, &rt, &allow), ROUTE_FOUND);
	ck_assert_ptr_eq(rt, &deep[1]);
	ck_assert_uint_eq(R.nparams, HTTP_MAX_PARAMS);
	ck_assert_str_eq(R.params[3], "4");
}
END_TEST

START_TEST(test_allow_header)
{
	char buf[64];

	router_allow_header(HTTP_GET | HTTP_POST, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET, POST");
	router_allow_header(HTTP_GET, buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET");
	router_allow_header(HTTP_DELETE | HTTP_PATCH | HTTP_GET, buf,
			    sizeof(buf));
	ck_assert_str_eq(buf, "GET, PATCH, DELETE");
	router_allow_header(HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_PATCH |
				    HTTP_DELETE | HTTP_HEAD | HTTP_OPTIONS,
			    buf, sizeof(buf));
	ck_assert_str_eq(buf, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
	router_allow_header(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* Bits beyond the known methods are ignored. */
	router_allow_header(HTTP_PUT | (1u << 20), buf, sizeof(buf));
	ck_assert_str_eq(buf, "PUT");
}
END_TEST

START_TEST(test_allow_header_truncates)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	router_allow_header(HTTP_GET | HTTP_POST | HTTP_DELETE, buf,
			    sizeof(buf));
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
	ck_assert_str_eq(buf, "GET, PO");
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("match");
	TCase *allow = tcase_create("allow");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_literal_routes);
	tcase_add_test(tc, test_literal_before_placeholder_by_table_order);
	tcase_add_test(tc, test_params_captured);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_method_not_allowed);
	tcase_add_test(tc, test_too_many_params);
	suite_add_tcase(s, tc);

	tcase_add_test(allow, test_allow_header);
	tcase_add_test(allow, test_allow_header_truncates);
	suite_add_tcase(s, allow);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(router_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
