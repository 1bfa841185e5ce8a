/*
 * /api/v1/assets: the asset inventory (ISO/IEC 27001 A.5.9-5.14).
 */
#include "assets.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "errors.h"
#include "page.h"
#include "validate.h"

static const char *const asset_types[] = {
	"information", "software", "hardware", "service",
	"people",      "site",     "supplier", NULL,
};

static const struct field asset_fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"type", FIELD_ENUM, FIELD_REQUIRED, 0, 0, asset_types},
};

#define ASSET_COLUMNS                                                       \
	"id, name, type, version, created_at, updated_at, created_by, "     \
	"updated_by"

static const struct db_stmt q_list = {
	"SELECT " ASSET_COLUMNS " FROM assets"
	" WHERE tenant_id = app_tenant_id() AND archived_at IS NULL"
	"   AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))"
	" ORDER BY created_at, id LIMIT $1"};

static const struct db_stmt q_insert = {
	"INSERT INTO assets (tenant_id, name, type)"
	" VALUES (app_tenant_id(), $1, $2)"
	" RETURNING " ASSET_COLUMNS};

const char *const assets_list_query[] = {"limit", "cursor", NULL};

int
assets_list(struct request *r, struct response *res)
{
	const char *params[3];
	struct page p;
	PGresult *rows;
	int status;

	if ((status = page_parse(r, res, &p)) != 0)
		return status;
	params[0] = p.fetch;
	params[1] = p.after_at;
	params[2] = p.after_id;
	rows = db_exec(r->db, &q_list, 3, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_respond(r, res, &p, rows, "created_at", "id");
}

int
assets_create(struct request *r, struct response *res)
{
	const char *params[2];
	PGresult *row;
	json_t *body;
	int status;

	status = validate_object(res, r->json, asset_fields,
				 sizeof(asset_fields) / sizeof(asset_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0)
		return status;
	params[0] = json_string_value(json_object_get(r->json, "name"));
	params[1] = json_string_value(json_object_get(r->json, "type"));
	row = db_exec(r->db, &q_insert, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	body = db_row_json(row, 0);
	http_header(res, "Location", "/api/v1/assets/%s",
		    PQgetvalue(row, 0, 0));
	res->body = body;
	return page_etag(res, PQgetvalue(row, 0, 3), 201);
}
