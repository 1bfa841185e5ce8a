/*
 * Unit tests for common/errors: the SQLSTATE-to-HTTP table (full codes,
 * two-character classes, the platform's IS<status> codes, unknown codes)
 * and errors_from_db for a connection that never produced a SQLSTATE.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "errors.h"
#include "http.h"

static const struct {
	const char *state;
	int status;
} cases[] = {
	/* integrity constraints */
	{"23505", 409}, /* unique_violation */
	{"23503", 422}, /* foreign_key_violation */
	{"23502", 422}, /* not_null_violation */
	{"23514", 422}, /* check_violation */
	{"23P01", 409}, /* exclusion_violation */
	/* class 22, data exceptions */
	{"22P02", 422}, /* invalid_text_representation */
	{"22001", 422}, /* string_data_right_truncation */
	{"22008", 422}, /* datetime_field_overflow */
	/* privileges and read-only transactions */
	{"25006", 403}, /* read_only_sql_transaction */
	{"42501", 403}, /* insufficient_privilege */
	/* concurrency */
	{"40001", 409}, /* serialization_failure */
	{"40P01", 409}, /* deadlock_detected */
	{"55P03", 409}, /* lock_not_available */
	/* availability */
	{"08006", 503}, /* connection_failure */
	{"08001", 503},
	{"57014", 503}, /* query_canceled (statement_timeout) */
	{"57P01", 503}, /* admin_shutdown */
	{"53300", 503}, /* too_many_connections */
	/* raised by the platform's SQL functions */
	{"IS404", 404},
	{"IS422", 422},
	{"IS409", 409},
	{"IS400", 400},
	{"IS412", 412},
	{"IS499", 499},
	/* not statuses a SQL function may choose: a 500 */
	{"ISxyz", 500},
	{"IS42x", 500},
	{"IS 42", 500},
	{"IS-44", 500},
	{"IS200", 500},
	{"IS399", 500},
	{"IS500", 500},
	{"IS4040", 500},
	{"IS40", 500},
	{"IS", 500},
	/* unknown */
	{"42P01", 500}, /* undefined_table: a bug, never the client's fault */
	{"42703", 500}, /* undefined_column */
	{"XX000", 500}, /* internal_error */
	{"2350", 500},  /* a prefix of a full code is not that code */
	{"", 500},
};

START_TEST(test_status_table)
{
	int got = errors_status(cases[_i].state);

	ck_assert_msg(got == cases[_i].status,
		      "errors_status(\"%s\") = %d, "
		      "want %d",
		      cases[_i].state, got, cases[_i].status);
}
END_TEST

START_TEST(test_from_db_without_sqlstate_is_unavailable)
{
	struct arena a;
	struct response res;
	struct db *db;

	arena_init(&a, 0);
	response_init(&res, &a);
	/* Never connected: no SQLSTATE, so the database is unreachable. */
	db = db_new("host=/nonexistent dbname=none");
	ck_assert_ptr_nonnull(db);
	ck_assert_str_eq(db_sqlstate(db), "");
	ck_assert_int_eq(errors_from_db(&res, db), 503);
	ck_assert_int_eq(res.status, 503);
	ck_assert_str_eq(res.problem_slug, "unavailable");
	ck_assert_ptr_nonnull(res.problem_detail);
	ck_assert_ptr_nonnull(strstr(res.problem_detail, "unreachable"));
	/* The reason is logged, never sent: it points at db's message. */
	ck_assert_ptr_eq(res.log_reason, db_error(db));
	response_release(&res);
	db_free(db);
	arena_free(&a);
}
END_TEST

static Suite *
errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("status");
	TCase *db = tcase_create("from_db");

	tcase_add_loop_test(tc, test_status_table, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	tcase_add_test(db, test_from_db_without_sqlstate_is_unavailable);
	suite_add_tcase(s, db);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(errors_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
