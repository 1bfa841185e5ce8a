/*
 * /api/v1/risks and /api/v1/risks/{id}: the risk register (ISO/IEC 27001
 * 6.1.2 and 8.2). A risk is a scenario over assets, threats and
 * vulnerabilities, assessed three times on the tenant's matrix (inherent,
 * current, residual). risk_save() (0006) checks and writes a risk in one
 * round trip and derives scores, levels, above_appetite and next_review;
 * risk_json() is the one representation. Also the helpers every resource
 * of the service shares.
 */
#include "risks.h"

#include <string.h>

#include "codec.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

static const char *const statuses[] = {
	"identified", "assessed", "treatment_planned", "treated", "accepted",
	"closed",     NULL,
};

static const char *const treatments[] = {
	"modify", "retain", "avoid", "share", NULL,
};

static const char *const stages[] = {"inherent", "current", "residual", NULL};

/* Likelihood and impact are bounded by the tenant's matrix in SQL. */
static const struct field risk_fields[] = {
	{"title", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 10000, NULL},
	{"category", FIELD_STRING, FIELD_NULLABLE, 1, 100, NULL},
	{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
	{"asset_ids", FIELD_UUIDS, FIELD_REQUIRED, 1, 100, NULL},
	{"threat_ids", FIELD_UUIDS, 0, 0, 50, NULL},
	{"vulnerability_ids", FIELD_UUIDS, 0, 0, 50, NULL},
	{"inherent_likelihood", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"inherent_impact", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"current_likelihood", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"current_impact", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"residual_likelihood", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"residual_impact", FIELD_INT, FIELD_NULLABLE, 1, 7, NULL},
	{"treatment", FIELD_ENUM, FIELD_NULLABLE, 0, 0, treatments},
	{"status", FIELD_ENUM, 0, 0, 0, statuses},
	{"last_reviewed_on", FIELD_DATE, 0, 0, 0, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"inherent_score", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"inherent_level", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"current_score", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"current_level", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"residual_score", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"residual_level", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"status_changed_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"above_appetite", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"next_review", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"review_overdue", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"acceptance", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/* ---- helpers shared by the service's resources ---- */

const char *const risks_page_query[] = {"limit", "cursor", NULL};

bool
risks_in_list(const char *const *values, const char *s)
{
	for (; *values != NULL; values++)
		if (strcmp(*values, s) == 0)
			return true;
	return false;
}

int
risks_path_id(struct request *r, struct response *res, size_t i,
	      const char *what)
{
	if (i >= r->nparams || !validate_uuid(r->params[i]))
		return http_problem(res, 404, "not-found", "No such %s.", what);
	return 0;
}

int
risks_page_respond(struct request *r, struct response *res,
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
	for (i = 0; i < n && i < p->limit; i++)
		json_array_append_new(items, db_value_json(rows, i, c_item));
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

/* A write on a risk's child names the risk when the risk is missing. */
int
risks_outcome(struct response *res, const PGresult *row, const char *what)
{
	if (strcmp(PQgetvalue(row, 0, PQfnumber(row, "outcome")), "no_risk") ==
	    0)
		return http_problem(res, 404, "not-found", "No such risk.");
	return page_outcome(res, row, what);
}

/* ---- list ---- */

/*
 * $1 limit, $2/$3 the cursor, $4 level, $5 stage (the level and score
 * filters apply to it), $6/$7 score range, $8 owner_id, $9 asset_id,
 * $10 treatment, $11 status (as readers see it, expiry included),
 * $12 overdue, $13 above_appetite. One plan serves every combination; the
 * keyset walks risks_page_idx.
 */
static const struct db_stmt q_list = {
	"SELECT r.created_at, r.id, risk_json(r, m) AS item"
	" FROM risks r JOIN risk_matrices m ON m.tenant_id = r.tenant_id,"
	" LATERAL (SELECT CASE $5::text WHEN 'inherent' THEN r.inherent_level"
	"   WHEN 'residual' THEN r.residual_level ELSE r.current_level END"
	"   AS level,"
	"  CASE $5::text WHEN 'inherent' THEN r.inherent_score"
	"   WHEN 'residual' THEN r.residual_score ELSE r.current_score END"
	"   AS score) s"
	" WHERE r.tenant_id = app_tenant_id()"
	" AND ($2::timestamptz IS NULL"
	"  OR (r.created_at, r.id) > ($2, $3::uuid))"
	" AND ($4::text IS NULL OR s.level = $4)"
	" AND ($6::int IS NULL OR s.score >= $6)"
	" AND ($7::int IS NULL OR s.score <= $7)"
	" AND ($8::uuid IS NULL OR r.owner_id = $8)"
	" AND ($9::uuid IS NULL OR EXISTS (SELECT 1 FROM risk_assets a"
	"  WHERE a.tenant_id = r.tenant_id AND a.risk_id = r.id"
	"  AND a.asset_id = $9))"
	" AND ($10::text IS NULL OR r.treatment = $10)"
	" AND ($11::text IS NULL OR risk_status(r) = $11)"
	" AND ($12::boolean IS NULL"
	"  OR coalesce(r.next_review < current_date, false) = $12)"
	" AND ($13::boolean IS NULL OR r.above_appetite = $13)"
	" ORDER BY r.created_at, r.id LIMIT $1"};

const char *const risks_list_query[] = {
	"limit",     "cursor",         "level",    "stage",     "score_min",
	"score_max", "owner_id",       "asset_id", "treatment", "status",
	"overdue",   "above_appetite", NULL,
};

/* A "true"/"false" query value: 0 (absent: *set false) or 400. */
static int
query_bool(struct request *r, struct response *res, const char *name, bool *set,
	   bool *value)
{
	const char *v = http_query(r, name);

	*set = v != NULL;
	*value = v != NULL && strcmp(v, "true") == 0;
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be true or false.",
			    name);
}

/* An enum query value, or absent. */
static int
query_enum(struct request *r, struct response *res, const char *name,
	   const char *const *values, const char **out)
{
	*out = http_query(r, name);
	if (*out == NULL || risks_in_list(values, *out))
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' is not one of its values.",
			    name);
}

static int
query_uuid(struct request *r, struct response *res, const char *name,
	   const char **out)
{
	*out = http_query(r, name);
	if (*out == NULL || validate_uuid(*out))
		return 0;
	return http_problem(res, 400, "invalid-query",
			    "Query parameter '%s' must be a UUID.", name);
}

static int
query_score(struct request *r, struct response *res, const char *name,
	    const char **out)
{
	const char *v = http_query(r, name);
	long n;
	int status;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((status = validate_query_int(res, name, v, 0, 1, 49, &n)) != 0)
		return status;
	*out = v;
	return 0;
}

int
risks_list(struct request *r, struct response *res)
{
	const char *params[13];
	bool set, value;
	struct page p;
	PGresult *rows;
	int status;
	size_t n;

	if ((status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	params[3] = http_query(r, "level");
	n = params[3] != NULL ? validate_utf8_length(params[3]) : 1;
	if (n < 1 || n > 50)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'level' must be a risk "
				    "level's name (1 to 50 characters).");
	if ((status = query_enum(r, res, "stage", stages, &params[4])) != 0 ||
	    (status = query_score(r, res, "score_min", &params[5])) != 0 ||
	    (status = query_score(r, res, "score_max", &params[6])) != 0 ||
	    (status = query_uuid(r, res, "owner_id", &params[7])) != 0 ||
	    (status = query_uuid(r, res, "asset_id", &params[8])) != 0 ||
	    (status = query_enum(r, res, "treatment", treatments,
				 &params[9])) != 0 ||
	    (status = query_enum(r, res, "status", statuses, &params[10])) != 0)
		return status;
	if ((status = query_bool(r, res, "overdue", &set, &value)) != 0)
		return status;
	params[11] = set ? (value ? "true" : "false") : NULL;
	status = query_bool(r, res, "above_appetite", &set, &value);
	if (status != 0)
		return status;
	params[12] = set ? (value ? "true" : "false") : NULL;
	rows = db_exec(r->db, &q_list, 13, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return risks_page_respond(r, res, &p, rows);
}

/* ---- one risk ---- */

static const struct db_stmt q_get = {
	"SELECT r.version, risk_json(r, m) AS item"
	" FROM risks r JOIN risk_matrices m ON m.tenant_id = r.tenant_id"
	" WHERE r.tenant_id = app_tenant_id() AND r.id = $1::uuid"};

static const struct db_stmt q_create = {
	"SELECT outcome, problems, version, risk AS item"
	" FROM risk_save(NULL, $1::jsonb, 0)"};

static const struct db_stmt q_update = {
	"SELECT outcome, problems, version, risk AS item"
	" FROM risk_save($1::uuid, $2::jsonb, $3::int)"};

/* Deleting cascades to the links, the treatment plan and acceptances. */
static const struct db_stmt q_delete = {
	"WITH cur AS (SELECT r.version FROM risks r"
	"  WHERE r.tenant_id = app_tenant_id() AND r.id = $1::uuid FOR UPDATE),"
	" del AS (DELETE FROM risks r USING cur"
	"  WHERE r.tenant_id = app_tenant_id() AND r.id = $1::uuid"
	"  AND ($2::int = 0 OR cur.version = $2::int) RETURNING r.id)"
	" SELECT cur.version, (SELECT count(*) FROM del) AS deleted FROM cur"};

int
risks_get(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	row = db_exec(r->db, &q_get, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such risk.");
	res->body = db_value_json(row, 0, 1);
	return page_etag(res, PQgetvalue(row, 0, 0), 200);
}

int
risks_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[1] = {r->body};
	PGresult *row;
	int status;

	status = validate_object(res, r->json, risk_fields,
				 NFIELDS(risk_fields), VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	row = db_exec(r->db, &q_create, 1, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = risks_outcome(res, row, "risk")) != 201)
		return status;
	http_header(res, "Location", "/api/v1/risks/%s",
		    json_string_value(json_object_get(res->body, "id")));
	return idempotency_end(r, res, &idem, status);
}

int
risks_update(struct request *r, struct response *res)
{
	const char *params[3];
	long version = page_if_match(r);
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	status = validate_object(res, r->json, risk_fields,
				 NFIELDS(risk_fields), VALIDATE_PATCH);
	if (status != 0)
		return status;
	params[0] = r->params[0];
	params[1] = r->body;
	params[2] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	return risks_outcome(res, row, "risk");
}

int
risks_delete(struct request *r, struct response *res)
{
	const char *params[2];
	long version = page_if_match(r);
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, "risk")) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such risk.");
	if (strcmp(PQgetvalue(row, 0, 1), "0") == 0)
		return http_problem(res, 412, "precondition-failed",
				    "The risk changed since it was read "
				    "(If-Match).");
	return 204;
}
