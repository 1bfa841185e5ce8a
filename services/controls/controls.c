/*
 * /api/v1/controls and /api/v1/controls/{id}: the controls the tenant has
 * implemented or plans (ISO/IEC 27001 6.1.3 b), with owner, status,
 * effectiveness, review date, the framework requirements each addresses,
 * the evidence behind it and the risks whose treatments rely on it. A
 * control "needs evidence" when it is (partly) implemented and no linked
 * evidence is valid today; that is computed at read time (0007), so
 * evidence expiring overnight shows on the next read.
 *
 * Each write is one statement that checks the owner and the requirement
 * ids on the row as it would be stored (control_problems()) and writes
 * nothing when one fails. Also here: the query and paging helpers the
 * service's other resources share.
 */
#include "controls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "errors.h"
#include "page.h"
#include "validate.h"

/* ---- shared helpers ---- */

int
controls_query_bool(struct request *r, struct response *res, const char *name,
		    bool *set, bool *out)
{
	const char *v = http_query(r, name);

	*set = v != NULL;
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

int
controls_query_text(struct request *r, struct response *res, const char *name,
		    long max, const char **out)
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

int
controls_query_enum(struct request *r, struct response *res, const char *name,
		    const char *const *values, const char **out)
{
	const char *v = http_query(r, name);
	const char *const *p;

	*out = v;
	if (v == NULL)
		return 0;
	for (p = values; *p != NULL; p++)
		if (strcmp(*p, v) == 0)
			return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' has an unknown value.", name);
}

int
controls_query_uuid(struct request *r, struct response *res, const char *name,
		    const char **out)
{
	const char *v = http_query(r, name);

	*out = v;
	if (v != NULL && !validate_uuid(v))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter '%s' must be a UUID.",
				    name);
	return 0;
}

const char *
controls_like(struct arena *a, const char *q)
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
controls_delete_failed(struct response *res, const struct db *db,
		       const char *detail)
{
	if (strcmp(db_sqlstate(db), "23503") == 0) {
		res->log_reason = db_error(db);
		return http_problem(res, 409, "conflict", "%s", detail);
	}
	return errors_from_db(res, db);
}

bool
controls_slug_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 63 ||
	    !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

int
controls_problems(struct response *res, const PGresult *row, const char *detail)
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
		status = http_problem(res, 422, "validation", "%s", detail);
	json_decref(list);
	return status;
}

/* An integer key of at most 10 digits: a sort order or version number. */
static bool
int_key_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 10)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return strtol(s, NULL, 10) <= 2147483647L;
}

int
int_page_parse(struct request *r, struct response *res, struct int_page *p)
{
	const char *cursor = http_query(r, "cursor");
	const char *after[2] = {NULL, NULL};
	int status;

	memset(p, 0, sizeof(*p));
	status = validate_query_int(res, "limit", http_query(r, "limit"),
				    PAGE_DEFAULT, 1, PAGE_MAX, &p->limit);
	if (status != 0)
		return status;
	if (cursor != NULL &&
	    (codec_cursor_decode(r->arena, cursor, after, 2) != 0 ||
	     !int_key_valid(after[0]) || !validate_uuid(after[1])))
		return http_problem(res, 400, "invalid-query",
				    "The cursor is not one this API issued.");
	p->fetch = arena_printf(r->arena, "%ld", p->limit + 1);
	p->after_key = after[0];
	p->after_id = after[1];
	return 0;
}

int
int_page_respond(struct request *r, struct response *res,
		 const struct int_page *p, const PGresult *rows,
		 const char *key_col, const char *id_col)
{
	int i, n = PQntuples(rows);
	int kc = PQfnumber(rows, key_col), ic = PQfnumber(rows, id_col);
	const char *last[2];
	json_t *items;

	items = json_array();
	for (i = 0; i < n && i < p->limit; i++)
		json_array_append_new(items, db_row_json(rows, i));
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n > p->limit) {
		if (kc < 0 || ic < 0)
			return http_internal(res, "page key missing in rows");
		last[0] = PQgetvalue(rows, (int)p->limit - 1, kc);
		last[1] = PQgetvalue(rows, (int)p->limit - 1, ic);
		json_object_set_new(
			res->body, "next_cursor",
			json_string(codec_cursor_encode(r->arena, last, 2)));
	}
	return 200;
}

/* ---- the resource ---- */

static const char *const statuses[] = {
	"not_started", "planned",        "partial",
	"implemented", "not_applicable", NULL,
};

static const char *const effectiveness[] = {
	"effective", "partially_effective", "ineffective", "not_assessed", NULL,
};

/* What a body may hold, and what it is told it may not write. */
static const struct field body_fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 10000, NULL},
	{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"implemented_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"effectiveness", FIELD_ENUM, 0, 0, 0, effectiveness},
	{"review_date", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"requirement_ids", FIELD_UUIDS, 0, 0, 500, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"requirements", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"evidence", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"evidence_status", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"needs_evidence", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"risks", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

#define NBODY_FIELDS (sizeof(body_fields) / sizeof(body_fields[0]))

/*
 * A control as the API shows it; `c` is a row of controls, REQS the
 * expression of its requirements (a write that relinks names the new
 * set: the statement does not see its own inserts).
 */
#define CONTROL_COLUMNS_WITH(reqs)                                             \
	"c.id, c.name, c.description, c.owner_id, c.status,"                   \
	" c.implemented_on, c.effectiveness, c.review_date, " reqs             \
	" AS requirements, control_evidence_json(c.id) AS evidence,"           \
	" control_evidence_status(c.id) AS evidence_status,"                   \
	" control_needs_evidence(c.status, c.id) AS needs_evidence,"           \
	" control_risks(c.id) AS risks, c.version, c.created_at,"              \
	" c.updated_at, c.created_by, c.updated_by"
#define CONTROL_COLUMNS CONTROL_COLUMNS_WITH("control_requirements_json(c.id)")

/* The problems of the row as it would be stored, as one JSON array. */
#define CONTROL_PROBLEMS(owner, ids)                                           \
	"SELECT coalesce(jsonb_agg(jsonb_build_object('field', x.field,"       \
	" 'message', x.message)), '[]') AS errors"                             \
	" FROM n, control_problems(" owner ", " ids ") x"

/* ---- list ---- */

/*
 * $1 limit, $2 status, $3 effectiveness, $4 owner_id, $5 requirement_id,
 * $6 needs_evidence, $7 q (a LIKE pattern), $8/$9 the cursor. One
 * statement per sort, direction and cursor presence, each walking an
 * index (tenant_id, key, id).
 */
#define LIST_FROM                                                              \
	"SELECT " CONTROL_COLUMNS " FROM controls c"                           \
	" WHERE c.tenant_id = app_tenant_id()"                                 \
	" AND ($2::text IS NULL OR c.status = $2)"                             \
	" AND ($3::text IS NULL OR c.effectiveness = $3)"                      \
	" AND ($4::uuid IS NULL OR c.owner_id = $4)"                           \
	" AND ($5::uuid IS NULL OR EXISTS (SELECT 1"                           \
	"  FROM control_requirements cr WHERE cr.tenant_id = c.tenant_id"      \
	"  AND cr.control_id = c.id AND cr.requirement_id = $5))"              \
	" AND ($6::boolean IS NULL"                                            \
	"  OR control_needs_evidence(c.status, c.id) = $6)"                    \
	" AND ($7::text IS NULL OR c.name ILIKE $7 OR c.description ILIKE $7)"
#define LIST_AFTER(col, type, op)                                              \
	" AND (c." col ", c.id) " op " ($8::" type ", $9::uuid)"
#define LIST_ORDER(col, dir)                                                   \
	" ORDER BY c." col " " dir ", c.id " dir " LIMIT $1"
#define LIST_DIR(col, type, op, dir)                                           \
	{                                                                      \
		{LIST_FROM LIST_ORDER(col, dir)},                              \
		{                                                              \
			LIST_FROM LIST_AFTER(col, type, op)                    \
				LIST_ORDER(col, dir)                           \
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

/* [sort][descending][cursor] */
static const struct db_stmt q_list[3][2][2] = {
	LIST_SORT("created_at", "timestamptz"),
	LIST_SORT("name", "text"),
	LIST_SORT("updated_at", "timestamptz"),
};

const char *const controls_list_query[] = {
	"limit",
	"cursor",
	"sort",
	"status",
	"effectiveness",
	"owner_id",
	"requirement_id",
	"needs_evidence",
	"q",
	NULL,
};

int
controls_list(struct request *r, struct response *res)
{
	const char *params[9], *q;
	struct page_sorted p;
	bool set, needs;
	PGresult *rows;
	int status;

	if ((status = page_sorted_parse(
		     r, res, list_sorts,
		     sizeof(list_sorts) / sizeof(list_sorts[0]), &p)) != 0 ||
	    (status = controls_query_enum(r, res, "status", statuses,
					  &params[1])) != 0 ||
	    (status = controls_query_enum(r, res, "effectiveness",
					  effectiveness, &params[2])) != 0 ||
	    (status = controls_query_uuid(r, res, "owner_id", &params[3])) !=
		    0 ||
	    (status = controls_query_uuid(r, res, "requirement_id",
					  &params[4])) != 0 ||
	    (status = controls_query_bool(r, res, "needs_evidence", &set,
					  &needs)) != 0 ||
	    (status = controls_query_text(r, res, "q", 200, &q)) != 0)
		return status;
	params[0] = p.fetch;
	params[5] = set ? (needs ? "true" : "false") : NULL;
	params[6] = q != NULL ? controls_like(r->arena, q) : NULL;
	params[7] = p.after_key;
	params[8] = p.after_id;
	rows = db_exec(r->db, &q_list[p.sort][p.desc][p.after_key != NULL],
		       p.after_key != NULL ? 9 : 7, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_sorted_respond(r, res, list_sorts, &p, rows, "id");
}

/* ---- one control ---- */

static const struct db_stmt q_get = {
	"SELECT " CONTROL_COLUMNS " FROM controls c"
	" WHERE c.tenant_id = app_tenant_id() AND c.id = $1::uuid"};

/* Defaults under the body; requirement links in the same statement. */
static const struct db_stmt q_insert = {
	"WITH n AS (SELECT jsonb_populate_record(NULL::controls,"
	"  '{\"status\": \"not_started\", \"effectiveness\": \"not_assessed\"}'"
	"  ::jsonb || $1::jsonb) AS r),"
	" p AS (" CONTROL_PROBLEMS(
		"(n.r).owner_id",
		"$1::jsonb -> 'requirement_ids'") "),"
						  " ins AS (INSERT INTO "
						  "controls (tenant_id, name, "
						  "description,"
						  "  owner_id, status, "
						  "implemented_on, "
						  "effectiveness, review_date)"
						  "  SELECT app_tenant_id(), "
						  "(n.r).name, "
						  "(n.r).description,"
						  "  (n.r).owner_id, "
						  "(n.r).status, "
						  "(n.r).implemented_on,"
						  "  (n.r).effectiveness, "
						  "(n.r).review_date"
						  "  FROM n, p WHERE p.errors "
						  "= '[]' RETURNING *),"
						  " links AS (INSERT INTO "
						  "control_requirements "
						  "(tenant_id, control_id,"
						  "  requirement_id) SELECT "
						  "app_tenant_id(), ins.id, "
						  "x::uuid"
						  "  FROM ins, "
						  "jsonb_array_elements_text("
						  "coalesce($1::jsonb"
						  "  -> 'requirement_ids', "
						  "'[]')) x RETURNING 1)"
						  " SELECT p.errors AS "
						  "problems, (SELECT count(*) "
						  "FROM links) AS "
						  "linked,"
						  " " CONTROL_COLUMNS_WITH(
							  "requirements_json("
							  "coalesce($1::jsonb"
							  " -> "
							  "'requirement_ids', "
							  "'[]'))") " FROM p "
								    "LEFT JOIN "
								    "ins c ON "
								    "true"};

/*
 * JSON merge over the locked row; requirement_ids, when given, replaces
 * the links (those no longer named are removed, new ones added). $3 is
 * If-Match's version (0: none, -1: one that never matches).
 */
static const struct db_stmt q_update = {
	"WITH cur AS (SELECT c AS old FROM controls c"
	"  WHERE c.tenant_id = app_tenant_id() AND c.id = $1::uuid FOR UPDATE),"
	" n AS (SELECT jsonb_populate_record(cur.old, $2::jsonb) AS r FROM "
	"cur),"
	" p AS (" CONTROL_PROBLEMS(
		"(n.r).owner_id",
		"$2::jsonb -> 'requirement_ids'") "),"
						  " upd AS (UPDATE controls c "
						  "SET (name, description, "
						  "owner_id, status,"
						  "  implemented_on, "
						  "effectiveness, review_date) "
						  "= ((n.r).name,"
						  "  (n.r).description, "
						  "(n.r).owner_id, "
						  "(n.r).status,"
						  "  (n.r).implemented_on, "
						  "(n.r).effectiveness, "
						  "(n.r).review_date)"
						  "  FROM n, p WHERE "
						  "c.tenant_id = "
						  "app_tenant_id() AND c.id = "
						  "$1::uuid"
						  "  AND ($3::int = 0 OR "
						  "c.version = $3::int) AND "
						  "p.errors = '[]'"
						  "  RETURNING c.*),"
						  " unlink AS (DELETE FROM "
						  "control_requirements cr "
						  "USING upd"
						  "  WHERE $2::jsonb ? "
						  "'requirement_ids'"
						  "  AND cr.tenant_id = "
						  "app_tenant_id() AND "
						  "cr.control_id = upd.id"
						  "  AND cr.requirement_id NOT "
						  "IN (SELECT x::uuid FROM"
						  "   "
						  "jsonb_array_elements_text($"
						  "2::jsonb -> "
						  "'requirement_ids') x)"
						  "  RETURNING 1),"
						  " links AS (INSERT INTO "
						  "control_requirements "
						  "(tenant_id, control_id,"
						  "  requirement_id) SELECT "
						  "app_tenant_id(), upd.id, "
						  "x::uuid"
						  "  FROM upd, "
						  "jsonb_array_elements_text("
						  "CASE WHEN $2::jsonb ?"
						  "  'requirement_ids' THEN "
						  "$2::jsonb -> "
						  "'requirement_ids'"
						  "  ELSE '[]' END) x ON "
						  "CONFLICT DO NOTHING "
						  "RETURNING 1)"
						  " SELECT (cur.old).version "
						  "AS current_version, "
						  "p.errors AS problems,"
						  " (SELECT count(*) FROM "
						  "unlink) + (SELECT count(*) "
						  "FROM links)"
						  "  AS "
						  "relinked,"
						  " " CONTROL_COLUMNS_WITH(
							  "CASE WHEN $2::jsonb "
							  "? 'requirement_ids'"
							  " THEN "
							  "requirements_json($"
							  "2::jsonb"
							  " -> "
							  "'requirement_ids')"
							  " ELSE "
							  "control_"
							  "requirements_json(c."
							  "id) END") " FROM "
								     "cur "
								     "CROSS "
								     "JOIN p "
								     "LEFT "
								     "JOIN upd "
								     "c ON "
								     "true"};

/*
 * A control that risk treatments rely on stays: the treatments must let
 * go of it first.
 */
static const struct db_stmt q_delete = {
	"WITH cur AS (SELECT c.version FROM controls c"
	"  WHERE c.tenant_id = app_tenant_id() AND c.id = $1::uuid FOR UPDATE),"
	" risks AS (SELECT control_risks($1::uuid) AS list),"
	" del AS (DELETE FROM controls c USING cur, risks"
	"  WHERE c.tenant_id = app_tenant_id() AND c.id = $1::uuid"
	"  AND ($2::int = 0 OR cur.version = $2::int) AND risks.list = '[]'"
	"  RETURNING c.id)"
	" SELECT cur.version, jsonb_array_length(risks.list) AS risks,"
	" (SELECT count(*) FROM del) AS deleted FROM cur, risks"};

static int
validate_body(struct request *r, struct response *res, enum validate_mode mode)
{
	return validate_object(res, r->json, body_fields, NBODY_FIELDS, mode);
}

/* A path id that is not a UUID names nothing: 404, like another tenant's. */
static int
path_id(struct request *r, struct response *res)
{
	if (!validate_uuid(r->params[0]))
		return http_problem(res, 404, "not-found", "No such control.");
	return 0;
}

/* The control in row 0, without the statement's bookkeeping columns. */
static int
control_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "problems");
	json_object_del(res->body, "current_version");
	json_object_del(res->body, "linked");
	json_object_del(res->body, "relinked");
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 status);
}

/* The version a write found against the one If-Match named. */
static bool
stale(long wanted, const char *found)
{
	return wanted != 0 && strtol(found, NULL, 10) != wanted;
}

int
controls_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such control.");
	return control_response(res, row, 200);
}

int
controls_create(struct request *r, struct response *res)
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
	if ((status = controls_problems(res, row,
					"The control cannot be stored as "
					"given.")) != 0)
		return status;
	http_header(res, "Location", "/api/v1/controls/%s",
		    PQgetvalue(row, 0, PQfnumber(row, "id")));
	status = control_response(res, row, 201);
	return idempotency_end(r, res, &idem, status);
}

int
controls_update(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0 ||
	    (status = validate_body(r, res, VALIDATE_PATCH)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	params[2] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such control.");
	if (stale(version, PQgetvalue(row, 0, 0)))
		return http_problem(res, 412, "precondition-failed",
				    "The control changed since it was read "
				    "(If-Match).");
	if ((status = controls_problems(res, row,
					"The control cannot be stored as "
					"given.")) != 0)
		return status;
	return control_response(res, row, 200);
}

int
controls_delete(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = path_id(r, res)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 2, params, DB_COMMIT);
	if (row == NULL)
		return controls_delete_failed(res, r->db,
					      "Other records (risk treatments, "
					      "audits) still refer to this "
					      "control.");
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such control.");
	if (stale(version, PQgetvalue(row, 0, 0)))
		return http_problem(res, 412, "precondition-failed",
				    "The control changed since it was read "
				    "(If-Match).");
	if (strcmp(PQgetvalue(row, 0, 1), "0") != 0)
		return http_problem(res, 409, "conflict",
				    "Risk treatments of %s risk(s) rely on "
				    "this control; unlink it from them first.",
				    PQgetvalue(row, 0, 1));
	return 204;
}
