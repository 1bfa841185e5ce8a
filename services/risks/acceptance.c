/*
 * /api/v1/risks/{id}/acceptance: the formal acceptance of a risk
 * (ISO/IEC 27001 6.1.3 e, ISO/IEC 27005:2022 8.6.3). A writer requests it
 * with a justification, for an assessed (retain) or treated risk; an admin
 * other than the requester approves it, with a justification and an
 * expiry, which makes the risk accepted, or rejects it. A decision is
 * final. When the expiry passes the risk is assessed again and due for
 * review (risk_status(), risks_expire_acceptances() in 0006). Requests and
 * decisions are rows of risk_acceptances, so the activity log holds them.
 */
#include "risks.h"

#include <string.h>

#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const char *const decisions[] = {"approved", "rejected", NULL};

static const struct field request_fields[] = {
	{"justification", FIELD_TEXT, FIELD_REQUIRED, 1, 2000, NULL},
};

static const struct field decision_fields[] = {
	{"decision", FIELD_ENUM, FIELD_REQUIRED, 0, 0, decisions},
	{"justification", FIELD_TEXT, FIELD_REQUIRED, 1, 2000, NULL},
	{"expires_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
};

/* As risk_treatments_list: no row when the risk is not visible. */
static const struct db_stmt q_list = {
	"SELECT x.created_at, x.id, x.item FROM risks r LEFT JOIN LATERAL ("
	" SELECT a.created_at, a.id, risk_acceptance_json(a) AS item"
	"  FROM risk_acceptances a"
	"  WHERE a.tenant_id = r.tenant_id AND a.risk_id = r.id"
	"  AND ($3::timestamptz IS NULL OR (a.created_at, a.id) > ($3, "
	"$4::uuid))"
	"  ORDER BY a.created_at, a.id LIMIT $2) x ON true"
	" WHERE r.tenant_id = app_tenant_id() AND r.id = $1::uuid"};

static const struct db_stmt q_request = {
	"SELECT outcome, problems, version, acceptance AS item"
	" FROM risk_acceptance_request($1::uuid, $2)"};

static const struct db_stmt q_decide = {
	"SELECT outcome, problems, version, acceptance AS item"
	" FROM risk_acceptance_decide($1::uuid, $2, $3, $4::timestamptz)"};

int
risk_acceptance_list(struct request *r, struct response *res)
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
risk_acceptance_request(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	status = validate_object(res, r->json, request_fields,
				 NFIELDS(request_fields), VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] =
		json_string_value(json_object_get(r->json, "justification"));
	row = db_exec(r->db, &q_request, 2, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	status = risks_outcome(res, row, "acceptance");
	return status == 201 ? idempotency_end(r, res, &idem, status) : status;
}

/* An approval needs its expiry; a rejection has none. */
static int
check_expiry(struct response *res, const json_t *body)
{
	bool approved =
		strcmp(json_string_value(json_object_get(body, "decision")),
		       "approved") == 0;
	bool given = json_is_string(json_object_get(body, "expires_at"));

	if (approved == given)
		return 0;
	http_field_error(res, "expires_at",
			 approved ? "is required to approve an acceptance"
				  : "must be left out when rejecting: only an "
				    "approval expires");
	return http_problem(res, 422, "validation",
			    "The request body has invalid fields.");
}

int
risk_acceptance_decide(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[4];
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	status = validate_object(res, r->json, decision_fields,
				 NFIELDS(decision_fields), VALIDATE_CREATE);
	if (status != 0 || (status = check_expiry(res, r->json)) != 0 ||
	    (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = json_string_value(json_object_get(r->json, "decision"));
	params[2] =
		json_string_value(json_object_get(r->json, "justification"));
	params[3] = json_string_value(json_object_get(r->json, "expires_at"));
	row = db_exec(r->db, &q_decide, 4, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	status = risks_outcome(res, row, "acceptance");
	return status == 200 ? idempotency_end(r, res, &idem, status) : status;
}
