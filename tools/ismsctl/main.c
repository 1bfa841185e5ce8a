/*
 * ismsctl entry point: settings, the owner connection, subcommand table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ismsctl.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *usage;
} commands[] = {
	{"migrate", ctl_migrate, "migrate            apply pending migrations"},
};

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
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
	return conn;
}

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: ismsctl COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %s\n", commands[i].usage);
	fprintf(stderr, "\nSettings come from the environment, or from the "
			"file in ISMS_ENV_FILE\n(default var/isms.env when "
			"present).\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("ISMS_ENV_FILE");
	size_t i;

	if (env != NULL && config_read_env_file(env) != 0) {
		fprintf(stderr, "ismsctl: cannot read %s\n", env);
		return 2;
	}
	if (env == NULL)
		config_read_env_file("var/isms.env");
	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage();
}
