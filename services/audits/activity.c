/*
 * /api/v1/activity: the tenant's activity log, read-only. Every change in
 * every service (written by the tables' triggers in the change's own
 * transaction), every sign-in and logout, and every request a
 * certification-body auditor makes. Newest first, keyset-paged on seq;
 * filters on entity, entity_id, actor_id, action and a time range
 * (occurred_at >= since, < until). /api/v1/activity/verify recomputes the
 * tenant's hash chain (activity_verify(), 0001) and reports the first
 * broken link, with the chain's last entry (seq, hash) to export and
 * compare later: verify has checked it against the chain's head.
 * Admins and auditors only: the log is the auditors' evidence, and it
 * holds every record's before and after.
 */
#include <stdlib.h>
#include <string.h>

#include "audits.h"
#include "codec.h"
#include "db.h"
#include "errors.h"

const char *const activity_list_query[] = {
	"limit",  "cursor", "entity", "entity_id", "actor_id",
	"action", "since",  "until",  NULL,
};

static const char *const actions[] = {
	"create", "update", "delete", "read", "login", "logout", NULL,
};

#define ACTIVITY_COLUMNS                                                       \
	"SELECT l.seq, l.id, l.occurred_at, l.actor_id, l.request_id,"         \
	" l.action, l.entity, l.entity_id, l.before, l.after,"                 \
	" encode(l.prev_hash, 'hex') AS prev_hash,"                            \
	" encode(l.hash, 'hex') AS hash FROM activity_log l"                   \
	" WHERE l.tenant_id = app_tenant_id()"                                 \
	" AND ($2::bigint IS NULL OR l.seq < $2)"                              \
	" AND ($3::text IS NULL OR l.entity = $3)"                             \
	" AND ($4::text IS NULL OR l.entity_id = $4)"                          \
	" AND ($5::uuid IS NULL OR l.actor_id = $5)"                           \
	" AND ($6::text IS NULL OR l.action = $6)"                             \
	" AND ($7::timestamptz IS NULL OR l.occurred_at >= $7)"                \
	" AND ($8::timestamptz IS NULL OR l.occurred_at < $8)"

/*
 * $1 limit, $2 the cursor's seq, then the filters. One statement per
 * index: an entity's history walks (tenant_id, entity, entity_id, seq),
 * an actor's (tenant_id, actor_id, seq), the rest the primary key.
 */
static const struct db_stmt q_list = {ACTIVITY_COLUMNS
				      " ORDER BY l.seq DESC LIMIT $1"};
static const struct db_stmt q_list_entity = {
	ACTIVITY_COLUMNS " AND l.entity = $3 AND l.entity_id = $4"
			 " ORDER BY l.seq DESC LIMIT $1"};
static const struct db_stmt q_list_actor = {
	ACTIVITY_COLUMNS " AND l.actor_id = $5 ORDER BY l.seq DESC LIMIT $1"};

/* One statement, one snapshot: the head is the last entry verified. */
static const struct db_stmt q_verify = {
	"SELECT v.ok, v.checked, v.first_broken_seq,"
	" coalesce(h.seq, 0) AS head_seq,"
	" coalesce(h.hash, repeat('0', 64)) AS head_hash"
	" FROM activity_verify() v LEFT JOIN LATERAL ("
	"  SELECT l.seq, encode(l.hash, 'hex') AS hash FROM activity_log l"
	"  WHERE l.tenant_id = app_tenant_id()"
	"  ORDER BY l.seq DESC LIMIT 1) h ON true"};

/* A text filter of 1 to max characters, or absent. */
static int
query_text(struct request *r, struct response *res, const char *name,
	   size_t max, const char **out)
{
	size_t n;

	*out = http_query(r, name);
	if (*out == NULL)
		return 0;
	n = validate_utf8_length(*out);
	if (n >= 1 && n <= max)
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be 1 to %zu "
			    "characters.",
			    name, max);
}

static int
query_time(struct request *r, struct response *res, const char *name,
	   const char **out)
{
	*out = http_query(r, name);
	if (*out == NULL || validate_timestamp(*out))
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be an RFC 3339 "
			    "date-time.",
			    name);
}

/* The cursor: the seq of the last entry served. */
static int
parse_cursor(struct request *r, struct response *res, const char **seq)
{
	const char *cursor = http_query(r, "cursor"), *parts[1], *p;

	*seq = NULL;
	if (cursor == NULL)
		return 0;
	if (codec_cursor_decode(r->arena, cursor, parts, 1) != 0 ||
	    parts[0][0] == '\0' || strlen(parts[0]) > 18)
		goto bad;
	for (p = parts[0]; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	*seq = parts[0];
	return 0;
bad:
	return http_problem(res, 400, "invalid-query",
			    "The cursor is not one this API issued.");
}

int
activity_list(struct request *r, struct response *res)
{
	const char *params[8], *last[1];
	const struct db_stmt *stmt = &q_list;
	long limit;
	PGresult *rows;
	json_t *items;
	int i, n, status;

	status = validate_query_int(res, "limit", http_query(r, "limit"),
				    PAGE_DEFAULT, 1, PAGE_MAX, &limit);
	if (status != 0 || (status = parse_cursor(r, res, &params[1])) != 0 ||
	    (status = query_text(r, res, "entity", 63, &params[2])) != 0 ||
	    (status = query_text(r, res, "entity_id", 200, &params[3])) != 0 ||
	    (status = audits_query_uuid(r, res, "actor_id", &params[4])) != 0 ||
	    (status = audits_query_enum(r, res, "action", actions,
					&params[5])) != 0 ||
	    (status = query_time(r, res, "since", &params[6])) != 0 ||
	    (status = query_time(r, res, "until", &params[7])) != 0)
		return status;
	params[0] = arena_printf(r->arena, "%ld", limit + 1);
	if (params[2] != NULL && params[3] != NULL)
		stmt = &q_list_entity;
	else if (params[4] != NULL)
		stmt = &q_list_actor;
	rows = db_exec(r->db, stmt, 8, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	n = PQntuples(rows);
	items = json_array();
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, db_row_json(rows, i));
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n > limit) {
		last[0] = PQgetvalue(rows, (int)limit - 1, 0);
		json_object_set_new(
			res->body, "next_cursor",
			json_string(codec_cursor_encode(r->arena, last, 1)));
	}
	return 200;
}

int
activity_verify(struct request *r, struct response *res)
{
	PGresult *row = db_exec(r->db, &q_verify, 0, NULL, DB_COMMIT);

	if (row == NULL)
		return errors_from_db(res, r->db);
	res->body = json_pack(
		"{s:o, s:o, s:o, s:{s:o, s:o}}", "ok", db_value_json(row, 0, 0),
		"checked", db_value_json(row, 0, 1), "first_broken_seq",
		db_value_json(row, 0, 2), "head", "seq",
		db_value_json(row, 0, 3), "hash", db_value_json(row, 0, 4));
	return 200;
}
