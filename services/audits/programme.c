/*
 * POST /api/v1/audits/programme: the certification cycle proposed from a
 * stage 2 date (audit_programme(), 0008, holds the offsets): stage 2,
 * surveillance 1 and 2, recertification. With "create": true the four
 * audits are created, planned, in one transaction and share a cycle_id.
 */
#include <string.h>

#include "audits.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const struct field fields[] = {
	{"stage2_date", FIELD_DATE, FIELD_REQUIRED, 0, 0, NULL},
	{"title_prefix", FIELD_STRING, 0, 1, 150, NULL},
	{"create", FIELD_BOOL, 0, 0, 0, NULL},
};

static const struct db_stmt q_programme = {
	"SELECT cycle_id, proposals, audits"
	" FROM audit_programme($1::date, $2, $3::boolean)"};

int
programme_propose(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[3];
	const json_t *create;
	PGresult *row;
	bool created;
	int status;

	status = validate_object(res, r->json, fields, NFIELDS(fields),
				 VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	create = json_object_get(r->json, "create");
	created = json_is_true(create);
	params[0] = json_string_value(json_object_get(r->json, "stage2_date"));
	params[1] = json_string_value(json_object_get(r->json, "title_prefix"));
	params[2] = created ? "true" : "false";
	row = db_exec(r->db, &q_programme, 3, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	res->body = json_pack("{s:s, s:o, s:o, s:o}", "stage2_date", params[0],
			      "cycle_id", db_value_json(row, 0, 0), "proposals",
			      db_value_json(row, 0, 1), "audits",
			      db_value_json(row, 0, 2));
	if (!created)
		return idempotency_end(r, res, &idem, 200);
	http_header(res, "Location", "/api/v1/audits?cycle_id=%s",
		    PQgetvalue(row, 0, 0));
	return idempotency_end(r, res, &idem, 201);
}
