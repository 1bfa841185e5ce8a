/*
 * /api/v1/assets/settings: the tenant's classification scheme and C/I/A
 * scale, kept in tenants.settings (asset_classifications, cia_scale) with
 * the defaults of asset_settings() (0004) until an admin sets them. A
 * change that would leave a stored asset outside the settings is refused,
 * so every asset always satisfies them.
 */
#include "assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"

#define SCALE_MIN 0
#define SCALE_MAX 10

static const struct field settings_fields[] = {
	{"classifications", FIELD_STRINGS, FIELD_REQUIRED, 1, 20, NULL},
	{"cia_scale", FIELD_OBJECT, FIELD_REQUIRED, 0, 0, NULL},
};

static const struct field scale_fields[] = {
	{"min", FIELD_INT, FIELD_REQUIRED, SCALE_MIN, SCALE_MAX, NULL},
	{"max", FIELD_INT, FIELD_REQUIRED, SCALE_MIN, SCALE_MAX, NULL},
};

static const struct db_stmt q_get = {
	"SELECT s -> 'asset_classifications' AS classifications,"
	" s -> 'cia_scale' AS cia_scale FROM asset_settings() s"};

/*
 * $1 the classifications (JSON array), $2/$3 the scale. Writes only when
 * no asset (archived ones included) uses a dropped classification or a
 * value outside the new scale; reports those otherwise.
 */
static const struct db_stmt q_put = {
	"WITH used AS (SELECT DISTINCT a.classification FROM assets a"
	"  WHERE a.tenant_id = app_tenant_id() AND a.classification IS NOT NULL"
	"  AND NOT $1::jsonb ? a.classification),"
	" outside AS (SELECT count(*) AS n FROM assets a"
	"  WHERE a.tenant_id = app_tenant_id()"
	"  AND (a.confidentiality NOT BETWEEN $2::int AND $3::int"
	"   OR a.integrity NOT BETWEEN $2::int AND $3::int"
	"   OR a.availability NOT BETWEEN $2::int AND $3::int)),"
	" upd AS (UPDATE tenants t SET settings = t.settings"
	"  || jsonb_build_object('asset_classifications', $1::jsonb,"
	"   'cia_scale', jsonb_build_object('min', $2::int, 'max', $3::int))"
	"  WHERE t.id = app_tenant_id() AND NOT EXISTS (SELECT 1 FROM used)"
	"  AND (SELECT n FROM outside) = 0 RETURNING t.settings)"
	" SELECT (SELECT coalesce(jsonb_agg(classification ORDER BY"
	"  classification), '[]') FROM used) AS in_use,"
	" (SELECT n FROM outside) AS outside,"
	" upd.settings -> 'asset_classifications' AS classifications,"
	" upd.settings -> 'cia_scale' AS cia_scale"
	" FROM (SELECT 1) one LEFT JOIN upd ON true"};

int
asset_settings_get(struct request *r, struct response *res)
{
	PGresult *row = db_exec(r->db, &q_get, 0, NULL, DB_COMMIT);

	if (row == NULL)
		return errors_from_db(res, r->db);
	res->body = db_row_json(row, 0);
	return 200;
}

/* The body's own checks: the scale's bounds and the names' lengths. */
static int
check_body(struct response *res, const json_t *body)
{
	const json_t *scale = json_object_get(body, "cia_scale");
	const json_t *c;
	struct response sub;
	const json_t *e;
	size_t i;
	char name[64];

	json_array_foreach (json_object_get(body, "classifications"), i, c) {
		if (json_is_string(c) &&
		    validate_utf8_length(json_string_value(c)) > 50) {
			snprintf(name, sizeof(name), "classifications[%zu]", i);
			http_field_error(
				res, name,
				"must be from 1 to 50 characters long");
		}
	}
	if (!json_is_object(scale))
		goto out;
	response_init(&sub, res->arena);
	if (validate_object(&sub, scale, scale_fields,
			    sizeof(scale_fields) / sizeof(scale_fields[0]),
			    VALIDATE_CREATE) != 0) {
		json_array_foreach (sub.problem_errors, i, e) {
			snprintf(
				name, sizeof(name), "cia_scale.%s",
				json_string_value(json_object_get(e, "field")));
			http_field_error(res, name, "%s",
					 json_string_value(json_object_get(
						 e, "message")));
		}
	} else if (json_integer_value(json_object_get(scale, "min")) >=
		   json_integer_value(json_object_get(scale, "max"))) {
		http_field_error(res, "cia_scale.max",
				 "must be greater than cia_scale.min");
	}
	response_release(&sub);
out:
	if (res->problem_errors != NULL)
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	return 0;
}

int
asset_settings_put(struct request *r, struct response *res)
{
	const json_t *scale;
	const char *params[3];
	json_t *in_use;
	PGresult *row;
	char *text;
	int status;
	size_t i;
	const json_t *c;

	/* Both checks run, so that one answer names every bad field. */
	status = validate_object(res, r->json, settings_fields,
				 sizeof(settings_fields) /
					 sizeof(settings_fields[0]),
				 VALIDATE_CREATE);
	if (status == 400 || (status = check_body(res, r->json)) != 0)
		return status;
	scale = json_object_get(r->json, "cia_scale");
	text = json_dumps(json_object_get(r->json, "classifications"),
			  JSON_COMPACT);
	params[0] = text ? arena_strdup(r->arena, text) : NULL;
	free(text);
	params[1] =
		arena_printf(r->arena, "%" JSON_INTEGER_FORMAT,
			     json_integer_value(json_object_get(scale, "min")));
	params[2] =
		arena_printf(r->arena, "%" JSON_INTEGER_FORMAT,
			     json_integer_value(json_object_get(scale, "max")));
	if (params[0] == NULL)
		return http_internal(res, "cannot serialise the settings");
	row = db_exec(r->db, &q_put, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	in_use = db_value_json(row, 0, 0);
	json_array_foreach (in_use, i, c) {
		http_field_error(res, "classifications",
				 "drops '%s', which assets still use",
				 json_string_value(c));
	}
	json_decref(in_use);
	if (strcmp(PQgetvalue(row, 0, 1), "0") != 0)
		http_field_error(res, "cia_scale",
				 "leaves %s asset(s) with a value outside it",
				 PQgetvalue(row, 0, 1));
	if (res->problem_errors != NULL)
		return http_problem(res, 422, "validation",
				    "The settings do not fit the stored "
				    "assets.");
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "in_use");
	json_object_del(res->body, "outside");
	return 200;
}
