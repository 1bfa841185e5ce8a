/*
 * hostile_routes: prints every route every service serves, from the
 * services' own tables, as JSON for the hostile sweep (sweep.mjs):
 *   {"routes": [{"service", "method", "path", "roles", "flags", "query",
 *                "index"}], ...}
 * "index" is the route's position over all services in table order (the
 * fuzz targets' numbering). With --fixture it also creates, through the
 * test support (tests/support/client.c), two tenants with an admin, an
 * editor and a viewer each and prints a token for each of them:
 *   "tenant": {"id", "admin_id", "admin", "editor", "viewer"},
 *   "other": {...}
 * With --reset-throttle it forgets the failed sign-ins the sweep caused
 * from 127.0.0.1 (t_login_throttle_reset), so later suites can sign in.
 * Needs ISMS_ENV_FILE (the running stack) with either option.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "services.h"

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{ROUTE_PUBLIC, "public"}, {ROUTE_JSON, "json"}, {ROUTE_NO_DB, "no_db"},
	{ROUTE_BODY, "body"},     {ROUTE_BULK, "bulk"}, {ROUTE_RW, "rw"},
};

static const struct {
	unsigned role;
	const char *name;
} role_names[] = {
	{ROLE_ADMIN, "admin"},
	{ROLE_EDITOR, "editor"},
	{ROLE_VIEWER, "viewer"},
	{ROLE_AUDITOR, "auditor"},
};

static json_t *
route_json(const struct service *svc, const struct route *rt, size_t index,
	   unsigned method)
{
	json_t *flags = json_array(), *roles = json_array();
	json_t *query = json_array();
	const char *const *k;
	size_t i;

	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (rt->flags & flag_names[i].flag)
			json_array_append_new(flags,
					      json_string(flag_names[i].name));
	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (rt->roles & role_names[i].role)
			json_array_append_new(roles,
					      json_string(role_names[i].name));
	for (k = rt->query; k != NULL && *k != NULL; k++)
		json_array_append_new(query, json_string(*k));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "service",
			 svc->name, "method", http_method_name(method), "path",
			 rt->pattern, "roles", roles, "flags", flags, "query",
			 query, "index", (json_int_t)index);
}

static json_t *
tenant_json(const char *prefix)
{
	struct t_tenant t;
	char editor[37], viewer[37];

	t_tenant_create(&t, prefix);
	t_member_create(&t, "editor", editor);
	t_member_create(&t, "viewer", viewer);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", t.id, "admin_id",
			 t.admin_id, "admin",
			 t_token(t.id, t.admin_id, "admin"), "editor",
			 t_token(t.id, editor, "editor"), "viewer",
			 t_token(t.id, viewer, "viewer"));
}

static json_t *out;
static const char *mode;

/* The support code asserts with Check, so it runs inside a test. */
START_TEST(fixture)
{
	t_setup();
	if (strcmp(mode, "--reset-throttle") == 0) {
		t_login_throttle_reset();
		return;
	}
	json_object_set_new(out, "tenant", tenant_json("hostile"));
	json_object_set_new(out, "other", tenant_json("hostile-other"));
}
END_TEST

static int
run_fixture(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("fixture");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, fixture);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	/* Check's report goes to stderr: stdout carries the JSON. */
	srunner_set_log(sr, NULL);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	if (failed) {
		TestResult **r = srunner_failures(sr);

		fprintf(stderr, "hostile_routes: %s\n", tr_msg(r[0]));
		free(r);
	}
	srunner_free(sr);
	return failed;
}

int
main(int argc, char **argv)
{
	json_t *routes = json_array();
	const struct service *svc;
	size_t i, j, index = 0;
	unsigned m;
	char *text;

	for (i = 0; (svc = test_service(i)) != NULL; i++)
		for (j = 0; j < svc->nroutes; j++, index++)
			for (m = 1; m <= HTTP_OPTIONS; m <<= 1)
				if (svc->routes[j].method & m)
					json_array_append_new(
						routes,
						route_json(svc, &svc->routes[j],
							   index, m));
	out = json_pack("{s:o}", "routes", routes);
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--fixture") != 0 &&
			 strcmp(argv[1], "--reset-throttle") != 0)) {
		fprintf(stderr, "usage: %s [--fixture|--reset-throttle]\n",
			argv[0]);
		return 2;
	}
	if (argc == 2) {
		mode = argv[1];
		if (run_fixture() != 0)
			return 1;
		if (strcmp(mode, "--reset-throttle") == 0) {
			json_decref(out);
			return 0;
		}
	}
	text = json_dumps(out, JSON_INDENT(1));
	puts(text);
	free(text);
	json_decref(out);
	return 0;
}
