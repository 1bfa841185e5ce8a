/*
 * One PostgreSQL connection per worker, kept in pipeline mode so that a
 * request's BEGIN, tenant context and first statement travel in one round
 * trip. Statements are prepared lazily per connection. A lost connection
 * is reopened on the next request without restarting the service.
 * Results belong to the connection and are cleared after each request.
 */
#ifndef ISMS_DB_H
#define ISMS_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "auth.h"

struct db_stmt {
	const char *sql; /* $1..$n parameters; never built from input */
};

enum db_flags {
	DB_COMMIT = 1 << 0, /* commit in the same round trip */
};

struct db;

struct db *db_new(const char *conninfo);
void db_free(struct db *db);

/* Connects if needed; true when the connection is usable. */
bool db_connect(struct db *db);

/*
 * Queues BEGIN (READ ONLY when read_only) and the request's context:
 * app.tenant_id, app.user_id, app.role, app.request_id, all LOCAL. Nothing
 * is sent until the first db_exec.
 */
int db_begin(struct db *db, const struct principal *p, const char *request_id,
	     bool read_only);

/*
 * Runs a prepared statement inside the transaction. Returns the result
 * (owned by db until db_end) or NULL on error; db_sqlstate() then says
 * why. With DB_COMMIT the transaction is committed in the same round trip.
 */
PGresult *db_exec(struct db *db, const struct db_stmt *stmt, int nparams,
		  const char *const *values, unsigned flags);

/* Commits (or rolls back when commit is false or the transaction failed). */
int db_end(struct db *db, bool commit);

bool db_in_transaction(const struct db *db);
/* True once the transaction has reached the server. */
bool db_started(const struct db *db);
const char *db_sqlstate(const struct db *db);
const char *db_error(const struct db *db);
/* The column or constraint the last error names ("body" when none). */
const char *db_error_field(const struct db *db);
/* True when the last failure was the connection, not the statement. */
bool db_lost(const struct db *db);

/* Clears the request's results; called once after every request. */
void db_release(struct db *db);

/* Runs SELECT 1 outside any tenant context. */
bool db_ping(struct db *db);

/*
 * Converts row `row` into a JSON object keyed by column name: integers,
 * booleans, json/jsonb as JSON, timestamptz as RFC 3339 UTC, NULL as null,
 * everything else as strings. Returns a new reference.
 */
json_t *db_row_json(const PGresult *res, int row);
json_t *db_value_json(const PGresult *res, int row, int col);

#endif
