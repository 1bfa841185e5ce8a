/*
 * ismsctl tenant create: a tenant and its first admin, in one transaction.
 * The admin is a global identity (users has no tenant): a new one gets the
 * password read from stdin, hashed with argon2id; an existing one keeps
 * its own, which the given password must match.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "ismsctl.h"
#include "password.h"
#include "validate.h"

/* Up to 4 bytes a character, a CR, and the terminating NUL. */
#define PASSWORD_LINE_MAX (PASSWORD_MAX_CHARS * 4 + 2)

/* What the activity log records as the request of the operator's changes. */
static const char request_id[] = "ismsctl tenant create";

/*
 * FORCE ROW LEVEL SECURITY holds the owner to the policies too: tenants
 * has an owner policy, but memberships only the tenant one, so the
 * context names the new tenant before anything is written.
 */
static const char q_context[] =
	"SELECT set_config('app.tenant_id', gen_random_uuid()::text, true),"
	" set_config('app.request_id', $1, true)";

static const char q_insert_tenant[] =
	"INSERT INTO tenants (id, slug, name) VALUES (app_tenant_id(), $1, $2)"
	" RETURNING id, slug, name, created_at";

/* Locked, so the identity cannot be disabled or changed under us. */
static const char q_find_user[] =
	"SELECT id, email, password_hash, disabled_at IS NOT NULL"
	" FROM users WHERE lower(email) = lower($1) FOR UPDATE";

static const char q_insert_user[] =
	"INSERT INTO users (email, password_hash) VALUES ($1, $2)"
	" RETURNING id, email";

static const char q_insert_admin[] =
	"INSERT INTO memberships (tenant_id, user_id, role)"
	" VALUES (app_tenant_id(), $1::uuid, 'admin')";

/* The same limits the API applies, keyed by option name. */
static const struct field fields[] = {
	{"--name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"--slug", FIELD_STRING, FIELD_REQUIRED, 2, 63, NULL},
	{"--admin-email", FIELD_STRING, FIELD_REQUIRED, 3, 320, NULL},
};

enum { OPT_NAME, OPT_SLUG, OPT_EMAIL, OPT_PASSWORD_STDIN, OPT_COUNT };

/* Refusals the schema's constraints give, in the operator's words. */
static const struct {
	const char *sqlstate;
	const char *constraint;
	int option; /* whose value the message names */
	const char *message;
	const char *hint;
} refusals[] = {
	{"23505", "tenants_slug_key", OPT_SLUG, "slug already exists",
	 "tenant slugs are unique; choose another"},
	{"23514", "tenants_slug_check", OPT_SLUG, "invalid slug",
	 "a slug has 2 to 63 lowercase letters, digits and hyphens, starts "
	 "with a letter or digit, and is not shaped like a UUID"},
	{"23514", "tenants_name_check", OPT_NAME, "invalid name",
	 "a name has 1 to 200 characters"},
	{"23514", "users_email_check", OPT_EMAIL, "invalid email",
	 "an email address has an @ with text on both sides"},
	{"23505", "users_email_key", OPT_EMAIL,
	 "a user with this email was created at the same time",
	 "run the command again"},
};

static void
refused(PGconn *conn, const PGresult *res, const struct ctl_option *opts,
	const char *what)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *constraint =
		PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	size_t i;

	for (i = 0;
	     state && constraint && i < sizeof(refusals) / sizeof(refusals[0]);
	     i++)
		if (strcmp(state, refusals[i].sqlstate) == 0 &&
		    strcmp(constraint, refusals[i].constraint) == 0) {
			fprintf(stderr, "ismsctl: %s: %s\nismsctl: %s\n",
				refusals[i].message,
				opts[refusals[i].option].value,
				refusals[i].hint);
			return;
		}
	ctl_db_error(conn, res, what);
}

/* The API's field rules, and valid UTF-8 (json_string refuses other). */
static int
check_options(const struct ctl_option *opts)
{
	struct response res;
	struct arena a;
	json_t *body, *v, *e;
	size_t i;
	int rc = -1;

	arena_init(&a, 1024);
	response_init(&res, &a);
	body = json_object();
	if (body == NULL)
		goto out;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = json_string(opts[i].value);
		if (v == NULL) {
			fprintf(stderr, "ismsctl: %s is not valid UTF-8\n",
				opts[i].name);
			goto out;
		}
		json_object_set_new(body, opts[i].name, v);
	}
	validate_object(&res, body, fields, sizeof(fields) / sizeof(fields[0]),
			VALIDATE_CREATE);
	json_array_foreach (res.problem_errors, i, e) {
		fprintf(stderr, "ismsctl: %s %s\n",
			json_string_value(json_object_get(e, "field")),
			json_string_value(json_object_get(e, "message")));
	}
	if (json_array_size(res.problem_errors) == 0)
		rc = 0;
out:
	json_decref(body);
	response_release(&res);
	arena_free(&a);
	return rc;
}

/*
 * Reads the first line of stdin, without its line break, a byte at a
 * time: nothing past the line is consumed and no stdio buffer keeps a
 * copy. On a terminal the typing is not echoed. Returns 0, or -1 after
 * a message.
 */
static int
read_password(char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty;
	size_t n = 0;
	ssize_t r;
	char c;
	int rc = -1;

	tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		fprintf(stderr, "admin password: ");
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	for (;;) {
		r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (c == '\0') {
			fprintf(stderr, "ismsctl: the password holds a NUL "
					"byte\n");
			goto out;
		}
		if (n + 1 >= size) {
			fprintf(stderr,
				"ismsctl: the password is longer than "
				"%d characters\n",
				PASSWORD_MAX_CHARS);
			goto out;
		}
		buf[n++] = c;
	}
	if (r < 0) {
		fprintf(stderr, "ismsctl: cannot read stdin: %s\n",
			strerror(errno));
		goto out;
	}
	/* A line from a file saved with CRLF line ends. */
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "ismsctl: no password on stdin (the first "
				"line is the password)\n");
		goto out;
	}
	rc = 0;
out:
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return rc;
}

static int
check_password(const char *pw)
{
	const char *why;
	json_t *utf8;

	/* Sign-in takes the password in JSON, which must be UTF-8. */
	utf8 = json_string(pw);
	if (utf8 == NULL) {
		fprintf(stderr, "ismsctl: the password is not valid UTF-8\n");
		return -1;
	}
	json_decref(utf8);
	why = password_policy(pw);
	if (why != NULL) {
		fprintf(stderr, "ismsctl: the admin password %s\n", why);
		return -1;
	}
	return 0;
}

/* Runs one statement; the result, or NULL after explaining the failure. */
static PGresult *
run(PGconn *conn, const char *sql, int n, const char *const *params,
    const struct ctl_option *opts, const char *what)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (ctl_ok(res))
		return res;
	refused(conn, res, opts, what);
	PQclear(res);
	return NULL;
}

int
ctl_tenant_create(int argc, char **argv)
{
	struct ctl_option opts[OPT_COUNT] = {
		[OPT_NAME] = {.name = "--name",
			      .takes_value = true,
			      .required = true},
		[OPT_SLUG] = {.name = "--slug",
			      .takes_value = true,
			      .required = true},
		[OPT_EMAIL] = {.name = "--admin-email",
			       .takes_value = true,
			       .required = true},
		[OPT_PASSWORD_STDIN] = {.name = "--admin-password-stdin",
					.required = true},
	};
	char password[PASSWORD_LINE_MAX], hash[PASSWORD_ENCODED_MAX];
	PGresult *tenant = NULL, *user = NULL, *res = NULL;
	const char *params[2];
	enum password_result pw;
	PGconn *conn = NULL;
	json_t *out;
	int rc;

	memset(password, 0, sizeof(password));
	memset(hash, 0, sizeof(hash));
	rc = ctl_options(argc, argv, opts, OPT_COUNT);
	if (rc != 0)
		return rc;
	rc = 1;
	if (check_options(opts) != 0 ||
	    read_password(password, sizeof(password)) != 0 ||
	    check_password(password) != 0)
		goto out;

	conn = ctl_connect();
	if (conn == NULL)
		goto out;
	/* Every failure below leaves through PQfinish, which rolls back. */
	params[0] = request_id;
	if ((res = run(conn, "BEGIN", 0, NULL, opts, "begin")) == NULL)
		goto out;
	PQclear(res);
	if ((res = run(conn, q_context, 1, params, opts, "tenant context")) ==
	    NULL)
		goto out;
	params[0] = opts[OPT_SLUG].value;
	params[1] = opts[OPT_NAME].value;
	tenant = run(conn, q_insert_tenant, 2, params, opts, "create tenant");
	if (tenant == NULL)
		goto out;

	params[0] = opts[OPT_EMAIL].value;
	user = run(conn, q_find_user, 1, params, opts, "find user");
	if (user == NULL)
		goto out;
	if (PQntuples(user) == 1) {
		/*
		 * The identity exists (users are global: one auditor, many
		 * tenants) and keeps its password. Setting the given one
		 * instead would let whoever runs this command take over the
		 * identity, and with it every tenant it belongs to, just by
		 * creating a tenant in its name. Ignoring the given password
		 * would bind someone else's identity to a tenant without
		 * their say and report a sign-in that does not work. So the
		 * caller proves they hold the identity: the password must
		 * be its current one.
		 */
		if (strcmp(PQgetvalue(user, 0, 3), "t") == 0) {
			fprintf(stderr, "ismsctl: the user %s is disabled\n",
				PQgetvalue(user, 0, 1));
			goto out;
		}
		pw = password_verify(
			PQgetisnull(user, 0, 2) ? NULL : PQgetvalue(user, 0, 2),
			password);
		if (pw != PASSWORD_OK) {
			fprintf(stderr,
				"ismsctl: a user with the email %s exists and "
				"keeps its own password; the password given "
				"is not it\nismsctl: give that user's current "
				"password, or another email\n",
				PQgetvalue(user, 0, 1));
			goto out;
		}
	} else {
		if (password_hash(password, hash) != PASSWORD_OK) {
			fprintf(stderr, "ismsctl: cannot hash the password\n");
			goto out;
		}
		params[1] = hash;
		PQclear(user);
		user = run(conn, q_insert_user, 2, params, opts, "create user");
		if (user == NULL)
			goto out;
	}

	PQclear(res);
	params[0] = PQgetvalue(user, 0, 0);
	if ((res = run(conn, q_insert_admin, 1, params, opts,
		       "create membership")) == NULL)
		goto out;
	PQclear(res);
	if ((res = run(conn, "COMMIT", 0, NULL, opts, "commit")) == NULL)
		goto out;

	out = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:o}", "id",
		PQgetvalue(tenant, 0, 0), "slug", PQgetvalue(tenant, 0, 1),
		"name", PQgetvalue(tenant, 0, 2), "admin_user_id",
		PQgetvalue(user, 0, 0), "admin_email", PQgetvalue(user, 0, 1),
		"created_at", db_value_json(tenant, 0, 3));
	rc = ctl_print_json(out);
out:
	explicit_bzero(password, sizeof(password));
	explicit_bzero(hash, sizeof(hash));
	PQclear(res);
	PQclear(user);
	PQclear(tenant);
	PQfinish(conn);
	return rc;
}
