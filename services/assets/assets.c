/*
 * /api/v1/assets and /api/v1/assets/{id}: the asset inventory (ISO/IEC
 * 27001 A.5.9-5.14). Each write is one statement that also runs the checks
 * needing the tenant's settings or other rows (asset_problems(), 0004) on
 * the row as it would be stored, and writes nothing when one fails; the
 * activity log is written by the table's trigger in the same transaction.
 * DELETE archives; ?purge=true (admins) removes the row.
 */
#include "assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"
#include "idempotency.h"
#include "page.h"

const char *const assets_types[] = {
	"information", "software", "hardware", "service",
	"people",      "site",     "supplier", NULL,
};

const char *const assets_statuses[] = {
	"planned", "in_use", "retired", "disposed", NULL,
};

/* What a body may hold, and what it is told it may not write. */
static const struct field body_fields[] = {
	ASSETS_WRITABLE_FIELDS,
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"status_changed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"archived_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"effective", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

#define NBODY_FIELDS (sizeof(body_fields) / sizeof(body_fields[0]))

/* An asset as the API shows it; `a` is a row of assets. */
#define ASSET_COLUMNS                                                          \
	"a.id, a.name, a.description, a.type, a.owner_id, a.custodian_id,"     \
	" a.location, a.classification, a.confidentiality, a.integrity,"       \
	" a.availability, a.status, a.status_changed_at, a.in_use_since,"      \
	" a.retired_on, a.disposed_on, to_json(a.tags) AS tags,"               \
	" a.external_id, a.review_date, a.archived_at, a.version,"             \
	" a.created_at, a.updated_at, a.created_by, a.updated_by,"             \
	" asset_effective(a.id, a.confidentiality, a.integrity,"               \
	" a.availability) AS effective"

/* ---- list ---- */

/*
 * One statement per sort, direction, q and cursor presence: each keyset
 * condition and ORDER BY matches an index (tenant_id, key, id), so the
 * plan, generic or not, walks the index from the cursor. The optional
 * filters are written so that one plan serves every combination.
 * $1 limit, $2 include_archived, $3 type, $4 classification, $5 owner_id,
 * $6 tag, $7 status, $8 q (a LIKE pattern), $9/$10 the cursor.
 */
#define LIST_FROM                                                              \
	"SELECT " ASSET_COLUMNS " FROM assets a"                               \
	" WHERE a.tenant_id = app_tenant_id()"                                 \
	" AND ($2::boolean OR a.archived_at IS NULL)"                          \
	" AND ($3::text IS NULL OR a.type = $3)"                               \
	" AND ($4::text IS NULL OR a.classification = $4)"                     \
	" AND ($5::uuid IS NULL OR a.owner_id = $5)"                           \
	" AND ($6::text IS NULL OR a.tags @> ARRAY[$6::text])"                 \
	" AND ($7::text IS NULL OR a.status = $7)"
#define LIST_Q " AND (a.name ILIKE $8 OR a.description ILIKE $8)"
#define LIST_NO_Q " AND $8::text IS NULL"
#define LIST_AFTER(col, type, op)                                              \
	" AND (a." col ", a.id) " op " ($9::" type ", $10::uuid)"
#define LIST_ORDER(col, dir)                                                   \
	" ORDER BY a." col " " dir ", a.id " dir " LIMIT $1"
#define LIST(col, type, op, dir, q, after)                                     \
	{                                                                      \
		LIST_FROM q after LIST_ORDER(col, dir)                         \
	}
#define LIST_DIR(col, type, op, dir)                                           \
	{                                                                      \
		{LIST(col, type, op, dir, LIST_NO_Q, ""),                      \
		 LIST(col, type, op, dir, LIST_NO_Q,                           \
		      LIST_AFTER(col, type, op))},                             \
		{                                                              \
			LIST(col, type, op, dir, LIST_Q, ""),                  \
				LIST(col, type, op, dir, LIST_Q,               \
				     LIST_AFTER(col, type, op))                \
		}                                                              \
	}
#define LIST_SORT(col, type)                                                   \
	{                                                                      \
		LIST_DIR(col, type, ">", "ASC"),                               \
			LIST_DIR(col, type, "<", "DESC")                       \
	}

static const struct page_sort list_sorts[] = {
	{"created_at", PAGE_KEY_TIMESTAMP},
	{"name", PAGE_KEY_TEXT},
	{"updated_at", PAGE_KEY_TIMESTAMP},
};

/* [sort][descending][q][cursor] */
static const struct db_stmt q_list[3][2][2][2] = {
	LIST_SORT("created_at", "timestamptz"),
	LIST_SORT("name", "text"),
	LIST_SORT("updated_at", "timestamptz"),
};

const char *const assets_list_query[] = {
	"limit",    "cursor", "sort",   "type", "classification",
	"owner_id", "tag",    "status", "q",    "include_archived",
	NULL,
};

int
assets_query_bool(struct request *r, struct response *res, const char *name,
		  bool *out)
{
	const char *v = http_query(r, name);

	*out = false;
	if (v == NULL || strcmp(v, "false") == 0)
		return 0;
	if (strcmp(v, "true") == 0) {
		*out = true;
		return 0;
	}
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be true or false.",
			    name);
}

static bool
in_list(const char *const *values, const char *s)
{
	for (; *values != NULL; values++)
		if (strcmp(*values, s) == 0)
			return true;
	return false;
}

/* A query value of 1 to max characters, or absent. */
static int
query_text(struct request *r, struct response *res, const char *name, long max,
	   const char **out)
{
	const char *v = http_query(r, name);
	size_t n;

	*out = v;
	if (v == NULL)
		return 0;
	n = validate_utf8_length(v);
	if (n < 1 || (long)n > max)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter '%s' must be 1 to %ld "
				    "characters long.",
				    name, max);
	return 0;
}

/* "%<q with %, _ and \ escaped>%": q matches as a plain substring. */
static const char *
like_pattern(struct arena *a, const char *q)
{
	char *out, *o;

	out = arena_alloc(a, strlen(q) * 2 + 3);
	if (out == NULL)
		return NULL;
	o = out;
	*o++ = '%';
	for (; *q != '\0'; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

int
assets_list(struct request *r, struct response *res)
{
	const char *params[10], *q;
	struct page_sorted p;
	bool archived;
	PGresult *rows;
	int status;

	if ((status = page_sorted_parse(
		     r, res, list_sorts,
		     sizeof(list_sorts) / sizeof(list_sorts[0]), &p)) != 0 ||
	    (status = assets_query_bool(r, res, "include_archived",
					&archived)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = archived ? "true" : "false";
	params[2] = http_query(r, "type");
	if (params[2] != NULL && !in_list(assets_types, params[2]))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'type' is not an asset "
				    "type.");
	if ((status = query_text(r, res, "classification", 50, &params[3])) !=
	    0)
		return status;
	params[4] = http_query(r, "owner_id");
	if (params[4] != NULL && !validate_uuid(params[4]))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'owner_id' must be a "
				    "UUID.");
	if ((status = query_text(r, res, "tag", 100, &params[5])) != 0)
		return status;
	params[6] = http_query(r, "status");
	if (params[6] != NULL && !in_list(assets_statuses, params[6]))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'status' is not an asset "
				    "status.");
	if ((status = query_text(r, res, "q", 200, &q)) != 0)
		return status;
	params[7] = q != NULL ? like_pattern(r->arena, q) : NULL;
	params[8] = p.after_key;
	params[9] = p.after_id;
	rows = db_exec(r->db,
		       &q_list[p.sort][p.desc][q != NULL][p.after_key != NULL],
		       p.after_key != NULL ? 10 : 8, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_sorted_respond(r, res, list_sorts, &p, rows, "id");
}

/* ---- one asset ---- */

static const struct db_stmt q_get = {
	"SELECT " ASSET_COLUMNS " FROM assets a"
	" WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"};

/*
 * The defaults of a new asset are merged under the body; r is the asset
 * as it would be stored.
 */
static const struct db_stmt q_insert = {
	"WITH p AS (" ASSET_ERRORS " FROM jsonb_populate_record(NULL::assets,"
	"  '{\"status\": \"in_use\", \"tags\": []}'::jsonb || $1::jsonb) r,"
	"  asset_problems(r, asset_settings()) x),"
	" ins AS (INSERT INTO assets (tenant_id, " ASSET_WRITABLE ")"
	"  SELECT app_tenant_id(), " ASSET_WRITABLE_R
	"  FROM jsonb_populate_record(NULL::assets,"
	"  '{\"status\": \"in_use\", \"tags\": []}'::jsonb || $1::jsonb) r, p"
	"  WHERE p.errors = '[]' RETURNING *)"
	" SELECT p.errors AS problems, " ASSET_COLUMNS
	" FROM p LEFT JOIN ins a ON true"};

/*
 * JSON merge: the body's members replace the row's (r is the result).
 * The row is locked first, so the merge starts from its latest version;
 * $3 is If-Match's version (0: none, -1: one that never matches).
 */
static const struct db_stmt q_update = {
	"WITH cur AS (SELECT a AS old FROM assets a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid FOR UPDATE),"
	" p AS (" ASSET_ERRORS " FROM cur,"
	"  jsonb_populate_record(cur.old, $2::jsonb) r,"
	"  asset_problems(r, asset_settings()) x),"
	" upd AS (UPDATE assets a SET (" ASSET_WRITABLE ") = (" ASSET_WRITABLE_R
	")"
	"  FROM cur, jsonb_populate_record(cur.old, $2::jsonb) r, p"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"
	"  AND ($3::int = 0 OR a.version = $3::int) AND p.errors = '[]'"
	"  RETURNING a.*)"
	" SELECT (cur.old).version AS current_version, p.errors AS "
	"problems, " ASSET_COLUMNS
	" FROM cur CROSS JOIN p LEFT JOIN upd a ON true"};

/* Archiving an archived asset changes nothing and succeeds. */
static const struct db_stmt q_archive = {
	"WITH cur AS (SELECT a.version, a.archived_at FROM assets a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid FOR UPDATE),"
	" upd AS (UPDATE assets a SET archived_at = now() FROM cur"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"
	"  AND cur.archived_at IS NULL AND ($2::int = 0 OR cur.version = "
	"$2::int)"
	"  RETURNING a.id)"
	" SELECT cur.version FROM cur"};

static const struct db_stmt q_purge = {
	"WITH cur AS (SELECT a.version FROM assets a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid FOR UPDATE),"
	" del AS (DELETE FROM assets a USING cur"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"
	"  AND ($2::int = 0 OR cur.version = $2::int) RETURNING a.id)"
	" SELECT cur.version FROM cur"};

const char *const assets_delete_query[] = {"purge", NULL};

int
assets_check_tags(struct response *res, const json_t *body)
{
	const json_t *tag;
	size_t i;
	int bad = 0;
	char name[32];

	json_array_foreach (json_object_get(body, "tags"), i, tag) {
		if (json_is_string(tag) &&
		    strchr(json_string_value(tag), ';') != NULL) {
			snprintf(name, sizeof(name), "tags[%zu]", i);
			http_field_error(res, name, "must not contain ';'");
			bad++;
		}
	}
	return bad;
}

static int
validate_body(struct request *r, struct response *res, enum validate_mode mode)
{
	int status =
		validate_object(res, r->json, body_fields, NBODY_FIELDS, mode);

	if (status == 0 && assets_check_tags(res, r->json) > 0)
		status = http_problem(res, 422, "validation",
				      "The request body has invalid fields.");
	return status;
}

/* 422 with the statement's problems, when it found any. */
static int
problems(struct response *res, const PGresult *row)
{
	json_t *list = db_value_json(row, 0, PQfnumber(row, "problems"));
	const json_t *e;
	size_t i;
	int status = 0;

	json_array_foreach (list, i, e) {
		http_field_error(
			res, json_string_value(json_object_get(e, "field")),
			"%s", json_string_value(json_object_get(e, "message")));
	}
	if (json_array_size(list) > 0)
		status = http_problem(res, 422, "validation",
				      "The asset is not valid for this "
				      "tenant.");
	json_decref(list);
	return status;
}

/* The asset in row 0, without the statement's bookkeeping columns. */
static int
asset_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "problems");
	json_object_del(res->body, "current_version");
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 status);
}

int
assets_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "asset")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such asset.");
	return asset_response(res, row, 200);
}

int
assets_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[1];
	PGresult *row;
	int status;

	if ((status = validate_body(r, res, VALIDATE_CREATE)) != 0 ||
	    (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->body;
	row = db_exec(r->db, &q_insert, 1, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = problems(res, row)) != 0)
		return status;
	http_header(res, "Location", "/api/v1/assets/%s",
		    PQgetvalue(row, 0, PQfnumber(row, "id")));
	status = asset_response(res, row, 201);
	return idempotency_end(r, res, &idem, status);
}

/* The version a write found against the one If-Match named. */
static bool
stale(long wanted, const PGresult *row)
{
	return wanted != 0 && strtol(PQgetvalue(row, 0, 0), NULL, 10) != wanted;
}

int
assets_update(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "asset")) != 0 ||
	    (status = validate_body(r, res, VALIDATE_PATCH)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	params[2] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such asset.");
	if (stale(version, row))
		return http_problem(res, 412, "precondition-failed",
				    "The asset changed since it was read "
				    "(If-Match).");
	if ((status = problems(res, row)) != 0)
		return status;
	return asset_response(res, row, 200);
}

int
assets_delete(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[2];
	PGresult *row;
	bool purge;
	int status;

	if ((status = page_path_id(r, res, "asset")) != 0 ||
	    (status = assets_query_bool(r, res, "purge", &purge)) != 0)
		return status;
	if (purge && r->principal.role != ROLE_ADMIN)
		return http_problem(res, 403, "forbidden",
				    "Only an admin may purge an asset; "
				    "archive it instead.");
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, purge ? &q_purge : &q_archive, 2, params,
		      DB_COMMIT);
	if (row == NULL && purge && strcmp(db_sqlstate(r->db), "23503") == 0) {
		res->log_reason = db_error(r->db);
		return http_problem(res, 409, "conflict",
				    "Other records (risks, say) still refer "
				    "to the asset; archive it instead.");
	}
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such asset.");
	if (stale(version, row))
		return http_problem(res, 412, "precondition-failed",
				    "The asset changed since it was read "
				    "(If-Match).");
	return 204;
}
