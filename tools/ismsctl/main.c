/*
 * ismsctl entry point: settings, the subcommand table, and what the
 * subcommands share: the owner connection, strict option parsing, usage
 * and JSON output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ismsctl.h"

struct command {
	const char *name;
	const char *verb; /* NULL: the command has no verb */
	int (*run)(int, char **);
	const char *args;
	const char *about;
};

static const struct command commands[] = {
	{"migrate", NULL, ctl_migrate, "", "apply pending migrations"},
	{"tenant", "create", ctl_tenant_create,
	 "--name NAME --slug SLUG --admin-email EMAIL --admin-password-stdin",
	 "create a tenant and its first admin; the password is the first "
	 "line of stdin"},
	{"tenant", "list", ctl_tenant_list, "",
	 "the tenants with their member counts, as JSON"},
	{"keys", "rotate", ctl_keys_rotate, "[--keep N]",
	 "new JWT signing key; keeps the newest N key pairs (default 2)"},
	{"keys", "list", ctl_keys_list, "", "the JWT keys, as JSON"},
};

/* The subcommand that runs, for ctl_usage(). */
static const struct command *current;

PGconn *
ctl_connect(void)
{
	const char *url = getenv("ISMS_ADMIN_DATABASE_URL");
	PGconn *conn;

	if (url == NULL || *url == '\0') {
		fprintf(stderr, "ismsctl: ISMS_ADMIN_DATABASE_URL is not set "
				"(source var/isms.env or set ISMS_ENV_FILE)\n");
		return NULL;
	}
	conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "ismsctl: cannot connect: %s",
			PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQclear(PQexec(conn, "SET client_min_messages = warning; "
			     "SET TimeZone = 'UTC'"));
	return conn;
}

bool
ctl_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

void
ctl_db_error(PGconn *conn, const PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";

	fprintf(stderr, "ismsctl: %s: %s", what,
		*msg != '\0' ? msg : PQerrorMessage(conn));
}

static void
print_command(const struct command *c)
{
	fprintf(stderr, "%s%s%s%s%s", c->name, c->verb ? " " : "",
		c->verb ? c->verb : "", *c->args ? " " : "", c->args);
}

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: ismsctl COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(stderr, "  ");
		print_command(&commands[i]);
		fprintf(stderr, "\n      %s\n", commands[i].about);
	}
	fprintf(stderr, "\nSettings come from the environment, or from the "
			"file in ISMS_ENV_FILE\n(default var/isms.env when "
			"present).\n");
	return 2;
}

int
ctl_usage(void)
{
	if (current == NULL)
		return usage();
	fprintf(stderr, "usage: ismsctl ");
	print_command(current);
	fprintf(stderr, "\n  %s\n", current->about);
	return 2;
}

static bool
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
	       strcmp(arg, "help") == 0;
}

/* Never echoes a value: a mistyped option may carry a secret. */
int
ctl_options(int argc, char **argv, struct ctl_option *opts, size_t n)
{
	const char *arg, *eq;
	size_t i, len;
	int k;

	for (k = 1; k < argc; k++) {
		arg = argv[k];
		if (is_help(arg))
			return ctl_usage();
		eq = strchr(arg, '=');
		len = eq ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < n; i++)
			if (strlen(opts[i].name) == len &&
			    strncmp(arg, opts[i].name, len) == 0)
				break;
		if (strncmp(arg, "--", 2) != 0 || i == n) {
			fprintf(stderr, "ismsctl: unknown %s '%.*s'\n",
				strncmp(arg, "-", 1) == 0 ? "option"
							  : "argument",
				(int)len, arg);
			return ctl_usage();
		}
		if (opts[i].seen) {
			fprintf(stderr, "ismsctl: %s is given twice\n",
				opts[i].name);
			return ctl_usage();
		}
		opts[i].seen = true;
		if (!opts[i].takes_value) {
			if (eq == NULL)
				continue;
			fprintf(stderr, "ismsctl: %s takes no value\n",
				opts[i].name);
			return ctl_usage();
		}
		if (eq != NULL) {
			opts[i].value = eq + 1;
		} else if (k + 1 < argc && strncmp(argv[k + 1], "--", 2) != 0) {
			opts[i].value = argv[++k];
		} else {
			fprintf(stderr, "ismsctl: %s needs a value\n",
				opts[i].name);
			return ctl_usage();
		}
	}
	for (i = 0; i < n; i++)
		if (opts[i].required && !opts[i].seen) {
			fprintf(stderr, "ismsctl: %s is required\n",
				opts[i].name);
			return ctl_usage();
		}
	return 0;
}

int
ctl_print_json(json_t *v)
{
	int rc = 1;

	if (v == NULL) {
		fprintf(stderr, "ismsctl: out of memory\n");
		return 1;
	}
	if (json_dumpf(v, stdout, JSON_INDENT(2)) == 0 &&
	    fputc('\n', stdout) != EOF && fflush(stdout) == 0)
		rc = 0;
	else
		fprintf(stderr, "ismsctl: cannot write the output\n");
	json_decref(v);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("ISMS_ENV_FILE");
	const struct command *c;
	size_t i;

	if (argc < 2 || is_help(argv[1]))
		return usage();
	if (env != NULL && config_read_env_file(env) != 0) {
		fprintf(stderr, "ismsctl: cannot read %s\n", env);
		return 2;
	}
	if (env == NULL)
		config_read_env_file("var/isms.env");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		c = &commands[i];
		if (strcmp(argv[1], c->name) != 0)
			continue;
		current = c;
		if (c->verb == NULL)
			return c->run(argc - 1, argv + 1);
		if (argc > 2 && strcmp(argv[2], c->verb) == 0)
			return c->run(argc - 2, argv + 2);
	}
	if (current == NULL)
		fprintf(stderr, "ismsctl: unknown command '%s'\n", argv[1]);
	else if (argc > 2)
		fprintf(stderr, "ismsctl: unknown command '%s %s'\n", argv[1],
			argv[2]);
	else
		fprintf(stderr, "ismsctl: '%s' needs a subcommand\n", argv[1]);
	current = NULL;
	return usage();
}
