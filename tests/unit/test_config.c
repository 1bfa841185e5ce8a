/*
 * Unit tests for common/config: config_int (bounds, garbage, overflow,
 * the message it writes), config_read_env_file (KEY='value', export
 * prefix, comments, quotes, never overriding the environment), and
 * config_load's defaults; its exit-2 paths run only in fork mode.
 */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

START_TEST(test_int_accepts_in_range)
{
	char err[256] = "";
	long v = -999;

	ck_assert_int_eq(config_int("N", "42", 1, 100, &v, err, sizeof(err)),
			 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(config_int("N", "1", 1, 100, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(config_int("N", "100", 1, 100, &v, err, sizeof(err)),
			 0);
	ck_assert_int_eq(v, 100);
	ck_assert_int_eq(config_int("N", "-5", -10, 10, &v, err, sizeof(err)),
			 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(config_int("N", "67108864", 1024, 64L * 1024 * 1024,
				    &v, err, sizeof(err)),
			 0);
	ck_assert_int_eq(v, 67108864);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_int_rejects_garbage_and_bounds)
{
	static const struct {
		const char *text;
		long min, max;
	} bad[] = {
		{"", 1, 100},
		{"12x", 1, 100},
		{"x12", 1, 100},
		{"1.5", 1, 100},
		{"0x10", 1, 100},
		{"0", 1, 100},
		{"101", 1, 100},
		{"-1", 0, 100},
		{"-5", 1, 100},
		{"99999999999999999999999", 1, LONG_MAX},
		{"-99999999999999999999999", LONG_MIN, 0},
		{"1048577", 1024, 1048576},
	};
	char err[256];
	size_t i;
	long v;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7777;
		err[0] = '\0';
		ck_assert_msg(config_int("ISMS_X", bad[i].text, bad[i].min,
					 bad[i].max, &v, err,
					 sizeof(err)) == -1,
			      "accepted \"%s\"", bad[i].text);
		/* The output is left alone and the message names the value. */
		ck_assert_int_eq(v, 7777);
		ck_assert_ptr_nonnull(strstr(err, "ISMS_X"));
		ck_assert_ptr_nonnull(strstr(err, bad[i].text));
	}
}
END_TEST

START_TEST(test_int_message)
{
	char err[256], tiny[8];
	long v;

	ck_assert_int_eq(
		config_int("ISMS_WORKERS", "12x", 1, 256, &v, err, sizeof(err)),
		-1);
	ck_assert_str_eq(err, "ISMS_WORKERS must be an integer from 1 to 256 "
			      "(got \"12x\")");
	/* A short buffer truncates instead of overflowing. */
	memset(tiny, 'Z', sizeof(tiny));
	ck_assert_int_eq(
		config_int("ISMS_WORKERS", "0", 1, 256, &v, tiny, sizeof(tiny)),
		-1);
	ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
}
END_TEST

/* A private directory with one file; removed by the caller. */
static char dir[64];
static char path[128];

static void
write_env_file(const char *text)
{
	FILE *f;

	strcpy(dir, "/tmp/isms-config-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/isms.env", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
remove_env_file(void)
{
	unlink(path);
	rmdir(dir);
}

static const char *const env_names[] = {
	"ISMS_T_SINGLE",   "ISMS_T_EXPORT", "ISMS_T_DOUBLE", "ISMS_T_PLAIN",
	"ISMS_T_EXISTING", "ISMS_T_EQ",     "ISMS_T_EMPTY",  "ISMS_T_COMMENTED",
	"ISMS_T_CRLF",     "ISMS_T_HALF",   "ISMS_T_DUP",    "ISMS_T_SPACES",
};

static void
unset_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
}

START_TEST(test_env_file)
{
	unset_all();
	ck_assert_int_eq(setenv("ISMS_T_EXISTING", "from-environment", 1), 0);
	write_env_file("# a comment line\n"
		       "#ISMS_T_COMMENTED='no'\n"
		       "\n"
		       "ISMS_T_SINGLE='hello world'\n"
		       "export ISMS_T_EXPORT='exported value'\n"
		       "ISMS_T_DOUBLE=\"double quoted\"\n"
		       "ISMS_T_PLAIN=plain\n"
		       "ISMS_T_EXISTING='from-file'\n"
		       "ISMS_T_EQ='postgresql://u@h/db?sslmode=require'\n"
		       "ISMS_T_EMPTY=''\n"
		       "ISMS_T_CRLF='dos'\r\n"
		       "ISMS_T_HALF='unbalanced\n"
		       "ISMS_T_SPACES='  padded  '\n"
		       "ISMS_T_DUP='first'\n"
		       "ISMS_T_DUP='second'\n"
		       "a line without an equals sign\n"
		       "ISMS_T_LAST='no newline at end'");
	ck_assert_int_eq(config_read_env_file(path), 0);
	remove_env_file();

	ck_assert_str_eq(getenv("ISMS_T_SINGLE"), "hello world");
	ck_assert_str_eq(getenv("ISMS_T_EXPORT"), "exported value");
	ck_assert_str_eq(getenv("ISMS_T_DOUBLE"), "double quoted");
	ck_assert_str_eq(getenv("ISMS_T_PLAIN"), "plain");
	ck_assert_str_eq(getenv("ISMS_T_EXISTING"), "from-environment");
	ck_assert_str_eq(getenv("ISMS_T_EQ"),
			 "postgresql://u@h/db?sslmode=require");
	ck_assert_str_eq(getenv("ISMS_T_EMPTY"), "");
	ck_assert_str_eq(getenv("ISMS_T_CRLF"), "dos");
	ck_assert_str_eq(getenv("ISMS_T_SPACES"), "  padded  ");
	/* An unbalanced quote is kept, not half-stripped. */
	ck_assert_str_eq(getenv("ISMS_T_HALF"), "'unbalanced");
	/* The file does not override itself either: the first one wins. */
	ck_assert_str_eq(getenv("ISMS_T_DUP"), "first");
	ck_assert_str_eq(getenv("ISMS_T_LAST"), "no newline at end");
	ck_assert_ptr_null(getenv("ISMS_T_COMMENTED"));
	ck_assert_ptr_null(getenv("a line without an equals sign"));
	unset_all();
	unsetenv("ISMS_T_LAST");
}
END_TEST

START_TEST(test_env_file_missing)
{
	ck_assert_int_eq(config_read_env_file("/nonexistent/isms.env"), -1);
}
END_TEST

static const char *const load_names[] = {
	"ISMS_DATABASE_URL", "ISMS_LISTEN",           "ISMS_JWT_KEYS_DIR",
	"ISMS_JWT_ISSUER",   "ISMS_JWT_AUDIENCE",     "ISMS_WORKERS",
	"ISMS_MAX_BODY",     "ISMS_ACCESS_TOKEN_TTL",
};

static void
clear_load_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(load_names) / sizeof(load_names[0]); i++)
		unsetenv(load_names[i]);
}

START_TEST(test_load_defaults)
{
	struct config c;

	clear_load_env();
	setenv("ISMS_LISTEN", "/run/isms/test.sock", 1);
	/* An empty value counts as unset. */
	setenv("ISMS_WORKERS", "", 1);
	config_load(&c, "isms-test");
	ck_assert_str_eq(c.service, "isms-test");
	ck_assert_str_eq(c.listen, "/run/isms/test.sock");
	ck_assert_str_eq(c.database_url, "dbname=isms");
	ck_assert_str_eq(c.keys_dir, "var/keys");
	ck_assert_str_eq(c.issuer, "isms");
	ck_assert_str_eq(c.audience, "isms-api");
	ck_assert_int_eq(c.workers, 4);
	ck_assert_uint_eq(c.max_body, 1048576);
	ck_assert_int_eq(c.token_ttl, 900);
	clear_load_env();
}
END_TEST

START_TEST(test_load_values)
{
	struct config c;

	clear_load_env();
	setenv("ISMS_LISTEN", "127.0.0.1:9000", 1);
	setenv("ISMS_DATABASE_URL", "host=db dbname=x", 1);
	setenv("ISMS_JWT_ISSUER", "iss-x", 1);
	setenv("ISMS_JWT_AUDIENCE", "aud-x", 1);
	setenv("ISMS_JWT_KEYS_DIR", "/keys", 1);
	setenv("ISMS_WORKERS", "256", 1);
	setenv("ISMS_MAX_BODY", "1024", 1);
	setenv("ISMS_ACCESS_TOKEN_TTL", "60", 1);
	config_load(&c, "svc");
	ck_assert_str_eq(c.listen, "127.0.0.1:9000");
	ck_assert_str_eq(c.database_url, "host=db dbname=x");
	ck_assert_str_eq(c.issuer, "iss-x");
	ck_assert_str_eq(c.audience, "aud-x");
	ck_assert_str_eq(c.keys_dir, "/keys");
	ck_assert_int_eq(c.workers, 256);
	ck_assert_uint_eq(c.max_body, 1024);
	ck_assert_int_eq(c.token_ttl, 60);
	clear_load_env();
}
END_TEST

/* These exit the process with status 2: only run where Check forks. */
START_TEST(test_load_exits_without_listen)
{
	struct config c;

	clear_load_env();
	config_load(&c, "isms-test");
}
END_TEST

START_TEST(test_load_exits_on_bad_workers)
{
	struct config c;

	clear_load_env();
	setenv("ISMS_LISTEN", "/tmp/x.sock", 1);
	setenv("ISMS_WORKERS", "0", 1);
	config_load(&c, "isms-test");
}
END_TEST

START_TEST(test_load_exits_on_ttl_over_limit)
{
	struct config c;

	clear_load_env();
	setenv("ISMS_LISTEN", "/tmp/x.sock", 1);
	setenv("ISMS_ACCESS_TOKEN_TTL", "901", 1);
	config_load(&c, "isms-test");
}
END_TEST

static Suite *
config_suite(bool forking)
{
	Suite *s = suite_create("config");
	TCase *ints = tcase_create("config_int");
	TCase *env = tcase_create("env_file");
	TCase *load = tcase_create("config_load");

	tcase_add_test(ints, test_int_accepts_in_range);
	tcase_add_test(ints, test_int_rejects_garbage_and_bounds);
	tcase_add_test(ints, test_int_message);
	suite_add_tcase(s, ints);

	tcase_add_test(env, test_env_file);
	tcase_add_test(env, test_env_file_missing);
	suite_add_tcase(s, env);

	tcase_add_test(load, test_load_defaults);
	tcase_add_test(load, test_load_values);
	if (forking) {
		tcase_add_exit_test(load, test_load_exits_without_listen, 2);
		tcase_add_exit_test(load, test_load_exits_on_bad_workers, 2);
		tcase_add_exit_test(load, test_load_exits_on_ttl_over_limit, 2);
	}
	suite_add_tcase(s, load);
	return s;
}

int
main(void)
{
	const char *fork_env = getenv("CK_FORK");
	bool forking = fork_env == NULL || strcmp(fork_env, "no") != 0;
	SRunner *sr = srunner_create(config_suite(forking));
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
