/*
 * /api/v1/api-keys: keys for integrators, bound to the tenant and a role,
 * optionally expiring. The key is shown once, at creation; only the
 * SHA-256 of its secret is stored. Revocation takes effect on the next
 * request, because every request's first round trip checks the key.
 */
#include <string.h>

#include "auth.h"
#include "db.h"
#include "errors.h"
#include "page.h"
#include "validate.h"

static const char *const key_roles[] = {"admin", "editor", "viewer", NULL};

static const struct field create_fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, key_roles},
	{"expires_at", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
};

#define KEY_COLUMNS                                                         \
	"id, name, role, expires_at, revoked_at, version, created_at,"      \
	" updated_at, created_by"

static const struct db_stmt q_list = {
	"SELECT " KEY_COLUMNS " FROM api_keys"
	" WHERE tenant_id = app_tenant_id()"
	"   AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))"
	" ORDER BY created_at, id LIMIT $1"};

/* A key that would expire before it is shown is refused (no row). */
static const struct db_stmt q_insert = {
	"INSERT INTO api_keys (tenant_id, id, name, role, secret_hash,"
	" expires_at) SELECT app_tenant_id(), $1::uuid, $2, $3,"
	" decode($4, 'hex'), $5::timestamptz"
	" WHERE $5::timestamptz IS NULL OR $5::timestamptz > now()"
	" RETURNING " KEY_COLUMNS};

static const struct db_stmt q_get = {
	"SELECT " KEY_COLUMNS " FROM api_keys"
	" WHERE tenant_id = app_tenant_id() AND id = $1::uuid"};

static const struct db_stmt q_revoke = {
	"UPDATE api_keys SET revoked_at = now()"
	" WHERE tenant_id = app_tenant_id() AND id = $1::uuid"
	"   AND revoked_at IS NULL RETURNING id"};

int
api_keys_list(struct request *r, struct response *res)
{
	return page_list(r, res, &q_list);
}

int
api_keys_create(struct request *r, struct response *res)
{
	unsigned char secret[AUTH_API_KEY_SECRET];
	char id[AUTH_UUID_LEN + 1], hash[65], *key;
	const char *params[5], *role;
	PGresult *row;
	int status;

	status = validate_object(res, r->json, create_fields,
				 sizeof(create_fields) / sizeof(create_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0)
		return status;
	role = json_string_value(json_object_get(r->json, "role"));
	auth_uuid(id);
	if (auth_random(secret, sizeof(secret)) != 0)
		return http_internal(res, "no randomness for an API key");
	key = auth_api_key_format(r->arena, r->principal.tenant_id, id,
				  auth_role_parse(role), secret, hash);
	if (key == NULL)
		return http_internal(res, "cannot format an API key");
	params[0] = id;
	params[1] = json_string_value(json_object_get(r->json, "name"));
	params[2] = role;
	params[3] = hash;
	params[4] = validate_param(r->arena,
				   json_object_get(r->json, "expires_at"));
	row = db_exec(r->db, &q_insert, 5, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0) {
		http_field_error(res, "expires_at", "must be in the future");
		return http_problem(res, 422, "validation",
				    "The key would already be expired.");
	}
	res->body = db_row_json(row, 0);
	json_object_set_new(res->body, "key", json_string(key));
	http_header(res, "Location", "/api/v1/api-keys/%s", id);
	return page_etag(res, PQgetvalue(row, 0, 5), 201);
}

int
api_keys_get(struct request *r, struct response *res)
{
	const PGresult *row;
	int status;

	row = page_get(r, res, &q_get, "API key", &status);
	if (row == NULL)
		return status;
	res->body = db_row_json(row, 0);
	return page_etag(res, PQgetvalue(row, 0, 5), 200);
}

int
api_keys_delete(struct request *r, struct response *res)
{
	const char *params[1] = {r->params[0]};
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "API key")) != 0)
		return status;
	row = db_exec(r->db, &q_revoke, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such API key, or it is already "
				    "revoked.");
	return 204;
}
