/*
 * /api/v1/assets/{id}/dependencies: what an asset depends on (a service
 * on its server, the server on its site), or with ?direction=dependents
 * what depends on it. Edges are added by asset_dependency_add() (0004),
 * which refuses one that would close a cycle; an asset's effective C, I
 * and A follow from them (asset_effective()).
 */
#include "assets.h"

#include <string.h>

#include "db.h"
#include "errors.h"
#include "idempotency.h"
#include "page.h"

static const struct field create_fields[] = {
	{"depends_on_id", FIELD_UUID, FIELD_REQUIRED, 0, 0, NULL},
};

/*
 * One row per edge of the page, or a single row of NULLs when the asset
 * has none, or no row when the asset is not visible. `related` is the
 * asset at the other end.
 */
#define DEPENDENCY_LIST(mine, other)                                           \
	{                                                                      \
		"SELECT x.* FROM assets s LEFT JOIN LATERAL ("                 \
		" SELECT d.asset_id, d.depends_on_id,"                         \
		"  jsonb_build_object('id', o.id, 'name', o.name,"             \
		"  'type', o.type, 'status', o.status,"                        \
		"  'archived', o.archived_at IS NOT NULL) AS related,"         \
		"  d.created_at, d.created_by"                                 \
		"  FROM asset_dependencies d"                                  \
		"  JOIN assets o ON o.tenant_id = d.tenant_id"                 \
		"   AND o.id = d." other " WHERE d.tenant_id = s.tenant_id"    \
		"   AND d." mine " = s.id AND ($3::timestamptz IS NULL"        \
		"   OR (d.created_at, d." other ") > ($3, $4::uuid))"          \
		"  ORDER BY d.created_at, d." other " LIMIT $2) x ON true"     \
		" WHERE s.tenant_id = app_tenant_id() AND s.id = $1::uuid"     \
	}

static const struct db_stmt q_list_depends_on =
	DEPENDENCY_LIST("asset_id", "depends_on_id");
static const struct db_stmt q_list_dependents =
	DEPENDENCY_LIST("depends_on_id", "asset_id");

static const struct db_stmt q_add = {
	"SELECT outcome, asset_id, depends_on_id, related, created_at,"
	" created_by FROM asset_dependency_add($1::uuid, $2::uuid)"};

static const struct db_stmt q_remove = {
	"DELETE FROM asset_dependencies WHERE tenant_id = app_tenant_id()"
	" AND asset_id = $1::uuid AND depends_on_id = $2::uuid"
	" RETURNING asset_id"};

const char *const dependencies_list_query[] = {"limit", "cursor", "direction",
					       NULL};

int
dependencies_list(struct request *r, struct response *res)
{
	const char *direction = http_query(r, "direction");
	const char *params[4];
	bool dependents;
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_path_id(r, res, "asset")) != 0 ||
	    (status = page_parse(r, res, &p)) != 0)
		return status;
	dependents = direction != NULL && strcmp(direction, "dependents") == 0;
	if (direction != NULL && !dependents &&
	    strcmp(direction, "depends_on") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'direction' must be "
				    "depends_on or dependents.");
	params[0] = r->params[0];
	params[1] = p.fetch;
	params[2] = p.after_at;
	params[3] = p.after_id;
	rows = db_exec(r->db,
		       dependents ? &q_list_dependents : &q_list_depends_on, 4,
		       params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(rows) == 0)
		return http_problem(res, 404, "not-found", "No such asset.");
	if (PQntuples(rows) == 1 && PQgetisnull(rows, 0, 0)) {
		res->body = json_pack("{s:[], s:n}", "items", "next_cursor");
		return 200;
	}
	return page_respond(r, res, &p, rows, "created_at",
			    dependents ? "asset_id" : "depends_on_id");
}

int
dependencies_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2], *outcome;
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "asset")) != 0)
		return status;
	status = validate_object(res, r->json, create_fields,
				 sizeof(create_fields) /
					 sizeof(create_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] =
		json_string_value(json_object_get(r->json, "depends_on_id"));
	row = db_exec(r->db, &q_add, 2, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	outcome = PQgetvalue(row, 0, 0);
	if (strcmp(outcome, "no_asset") == 0)
		return http_problem(res, 404, "not-found", "No such asset.");
	if (strcmp(outcome, "exists") == 0)
		return http_problem(res, 409, "conflict",
				    "The asset already depends on that "
				    "asset.");
	if (strcmp(outcome, "ok") != 0) {
		if (strcmp(outcome, "no_target") == 0)
			http_field_error(res, "depends_on_id",
					 "must be an asset of this tenant");
		else if (strcmp(outcome, "self") == 0)
			http_field_error(res, "depends_on_id",
					 "must be another asset");
		else if (strcmp(outcome, "archived") == 0)
			http_field_error(res, "depends_on_id",
					 "archived assets take no new "
					 "dependencies");
		else
			http_field_error(res, "depends_on_id",
					 "would close a cycle: it depends on "
					 "this asset, directly or through "
					 "others");
		return http_problem(res, 422, "validation",
				    "The dependency cannot be added.");
	}
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "outcome");
	http_header(res, "Location", "/api/v1/assets/%s/dependencies/%s",
		    PQgetvalue(row, 0, 1), PQgetvalue(row, 0, 2));
	return idempotency_end(r, res, &idem, 201);
}

int
dependencies_delete(struct request *r, struct response *res)
{
	const char *params[2] = {r->params[0], r->params[1]};
	PGresult *row;

	if (!validate_uuid(r->params[0]) || !validate_uuid(r->params[1]))
		return http_problem(res, 404, "not-found",
				    "No such dependency.");
	row = db_exec(r->db, &q_remove, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such dependency.");
	return 204;
}
