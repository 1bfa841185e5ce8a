/*
 * /api/v1/risks/{id}/treatments: a risk's treatment plan (ISO/IEC 27001
 * 6.1.3 and 8.3): actions with the controls they implement, an owner, a
 * due date and a status (planned, in_progress, done, cancelled;
 * completed_on is stamped when done). risk_treatment_save() (0006) checks
 * and writes an action in one round trip. control_ids are the tenant's
 * controls; until the controls table exists they are stored unchecked.
 */
#include "risks.h"

#include <string.h>

#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const char *const statuses[] = {
	"planned", "in_progress", "done", "cancelled", NULL,
};

static const struct field treatment_fields[] = {
	{"action", FIELD_TEXT, FIELD_REQUIRED, 1, 2000, NULL},
	{"control_ids", FIELD_UUIDS, 0, 0, 50, NULL},
	{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"due_date", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"risk_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"completed_on", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"overdue", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/*
 * One row per action of the page, a single row of NULLs when the risk has
 * none, no row when the risk is not visible.
 */
static const struct db_stmt q_list = {
	"SELECT x.created_at, x.id, x.item FROM risks r LEFT JOIN LATERAL ("
	" SELECT t.created_at, t.id, risk_treatment_json(t) AS item"
	"  FROM risk_treatments t"
	"  WHERE t.tenant_id = r.tenant_id AND t.risk_id = r.id"
	"  AND ($3::timestamptz IS NULL OR (t.created_at, t.id) > ($3, "
	"$4::uuid))"
	"  ORDER BY t.created_at, t.id LIMIT $2) x ON true"
	" WHERE r.tenant_id = app_tenant_id() AND r.id = $1::uuid"};

static const struct db_stmt q_get = {
	"SELECT t.version, risk_treatment_json(t) AS item FROM risk_treatments "
	"t"
	" WHERE t.tenant_id = app_tenant_id() AND t.risk_id = $1::uuid"
	" AND t.id = $2::uuid"};

static const struct db_stmt q_create = {
	"SELECT outcome, problems, version, treatment AS item"
	" FROM risk_treatment_save($1::uuid, NULL, $2::jsonb, 0)"};

static const struct db_stmt q_update = {
	"SELECT outcome, problems, version, treatment AS item"
	" FROM risk_treatment_save($1::uuid, $2::uuid, $3::jsonb, $4::int)"};

static const struct db_stmt q_delete = {
	"WITH cur AS (SELECT t.version FROM risk_treatments t"
	"  WHERE t.tenant_id = app_tenant_id() AND t.risk_id = $1::uuid"
	"  AND t.id = $2::uuid FOR UPDATE),"
	" del AS (DELETE FROM risk_treatments t USING cur"
	"  WHERE t.tenant_id = app_tenant_id() AND t.id = $2::uuid"
	"  AND ($3::int = 0 OR cur.version = $3::int) RETURNING t.id)"
	" SELECT cur.version, (SELECT count(*) FROM del) AS deleted FROM cur"};

/* Both path ids are UUIDs, or the answer is 404. */
static int
path_ids(struct request *r, struct response *res)
{
	int status = risks_path_id(r, res, 0, "risk");

	return status != 0 ? status : risks_path_id(r, res, 1, "treatment");
}

int
risk_treatments_list(struct request *r, struct response *res)
{
	const char *params[4];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0 ||
	    (status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = p.fetch;
	params[2] = p.after_at;
	params[3] = p.after_id;
	rows = db_exec(r->db, &q_list, 4, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(rows) == 0)
		return http_problem(res, 404, "not-found", "No such risk.");
	if (PQntuples(rows) == 1 && PQgetisnull(rows, 0, 1)) {
		res->body = json_pack("{s:[], s:n}", "items", "next_cursor");
		return 200;
	}
	return risks_page_respond(r, res, &p, rows);
}

int
risk_treatments_get(struct request *r, struct response *res)
{
	const char *params[2] = {r->params[0], r->params[1]};
	PGresult *row;
	int status;

	if ((status = path_ids(r, res)) != 0)
		return status;
	row = db_exec(r->db, &q_get, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such treatment.");
	res->body = db_value_json(row, 0, 1);
	return page_etag(res, PQgetvalue(row, 0, 0), 200);
}

int
risk_treatments_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	status = validate_object(res, r->json, treatment_fields,
				 NFIELDS(treatment_fields), VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	row = db_exec(r->db, &q_create, 2, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = risks_outcome(res, row, "treatment")) != 201)
		return status;
	http_header(res, "Location", "/api/v1/risks/%s/treatments/%s",
		    r->params[0],
		    json_string_value(json_object_get(res->body, "id")));
	return idempotency_end(r, res, &idem, status);
}

int
risk_treatments_update(struct request *r, struct response *res)
{
	const char *params[4];
	PGresult *row;
	int status;

	if ((status = path_ids(r, res)) != 0)
		return status;
	status = validate_object(res, r->json, treatment_fields,
				 NFIELDS(treatment_fields), VALIDATE_PATCH);
	if (status != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->params[1];
	params[2] = r->body;
	params[3] = arena_printf(r->arena, "%ld", page_if_match(r));
	row = db_exec(r->db, &q_update, 4, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return risks_outcome(res, row, "treatment");
}

int
risk_treatments_delete(struct request *r, struct response *res)
{
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = path_ids(r, res)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->params[1];
	params[2] = arena_printf(r->arena, "%ld", page_if_match(r));
	row = db_exec(r->db, &q_delete, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such treatment.");
	if (strcmp(PQgetvalue(row, 0, 1), "0") == 0)
		return http_problem(res, 412, "precondition-failed",
				    "The treatment changed since it was read "
				    "(If-Match).");
	return 204;
}
