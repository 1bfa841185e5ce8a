/*
 * /api/v1/audits/{id}/baseline: the Statement of Applicability, the risk
 * register and the evidence list as they were when the audit started (or
 * when POST asked for the baseline earlier), frozen in one statement
 * (audit_baseline_take(), 0008) and never changed afterwards: later edits
 * of the SoA, risks or evidence do not reach it. Its digest (SHA-256 of
 * the content) was written to the activity log when it was taken;
 * `intact` says whether the content still matches it.
 */
#include <string.h>

#include "audits.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const struct db_stmt q_get = {
	"SELECT CASE WHEN b.audit_id IS NOT NULL"
	"  THEN audit_baseline_json(b) END AS item"
	" FROM audits a LEFT JOIN audit_baselines b"
	"  ON b.tenant_id = a.tenant_id AND b.audit_id = a.id"
	" WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid"};

/* Locks the audit, so that two requests cannot both take one. */
static const struct db_stmt q_take = {
	"WITH a AS (SELECT a.tenant_id, a.id, a.status FROM audits a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = $1::uuid FOR UPDATE)"
	" SELECT a.status, CASE WHEN a.status <> 'closed'"
	"  THEN audit_baseline_take(a.tenant_id, a.id) END AS taken FROM a"};

static const struct db_stmt q_taken = {
	"SELECT audit_baseline_json(b) AS item FROM audit_baselines b"
	" WHERE b.tenant_id = app_tenant_id() AND b.audit_id = $1::uuid"};

/* A baseline never changes: its digest is its entity tag. */
static int
baseline_etag(struct response *res, int status)
{
	const char *digest =
		json_string_value(json_object_get(res->body, "digest"));

	return digest != NULL ? page_etag(res, digest, status) : status;
}

int
baseline_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such audit.");
	if (PQgetisnull(row, 0, 0))
		return http_problem(res, 404, "not-found",
				    "The audit has no baseline yet; it is "
				    "taken when the audit starts.");
	res->body = db_value_json(row, 0, 0);
	return baseline_etag(res, 200);
}

int
baseline_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0 ||
	    (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	row = db_exec(r->db, &q_take, 1, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such audit.");
	if (PQgetisnull(row, 0, 1))
		return http_problem(res, 409, "conflict",
				    "The audit is closed; a baseline is taken "
				    "before or when it starts.");
	if (strcmp(PQgetvalue(row, 0, 1), "t") != 0)
		return http_problem(res, 409, "conflict",
				    "The audit already has a baseline; a "
				    "baseline is never replaced.");
	row = db_exec(r->db, &q_taken, 1, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	res->body = db_value_json(row, 0, 0);
	http_header(res, "Location", "/api/v1/audits/%s/baseline",
		    r->params[0]);
	return idempotency_end(r, res, &idem, baseline_etag(res, 201));
}
