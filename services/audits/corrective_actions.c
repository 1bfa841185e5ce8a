/*
 * /api/v1/findings/{id}/corrective-actions and
 * /api/v1/corrective-actions/{id} (ISO/IEC 27001:2022 clause 10.2): the
 * correction, the root cause, the action with its owner and due date,
 * and the review of its effectiveness. Sending verification_result
 * records the verification; verified_by and verified_at are the
 * database's (corrective_actions_guard, 0008), which also refuses a
 * verification by the action's owner (403), before the action is done
 * (409), and any change to a verified action (409).
 */
#include <string.h>

#include "audits.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const char *const statuses[] = {"open", "in_progress", "done", NULL};

static const char *const verifications[] = {"effective", "not_effective", NULL};

static const struct field fields[] = {
	{"correction", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"root_cause", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"action", FIELD_TEXT, FIELD_REQUIRED, 1, 10000, NULL},
	{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"due_date", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"verification_result", FIELD_ENUM, 0, 0, 0, verifications},
	{"verification_notes", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"finding_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"audit_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"overdue", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"completed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"verified_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"verified_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/* As the findings' list, under a finding. $4 the finding. */
static const struct db_stmt q_list = {
	"SELECT x.created_at, x.id, x.item FROM findings f LEFT JOIN LATERAL ("
	"  SELECT c.created_at, c.id, corrective_action_json(c) AS item"
	"  FROM corrective_actions c"
	"  WHERE c.tenant_id = f.tenant_id AND c.finding_id = f.id"
	"  AND ($2::timestamptz IS NULL"
	"   OR (c.created_at, c.id) > ($2, $3::uuid))"
	"  ORDER BY c.created_at, c.id LIMIT $1) x ON true"
	" WHERE f.tenant_id = app_tenant_id() AND f.id = $4::uuid"};

static const struct db_stmt q_get = {
	"SELECT c.version, corrective_action_json(c) AS item"
	" FROM corrective_actions c"
	" WHERE c.tenant_id = app_tenant_id() AND c.id = $1::uuid"};

static const struct db_stmt q_create = {
	"SELECT outcome, problems, version, corrective_action AS item"
	" FROM corrective_action_save($1::uuid, NULL, $2::jsonb, 0)"};

static const struct db_stmt q_update = {
	"SELECT outcome, problems, version, corrective_action AS item"
	" FROM corrective_action_save(NULL, $1::uuid, $2::jsonb, $3::int)"};

int
corrective_actions_list(struct request *r, struct response *res)
{
	const char *params[4];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = audits_path_id(r, res, 0, "finding")) != 0 ||
	    (status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	params[3] = r->params[0];
	rows = db_exec(r->db, &q_list, 4, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(rows) == 0)
		return http_problem(res, 404, "not-found", "No such finding.");
	return audits_page_respond(r, res, &p, rows);
}

int
corrective_actions_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "finding")) != 0)
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
		return http_problem(res, 404, "not-found", "No such finding.");
	if ((status = page_outcome(res, row, "corrective action")) != 201)
		return status;
	http_header(res, "Location", "/api/v1/corrective-actions/%s",
		    json_string_value(json_object_get(res->body, "id")));
	return idempotency_end(r, res, &idem, status);
}

int
corrective_actions_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "corrective action")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return audits_item_response(res, row, "corrective action");
}

int
corrective_actions_update(struct request *r, struct response *res)
{
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "corrective action")) != 0)
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
	return page_outcome(res, row, "corrective action");
}
