/*
 * /api/v1/audits/{id}/findings and /api/v1/findings/{id}: what an audit
 * found, graded major or minor nonconformity, observation or opportunity
 * for improvement, against a requirement (a clause or control), with the
 * evidence behind it. finding_save() (0008) writes; the findings_guard
 * trigger keeps the rules: findings are raised while the audit runs, and
 * a nonconformity closes only with a corrective action verified as
 * effective.
 */
#include <string.h>

#include "audits.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const char *const grades[] = {
	"major_nc", "minor_nc", "observation", "ofi", NULL,
};

static const char *const statuses[] = {"open", "in_progress", "closed", NULL};

static const struct field fields[] = {
	{"grade", FIELD_ENUM, FIELD_REQUIRED, 0, 0, grades},
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"requirement_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"checklist_item_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"evidence_ids", FIELD_UUIDS, 0, 0, 100, NULL},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"audit_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"requirement", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"status_changed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"closed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"corrective_actions", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/*
 * As the checklist's list: no row when the audit is not the caller's, a
 * NULL item when it has no (more) findings. $1 limit, $2/$3 the cursor,
 * $4 the audit, $5 grade, $6 status.
 */
static const struct db_stmt q_list = {
	"SELECT x.created_at, x.id, x.item FROM audits a LEFT JOIN LATERAL ("
	"  SELECT f.created_at, f.id, finding_json(f) AS item FROM findings f"
	"  WHERE f.tenant_id = a.tenant_id AND f.audit_id = a.id"
	"  AND ($2::timestamptz IS NULL"
	"   OR (f.created_at, f.id) > ($2, $3::uuid))"
	"  AND ($5::text IS NULL OR f.grade = $5)"
	"  AND ($6::text IS NULL OR f.status = $6)"
	"  ORDER BY f.created_at, f.id LIMIT $1) x ON true"
	" WHERE a.tenant_id = app_tenant_id() AND a.id = $4::uuid"};

const char *const findings_list_query[] = {
	"limit", "cursor", "grade", "status", NULL,
};

static const struct db_stmt q_get = {
	"SELECT f.version, finding_json(f) AS item FROM findings f"
	" WHERE f.tenant_id = app_tenant_id() AND f.id = $1::uuid"};

static const struct db_stmt q_create = {
	"SELECT outcome, problems, version, finding AS item"
	" FROM finding_save($1::uuid, NULL, $2::jsonb, 0)"};

static const struct db_stmt q_update = {
	"SELECT outcome, problems, version, finding AS item"
	" FROM finding_save(NULL, $1::uuid, $2::jsonb, $3::int)"};

int
findings_list(struct request *r, struct response *res)
{
	const char *params[6];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0 ||
	    (status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	params[3] = r->params[0];
	if ((status = audits_query_enum(r, res, "grade", grades, &params[4])) !=
		    0 ||
	    (status = audits_query_enum(r, res, "status", statuses,
					&params[5])) != 0)
		return status;
	rows = db_exec(r->db, &q_list, 6, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(rows) == 0)
		return http_problem(res, 404, "not-found", "No such audit.");
	return audits_page_respond(r, res, &p, rows);
}

int
findings_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	status = validate_object(res, r->json, fields, NFIELDS(fields),
				 VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	row = db_exec(r->db, &q_create, 2, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (strcmp(PQgetvalue(row, 0, 0), "not_found") == 0)
		return http_problem(res, 404, "not-found", "No such audit.");
	if ((status = page_outcome(res, row, "finding")) != 201)
		return status;
	http_header(res, "Location", "/api/v1/findings/%s",
		    json_string_value(json_object_get(res->body, "id")));
	return idempotency_end(r, res, &idem, status);
}

int
findings_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "finding")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return audits_item_response(res, row, "finding");
}

int
findings_update(struct request *r, struct response *res)
{
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "finding")) != 0)
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
	return page_outcome(res, row, "finding");
}
