/*
 * /api/v1/audits and /api/v1/audits/{id}: internal, certification and
 * supplier audits with their scope, dates, team and status. Every write
 * is one call of audit_save() (0008), which checks the body against the
 * tenant (members, assets, the catalog) and answers with the audit as
 * audit_json() shows it; the status rules, the checklist that follows the
 * scope and the baseline frozen at the start are the triggers' work.
 * Also the helpers the service's other resources share.
 */
#include "audits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

/* ---- helpers shared by the service's resources ---- */

const char *const audits_page_query[] = {"limit", "cursor", NULL};

int
audits_path_id(struct request *r, struct response *res, size_t i,
	       const char *what)
{
	if (i >= r->nparams || !validate_uuid(r->params[i]))
		return http_problem(res, 404, "not-found", "No such %s.", what);
	return 0;
}

int
audits_query_enum(struct request *r, struct response *res, const char *name,
		  const char *const *values, const char **out)
{
	const char *const *v;

	*out = http_query(r, name);
	if (*out == NULL)
		return 0;
	for (v = values; *v != NULL; v++)
		if (strcmp(*v, *out) == 0)
			return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' is not one of its values.",
			    name);
}

int
audits_query_uuid(struct request *r, struct response *res, const char *name,
		  const char **out)
{
	*out = http_query(r, name);
	if (*out == NULL || validate_uuid(*out))
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be a UUID.", name);
}

const char *
audits_if_match(struct request *r)
{
	return arena_printf(r->arena, "%ld", page_if_match(r));
}

int
audits_page_respond(struct request *r, struct response *res,
		    const struct page *p, const PGresult *rows)
{
	int i, n = PQntuples(rows);
	int c_at = PQfnumber(rows, "created_at"), c_id = PQfnumber(rows, "id");
	int c_item = PQfnumber(rows, "item");
	const char *last[2];
	json_t *items, *at;

	if (c_at < 0 || c_id < 0 || c_item < 0)
		return http_internal(res, "page columns missing");
	items = json_array();
	for (i = 0; i < n && i < p->limit; i++) {
		/* A row without an item: the parent exists, the list is empty.
		 */
		if (PQgetisnull(rows, i, c_item))
			break;
		json_array_append_new(items, db_value_json(rows, i, c_item));
	}
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n > p->limit) {
		/* The key as RFC 3339, which is what page_parse() accepts. */
		at = db_value_json(rows, (int)p->limit - 1, c_at);
		last[0] = arena_strdup(r->arena, json_string_value(at));
		last[1] = PQgetvalue(rows, (int)p->limit - 1, c_id);
		json_decref(at);
		json_object_set_new(
			res->body, "next_cursor",
			json_string(codec_cursor_encode(r->arena, last, 2)));
	}
	return 200;
}

int
audits_item_response(struct response *res, const PGresult *row,
		     const char *what)
{
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such %s.", what);
	res->body = db_value_json(row, 0, PQfnumber(row, "item"));
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 200);
}

/* ---- fields ---- */

static const char *const types[] = {
	"internal",        "stage1",   "stage2", "surveillance",
	"recertification", "supplier", NULL,
};

static const char *const statuses[] = {
	"planned", "in_progress", "reporting", "closed", NULL,
};

/*
 * Create and update share the list; a new audit is always planned, so
 * create refuses `status` (audits_create).
 */
static const struct field fields[] = {
	{"type", FIELD_ENUM, FIELD_REQUIRED, 0, 0, types},
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"scope_clauses", FIELD_STRINGS, 0, 0, 50, NULL},
	{"scope_controls", FIELD_STRINGS, 0, 0, 200, NULL},
	{"scope_asset_ids", FIELD_UUIDS, 0, 0, 500, NULL},
	{"planned_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"planned_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"actual_start", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"actual_end", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"due_by", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"lead_auditor_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"team_member_ids", FIELD_UUIDS, 0, 0, 50, NULL},
	{"allowed_transitions", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"cancelled", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"status_changed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"team", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"checklist", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"baseline_taken_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"cycle_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/* ---- list ---- */

/*
 * $1 limit, $2/$3 the cursor, $4 type, $5 status, $6 cycle_id, $7 a
 * user on the team. An auditor sees only the audits it is on (the
 * engagement policy of 0008).
 */
static const struct db_stmt q_list = {
	"SELECT a.created_at, a.id, audit_json(a) AS item FROM audits a"
	" WHERE a.tenant_id = app_tenant_id()"
	" AND ($2::timestamptz IS NULL"
	"  OR (a.created_at, a.id) > ($2, $3::uuid))"
	" AND ($4::text IS NULL OR a.type = $4)"
	" AND ($5::text IS NULL OR a.status = $5)"
	" AND ($6::uuid IS NULL OR a.cycle_id = $6)"
	" AND ($7::uuid IS NULL OR EXISTS (SELECT 1 FROM audit_team t"
	"  WHERE t.tenant_id = a.tenant_id AND t.audit_id = a.id"
	"  AND t.user_id = $7))"
	" ORDER BY a.created_at, a.id LIMIT $1"};

const char *const audits_list_query[] = {
	"limit", "cursor", "type", "status", "cycle_id", "auditor_id", NULL,
};

int
audits_list(struct request *r, struct response *res)
{
	const char *params[7];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	if ((status = audits_query_enum(r, res, "type", types, &params[3])) !=
		    0 ||
	    (status = audits_query_enum(r, res, "status", statuses,
					&params[4])) != 0 ||
	    (status = audits_query_uuid(r, res, "cycle_id", &params[5])) != 0 ||
	    (status = audits_query_uuid(r, res, "auditor_id", &params[6])) != 0)
		return status;
	rows = db_exec(r->db, &q_list, 7, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return audits_page_respond(r, res, &p, rows);
}

/* ---- one audit ---- */

static const struct db_stmt q_get = {
	"SELECT a.version, audit_json(a) AS item FROM audits a"
	" WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"};

static const struct db_stmt q_create = {
	"SELECT outcome, problems, version, audit AS item"
	" FROM audit_save(NULL, $1::jsonb, 0)"};

static const struct db_stmt q_update = {
	"SELECT outcome, problems, version, audit AS item"
	" FROM audit_save($1::uuid, $2::jsonb, $3::int)"};

/*
 * Only a planned audit without a baseline goes (the guard trigger says
 * 409 otherwise); its team, scope and checklist go with it.
 */
static const struct db_stmt q_delete = {
	"WITH cur AS (SELECT a.version FROM audits a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid FOR UPDATE),"
	" del AS (DELETE FROM audits a USING cur"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"
	"  AND ($2::int = 0 OR cur.version = $2::int) RETURNING a.id)"
	" SELECT cur.version, (SELECT count(*) FROM del) AS deleted FROM cur"};

int
audits_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return audits_item_response(res, row, "audit");
}

int
audits_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[1] = {r->body};
	PGresult *row;
	int status;

	if (json_object_get(r->json, "status") != NULL)
		http_field_error(res, "status",
				 "is read-only on create: a new audit is "
				 "planned");
	status = validate_object(res, r->json, fields, NFIELDS(fields),
				 VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	row = db_exec(r->db, &q_create, 1, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = page_outcome(res, row, "audit")) != 201)
		return status;
	http_header(res, "Location", "/api/v1/audits/%s",
		    json_string_value(json_object_get(res->body, "id")));
	return idempotency_end(r, res, &idem, status);
}

int
audits_update(struct request *r, struct response *res)
{
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	status = validate_object(res, r->json, fields, NFIELDS(fields),
				 VALIDATE_PATCH);
	if (status != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	params[2] = audits_if_match(r);
	row = db_exec(r->db, &q_update, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return page_outcome(res, row, "audit");
}

int
audits_delete(struct request *r, struct response *res)
{
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = audits_if_match(r);
	row = db_exec(r->db, &q_delete, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such audit.");
	if (strcmp(PQgetvalue(row, 0, 1), "0") == 0)
		return http_problem(res, 412, "precondition-failed",
				    "The audit changed since it was read "
				    "(If-Match).");
	return 204;
}
