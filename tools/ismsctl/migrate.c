/*
 * ismsctl migrate: applies sql/migrations/NNNN_name.sql once each, in
 * order, each in its own transaction together with its record in
 * schema_migrations. A recorded file whose text changed is an error.
 */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ismsctl.h"

#define MIGRATION_LOCK "7243910"

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_migration(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return n > 9 && name[4] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static char *
slurp(const char *path)
{
	struct stat st;
	char *buf;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[st.st_size] = '\0';
	fclose(f);
	return buf;
}

static void
sha256_hex(const char *text, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int
exec_ok(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "ismsctl: %s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* Applies one file unless recorded; returns 1 applied, 0 skipped, -1. */
static int
apply(PGconn *conn, const char *dir, const char *name)
{
	char path[8192], sum[65], version[5];
	const char *params[3];
	PGresult *res;
	char *sql;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = slurp(path);
	if (sql == NULL) {
		fprintf(stderr, "ismsctl: cannot read %s\n", path);
		return -1;
	}
	sha256_hex(sql, sum);
	memcpy(version, name, 4);
	version[4] = '\0';
	params[0] = version;
	res = PQexecParams(conn,
			   "SELECT checksum FROM schema_migrations "
			   "WHERE version = $1::int",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "ismsctl: %s", PQerrorMessage(conn));
		goto out;
	}
	if (PQntuples(res) == 1) {
		rc = 0;
		if (strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
			fprintf(stderr,
				"ismsctl: %s was changed after it was applied "
				"(checksum differs); add a new migration "
				"instead\n",
				name);
			rc = -1;
		}
		goto out;
	}
	if (!exec_ok(conn, "BEGIN", name))
		goto out;
	params[1] = name;
	params[2] = sum;
	if (!exec_ok(conn, sql, name)) {
		exec_ok(conn, "ROLLBACK", name);
		goto out;
	}
	PQclear(res);
	res = PQexecParams(conn,
			   "INSERT INTO schema_migrations (version, name, "
			   "checksum) VALUES ($1::int, $2, $3)",
			   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ismsctl: %s", PQerrorMessage(conn));
		exec_ok(conn, "ROLLBACK", name);
		goto out;
	}
	if (!exec_ok(conn, "COMMIT", name))
		goto out;
	printf("applied %s\n", name);
	rc = 1;
out:
	PQclear(res);
	free(sql);
	return rc;
}

int
ctl_migrate(int argc, char **argv)
{
	const char *base = getenv("ISMS_SQL_DIR");
	char dir[4096];
	char **names = NULL, **grown;
	size_t n = 0, i;
	struct dirent *de;
	PGconn *conn;
	DIR *d;
	int rc = 1, applied = 0, r;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: ismsctl migrate\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/migrations", base ? base : "sql");
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "ismsctl: cannot open %s (set ISMS_SQL_DIR)\n",
			dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_migration(de->d_name))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL)
			break;
		names = grown;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);

	conn = ctl_connect();
	if (conn == NULL)
		goto out;
	/* Two runners at once (a container job and a person) take turns. */
	if (!exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")",
		     "lock") ||
	    !exec_ok(conn,
		     "CREATE TABLE IF NOT EXISTS schema_migrations ("
		     " version int PRIMARY KEY, name text NOT NULL,"
		     " checksum text NOT NULL,"
		     " applied_at timestamptz NOT NULL DEFAULT now())",
		     "schema_migrations"))
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && strncmp(names[i], names[i - 1], 4) == 0) {
			fprintf(stderr,
				"ismsctl: two migrations numbered %.4s\n",
				names[i]);
			goto out;
		}
		r = apply(conn, dir, names[i]);
		if (r < 0)
			goto out;
		applied += r;
	}
	printf("%d migration(s) applied, %zu known; the schema is up to date\n",
	       applied, n);
	rc = 0;
out:
	PQfinish(conn);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
