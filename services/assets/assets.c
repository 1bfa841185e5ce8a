/*
 * /api/v1/assets: the asset inventory (ISO/IEC 27001 A.5.9-5.14).
 */
#include "assets.h"

#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "errors.h"
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
	const char *after[2] = {NULL, NULL};
	const char *cursor = http_query(r, "cursor");
	const char *params[3];
	const char *last[2];
	json_t *items;
	PGresult *rows;
	long limit;
	int i, n, status;

	if ((status = validate_query_int(res, "limit", http_query(r, "limit"),
					 50, 1, 200, &limit)) != 0)
		return status;
	if (cursor != NULL &&
	    (codec_cursor_decode(r->arena, cursor, after, 2) != 0 ||
	     !validate_timestamp(after[0]) || !validate_uuid(after[1])))
		return http_problem(res, 400, "invalid-query",
				    "The cursor is not one this API issued.");
	/* One row more than the page tells whether another page exists. */
	params[0] = arena_printf(r->arena, "%ld", limit + 1);
	params[1] = after[0];
	params[2] = after[1];
	rows = db_exec(r->db, &q_list, 3, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	n = PQntuples(rows);
	items = json_array();
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, db_row_json(rows, i));
	res->body = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	if (n > limit) {
		json_t *row = json_array_get(items, (size_t)limit - 1);

		last[0] = json_string_value(json_object_get(row, "created_at"));
		last[1] = json_string_value(json_object_get(row, "id"));
		json_object_set_new(res->body, "next_cursor",
				    json_string(codec_cursor_encode(
					    r->arena, last, 2)));
	}
	return 200;
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
	http_header(res, "ETag", "\"%s\"", PQgetvalue(row, 0, 3));
	res->body = body;
	return 201;
}
