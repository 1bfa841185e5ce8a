/*
 * The connection life cycle and the pipelined transaction protocol.
 *
 * Every exchange ends with a Sync, so an error never leaves the server
 * skipping our messages: after a failed statement the explicit
 * transaction is aborted and db_end() rolls it back.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pending_kind { P_BEGIN, P_CONTEXT, P_PREPARE, P_STMT, P_COMMIT };

#define DB_MAX_PENDING 8

struct db {
	char *conninfo;
	PGconn *conn;

	const struct db_stmt **prepared; /* index i is named "s<i>" */
	size_t nprepared, prepared_cap;

	PGresult **results; /* kept until db_release() */
	size_t nresults, results_cap;

	bool in_tx, tx_failed, committed, begin_queued;
	bool read_only;
	char tenant[AUTH_UUID_LEN + 1], user[AUTH_UUID_LEN + 1];
	char role[16], request_id[128], jti[AUTH_JTI_MAX + 1], key_hash[65];

	bool lost;
	bool untouched; /* the last batch failed before the server ran any */
	char sqlstate[6];
	char error[256];
	char error_field[64]; /* the column or constraint an error names */
};

/*
 * The tenant context, LOCAL to the transaction, values as parameters;
 * app_begin() also refuses a caller whose membership, token or key is no
 * longer valid (sql/migrations/0003_identity.sql).
 */
static const struct db_stmt q_context = {
	"SELECT app_begin($1, $2, $3, $4, $5, $6)"};

struct db *
db_new(const char *conninfo)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->conninfo = strdup(conninfo);
	if (db->conninfo == NULL) {
		free(db);
		return NULL;
	}
	return db;
}

static void
results_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < db->nresults; i++)
		PQclear(db->results[i]);
	db->nresults = 0;
}

static void
disconnect(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	results_clear(db);
	disconnect(db);
	free(db->results);
	free(db->prepared);
	free(db->conninfo);
	free(db);
}

static void
set_error(struct db *db, const char *state, const char *msg)
{
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state);
	snprintf(db->error, sizeof(db->error), "%s", msg ? msg : "");
	db->error[strcspn(db->error, "\n")] = '\0';
}

static void
mark_lost(struct db *db)
{
	set_error(db, "08006",
		  db->conn ? PQerrorMessage(db->conn) : "no connection");
	db->lost = true;
	db->tx_failed = true;
	disconnect(db);
}

bool
db_connect(struct db *db)
{
	const char *keys[] = {"dbname", "options", "application_name",
			      "connect_timeout", NULL};
	const char *vals[] = {db->conninfo,
			      "-c TimeZone=UTC -c DateStyle=ISO,YMD "
			      "-c statement_timeout=30000 "
			      "-c idle_in_transaction_session_timeout=60000",
			      "isms", "5", NULL};

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return true;
	disconnect(db);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK ||
	    PQenterPipelineMode(db->conn) != 1) {
		set_error(db, "08001", PQerrorMessage(db->conn));
		disconnect(db);
		return false;
	}
	return true;
}

int
db_begin(struct db *db, const struct principal *p, const char *request_id,
	 bool read_only)
{
	results_clear(db);
	db->in_tx = true;
	db->tx_failed = false;
	db->committed = false;
	db->begin_queued = false;
	db->lost = false;
	db->read_only = read_only;
	db->sqlstate[0] = '\0';
	db->error[0] = '\0';
	db->error_field[0] = '\0';
	snprintf(db->tenant, sizeof(db->tenant), "%s", p ? p->tenant_id : "");
	snprintf(db->user, sizeof(db->user), "%s", p ? p->user_id : "");
	snprintf(db->role, sizeof(db->role), "%s",
		 p && p->role ? auth_role_name(p->role) : "");
	snprintf(db->request_id, sizeof(db->request_id), "%s",
		 request_id ? request_id : "");
	snprintf(db->jti, sizeof(db->jti), "%s", p ? p->jti : "");
	snprintf(db->key_hash, sizeof(db->key_hash), "%s",
		 p && p->api_key ? p->key_hash : "");
	return 0;
}

static int
keep_result(struct db *db, PGresult *res)
{
	PGresult **grown;

	if (db->nresults == db->results_cap) {
		size_t cap = db->results_cap ? db->results_cap * 2 : 8;

		grown = realloc(db->results, cap * sizeof(*grown));
		if (grown == NULL) {
			PQclear(res);
			return -1;
		}
		db->results = grown;
		db->results_cap = cap;
	}
	db->results[db->nresults++] = res;
	return 0;
}

/* Returns the statement's name on this connection, queueing a Parse. */
static int
stmt_index(struct db *db, const struct db_stmt *stmt, bool *must_prepare)
{
	const struct db_stmt **grown;
	size_t i;

	*must_prepare = false;
	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == stmt)
			return (int)i;
	if (db->nprepared == db->prepared_cap) {
		size_t cap = db->prepared_cap ? db->prepared_cap * 2 : 32;

		grown = realloc(db->prepared, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		db->prepared = grown;
		db->prepared_cap = cap;
	}
	db->prepared[db->nprepared] = stmt;
	*must_prepare = true;
	return (int)db->nprepared++;
}

static bool
send_stmt(struct db *db, const struct db_stmt *stmt, int nparams,
	  const char *const *values, enum pending_kind *pending, size_t *np)
{
	char name[16];
	bool prepare;
	int i = stmt_index(db, stmt, &prepare);

	if (i < 0)
		return false;
	snprintf(name, sizeof(name), "s%d", i);
	if (prepare) {
		if (!PQsendPrepare(db->conn, name, stmt->sql, 0, NULL))
			return false;
		pending[(*np)++] = P_PREPARE;
	}
	if (!PQsendQueryPrepared(db->conn, name, nparams, values, NULL, NULL,
				 0))
		return false;
	pending[(*np)++] = P_STMT;
	return true;
}

/*
 * Reads one result per pending command, then the Sync. Returns the
 * statement's result, or NULL when anything failed.
 */
static PGresult *
collect(struct db *db, const enum pending_kind *pending, size_t np)
{
	PGresult *res, *stmt_res = NULL, *extra;
	ExecStatusType st;
	size_t i;

	db->untouched = false;
	for (i = 0; i < np; i++) {
		res = PQgetResult(db->conn);
		if (res == NULL) {
			db->untouched = i == 0;
			mark_lost(db);
			return NULL;
		}
		st = PQresultStatus(res);
		/*
		 * A server that shut down wrote its farewell before reading
		 * our batch: when that is the first answer, nothing ran.
		 */
		if (i == 0 && st == PGRES_FATAL_ERROR &&
		    (PQstatus(db->conn) == CONNECTION_BAD ||
		     strncmp(PQresultErrorField(res, PG_DIAG_SQLSTATE)
				     ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
				     : "",
			     "57P", 3) == 0)) {
			PQclear(res);
			db->untouched = true;
			mark_lost(db);
			return NULL;
		}
		if (st == PGRES_FATAL_ERROR) {
			const char *state =
				PQresultErrorField(res, PG_DIAG_SQLSTATE);

			const char *field =
				PQresultErrorField(res, PG_DIAG_COLUMN_NAME);

			if (field == NULL)
				field = PQresultErrorField(
					res, PG_DIAG_CONSTRAINT_NAME);
			set_error(db, state ? state : "XX000",
				  PQresultErrorField(res,
						     PG_DIAG_MESSAGE_PRIMARY));
			snprintf(db->error_field, sizeof(db->error_field),
				 "%s", field ? field : "");
			db->tx_failed = true;
			if (pending[i] == P_PREPARE)
				db->nprepared--;
		} else if (st == PGRES_PIPELINE_ABORTED) {
			if (pending[i] == P_PREPARE)
				db->nprepared--;
		}
		if (pending[i] == P_STMT && st == PGRES_TUPLES_OK)
			stmt_res = res;
		else if (pending[i] == P_STMT && st == PGRES_COMMAND_OK)
			stmt_res = res;
		else
			PQclear(res);
		while ((extra = PQgetResult(db->conn)) != NULL)
			PQclear(extra);
	}
	res = PQgetResult(db->conn);
	if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
		PQclear(res);
		PQclear(stmt_res);
		mark_lost(db);
		return NULL;
	}
	PQclear(res);
	if (db->tx_failed) {
		PQclear(stmt_res);
		return NULL;
	}
	if (stmt_res != NULL && keep_result(db, stmt_res) != 0) {
		set_error(db, "53200", "out of memory");
		db->tx_failed = true;
		return NULL;
	}
	return stmt_res;
}

/*
 * Queues the statement (after BEGIN and the context when it is the
 * transaction's first) and a Sync. Returns false when the connection
 * refused the bytes.
 */
static bool
send_batch(struct db *db, const struct db_stmt *stmt, int nparams,
	   const char *const *values, unsigned flags,
	   enum pending_kind *pending, size_t *np)
{
	const char *ctx[6];

	*np = 0;
	if (!db->begin_queued) {
		if (!PQsendQueryParams(db->conn,
				       db->read_only ? "BEGIN READ ONLY"
						     : "BEGIN",
				       0, NULL, NULL, NULL, NULL, 0))
			return false;
		pending[(*np)++] = P_BEGIN;
		ctx[0] = db->tenant;
		ctx[1] = db->user;
		ctx[2] = db->role;
		ctx[3] = db->request_id;
		ctx[4] = db->jti;
		ctx[5] = db->key_hash;
		if (!send_stmt(db, &q_context, 6, ctx, pending, np))
			return false;
		/* The context's result is not the caller's. */
		pending[*np - 1] = P_CONTEXT;
	}
	if (!send_stmt(db, stmt, nparams, values, pending, np))
		return false;
	if ((flags & DB_COMMIT) &&
	    !PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL,
			       0))
		return false;
	if (flags & DB_COMMIT)
		pending[(*np)++] = P_COMMIT;
	return PQpipelineSync(db->conn) == 1;
}

PGresult *
db_exec(struct db *db, const struct db_stmt *stmt, int nparams,
	const char *const *values, unsigned flags)
{
	enum pending_kind pending[DB_MAX_PENDING];
	bool first = !db->begin_queued;
	size_t np = 0;
	PGresult *res;

	if (!db->in_tx || db->tx_failed || db->committed)
		return NULL;
	if (!db_connect(db)) {
		db->lost = true;
		db->tx_failed = true;
		return NULL;
	}
	if (!send_batch(db, stmt, nparams, values, flags, pending, &np)) {
		/*
		 * A connection the server closed (a restart) refuses the
		 * first write of a transaction: nothing reached the server,
		 * so one reconnect and resend is safe. Later statements of
		 * a transaction are never resent.
		 */
		disconnect(db);
		if (!first || !db_connect(db) ||
		    !send_batch(db, stmt, nparams, values, flags, pending,
				&np)) {
			mark_lost(db);
			return NULL;
		}
	}
	db->begin_queued = true;
	res = collect(db, pending, np);
	if (res == NULL && first && db->untouched && db_connect(db)) {
		/*
		 * The connection had died idle (a restart): run it again,
		 * BEGIN and the tenant context included.
		 */
		db->tx_failed = false;
		db->lost = false;
		db->begin_queued = false;
		if (!send_batch(db, stmt, nparams, values, flags, pending,
				&np)) {
			mark_lost(db);
			return NULL;
		}
		db->begin_queued = true;
		res = collect(db, pending, np);
	}
	if (res != NULL && (flags & DB_COMMIT))
		db->committed = true;
	return res;
}

static bool
simple(struct db *db, const char *sql)
{
	enum pending_kind pending[1] = {P_COMMIT};
	bool failed_before = db->tx_failed;
	bool ok;

	if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(db->conn)) {
		mark_lost(db);
		return false;
	}
	db->tx_failed = false;
	collect(db, pending, 1);
	ok = !db->tx_failed;
	db->tx_failed = db->tx_failed || failed_before;
	return ok;
}

int
db_end(struct db *db, bool commit)
{
	int rc = 0;

	if (!db->in_tx)
		return 0;
	db->in_tx = false;
	if (db->conn == NULL || !db->begin_queued || db->committed)
		return db->tx_failed && commit && !db->committed ? -1 : 0;
	if (commit && !db->tx_failed) {
		if (!simple(db, "COMMIT"))
			rc = -1;
	} else {
		if (db->conn != NULL && !simple(db, "ROLLBACK"))
			rc = -1;
		if (commit)
			rc = -1;
	}
	return rc;
}

bool
db_in_transaction(const struct db *db)
{
	return db->in_tx;
}

bool
db_started(const struct db *db)
{
	return db->begin_queued;
}

const char *
db_sqlstate(const struct db *db)
{
	return db->sqlstate;
}

const char *
db_error_field(const struct db *db)
{
	return db->error_field[0] != '\0' ? db->error_field : "body";
}

const char *
db_error(const struct db *db)
{
	return db->error;
}

bool
db_lost(const struct db *db)
{
	return db->lost;
}

static bool
send_ping(struct db *db)
{
	return PQsendQueryParams(db->conn, "SELECT 1", 0, NULL, NULL, NULL,
				 NULL, 0) == 1 &&
	       PQpipelineSync(db->conn) == 1;
}

bool
db_ping(struct db *db)
{
	enum pending_kind pending[1] = {P_STMT};
	PGresult *res;
	bool ok;

	results_clear(db);
	if (!db_connect(db))
		return false;
	db->tx_failed = false;
	if (!send_ping(db)) {
		/* As in db_exec: a closed connection gets one reconnect. */
		disconnect(db);
		if (!db_connect(db) || !send_ping(db)) {
			mark_lost(db);
			return false;
		}
	}
	res = collect(db, pending, 1);
	if (res == NULL && db->untouched && db_connect(db)) {
		db->tx_failed = false;
		db->lost = false;
		if (send_ping(db))
			res = collect(db, pending, 1);
	}
	ok = res != NULL;
	results_clear(db);
	db->tx_failed = false;
	return ok;
}

void
db_release(struct db *db)
{
	results_clear(db);
}

/* "2026-11-22 12:00:00.123+00" -> "2026-11-22T12:00:00.123Z" */
static json_t *
timestamp_json(const char *v)
{
	char buf[64];
	size_t n = strlen(v);

	if (n < 20 || n >= sizeof(buf) || strcmp(v + n - 3, "+00") != 0)
		return json_string(v);
	memcpy(buf, v, n - 3);
	buf[10] = 'T';
	buf[n - 3] = 'Z';
	buf[n - 2] = '\0';
	return json_string(buf);
}

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_JSON 114
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_TIMESTAMPTZ 1184
#define OID_NUMERIC 1700
#define OID_JSONB 3802

json_t *
db_value_json(const PGresult *res, int row, int col)
{
	const char *v;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_boolean(v[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return json_integer(strtoll(v, NULL, 10));
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return json_real(strtod(v, NULL));
	case OID_JSON:
	case OID_JSONB:
		return json_loads(v, JSON_DECODE_ANY, NULL);
	case OID_TIMESTAMPTZ:
		return timestamp_json(v);
	default:
		return json_string(v);
	}
}

json_t *
db_row_json(const PGresult *res, int row)
{
	json_t *obj = json_object();
	int col, n = PQnfields(res);

	if (obj == NULL)
		return NULL;
	for (col = 0; col < n; col++)
		json_object_set_new(obj, PQfname(res, col),
				    db_value_json(res, row, col));
	return obj;
}
