/*
 * ismsctl: the platform operator's command line. Each subcommand lives in
 * its own file and connects as the owner role (ISMS_ADMIN_DATABASE_URL);
 * main.c names them in one table and holds what they share: the owner
 * connection, strict option parsing, usage, JSON output.
 */
#ifndef ISMSCTL_H
#define ISMSCTL_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "auth.h"

/*
 * Opens the owner connection (TimeZone UTC, so that db_row_json writes
 * RFC 3339 UTC) or prints why not; NULL on failure.
 */
PGconn *ctl_connect(void);

/* True when res is a successful command or query result. */
bool ctl_ok(const PGresult *res);
/* Prints "ismsctl: what: <the server's message>". */
void ctl_db_error(PGconn *conn, const PGresult *res, const char *what);

/* One option of a subcommand; ctl_options() fills value and seen. */
struct ctl_option {
	const char *name; /* "--name" */
	bool takes_value; /* "--name VALUE" or "--name=VALUE" */
	bool required;
	const char *value;
	bool seen;
};

/*
 * Parses argv[1..argc-1] against opts. An unknown, repeated or missing
 * option, a missing value, a value given to a flag, or any other word is
 * a usage error: prints why and the subcommand's usage, returns 2.
 * --help prints the usage and returns 2 too. Returns 0 otherwise.
 */
int ctl_options(int argc, char **argv, struct ctl_option *opts, size_t n);

/* Prints the running subcommand's usage on stderr; returns 2. */
int ctl_usage(void);

/* Prints v (stolen) as JSON on stdout; 0, or 1 after a message. */
int ctl_print_json(json_t *v);

/* keys.c: the JWT key directory. */
#define CTL_KID_LEN 17 /* "k" YYYYMMDD "T" HHMMSS "Z" */

/* ISMS_JWT_KEYS_DIR, or the services' default. */
const char *ctl_keys_dir(void);
/*
 * The key pairs the services see in dir (auth_keyset_load: sorted by kid,
 * oldest first, private keys where present); an empty directory is fine.
 * Returns 0, or -1 after a message. Free with auth_keyset_free.
 */
int ctl_keys_load(struct auth_keyset *ks, const char *dir);
/* The kid of a key made at t: "k" + its UTC time. */
void ctl_kid_format(time_t t, char kid[CTL_KID_LEN + 1]);
/* When a kid of that form says its key was made; false for other kids. */
bool ctl_kid_time(const char *kid, time_t *out);
/* That time as an RFC 3339 string, or JSON null. New reference. */
json_t *ctl_kid_created_at(const char *kid);

int ctl_migrate(int argc, char **argv);
int ctl_tenant_create(int argc, char **argv);
int ctl_tenant_list(int argc, char **argv);
int ctl_keys_rotate(int argc, char **argv);
int ctl_keys_list(int argc, char **argv);

#endif
