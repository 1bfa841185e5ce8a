/*
 * /api/v1/users: the tenant's members. A user is a global identity (one
 * certification-body auditor, many tenants); what this resource lists,
 * adds, changes and removes is the membership. New identities get an
 * initial password here; an existing identity is added without one and
 * keeps its own.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "errors.h"
#include "page.h"
#include "password.h"
#include "validate.h"

static const char *const roles[] = {"admin", "editor", "viewer", "auditor",
				    NULL};

static const struct field create_fields[] = {
	{"email", FIELD_STRING, FIELD_REQUIRED, 3, 320, NULL},
	{"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, roles},
	{"password", FIELD_STRING, 0, 1, 1024, NULL},
	{"display_name", FIELD_STRING, FIELD_NULLABLE, 1, 200, NULL},
	{"valid_from", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
	{"valid_until", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
};

static const struct field update_fields[] = {
	{"role", FIELD_ENUM, 0, 0, 0, roles},
	{"valid_from", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
	{"valid_until", FIELD_TIMESTAMP, FIELD_NULLABLE, 0, 0, NULL},
};

#define MEMBER_COLUMNS                                                      \
	"u.id, u.email, u.display_name, m.role, m.valid_from, m.valid_until," \
	" m.version, m.created_at, m.updated_at"

static const struct db_stmt q_list = {
	"SELECT " MEMBER_COLUMNS " FROM memberships m"
	" JOIN users u ON u.id = m.user_id"
	" WHERE m.tenant_id = app_tenant_id()"
	"   AND ($2::timestamptz IS NULL"
	"        OR (m.created_at, m.user_id) > ($2, $3::uuid))"
	" ORDER BY m.created_at, m.user_id LIMIT $1"};

static const struct db_stmt q_get = {
	"SELECT " MEMBER_COLUMNS " FROM memberships m"
	" JOIN users u ON u.id = m.user_id"
	" WHERE m.tenant_id = app_tenant_id() AND m.user_id = $1::uuid"};

static const struct db_stmt q_find_user = {
	"SELECT id FROM users WHERE lower(email) = lower($1)"};

static const struct db_stmt q_insert_user = {
	"INSERT INTO users (email, display_name, password_hash)"
	" VALUES ($1, $2, $3) RETURNING id"};

static const struct db_stmt q_insert_member = {
	"WITH m AS (INSERT INTO memberships (tenant_id, user_id, role,"
	"  valid_from, valid_until)"
	"  VALUES (app_tenant_id(), $1::uuid, $2, $3::timestamptz,"
	"  $4::timestamptz) RETURNING *)"
	" SELECT " MEMBER_COLUMNS " FROM m JOIN users u ON u.id = m.user_id"};

/* $2/$4/$6 say whether role/valid_from/valid_until were given. */
static const struct db_stmt q_update = {
	"WITH m AS (UPDATE memberships SET"
	"  role = CASE WHEN $2::boolean THEN $3 ELSE role END,"
	"  valid_from = CASE WHEN $4::boolean THEN $5::timestamptz"
	"               ELSE valid_from END,"
	"  valid_until = CASE WHEN $6::boolean THEN $7::timestamptz"
	"                ELSE valid_until END"
	"  WHERE tenant_id = app_tenant_id() AND user_id = $1::uuid"
	"    AND ($8::int = 0 OR version = $8::int) RETURNING *)"
	" SELECT " MEMBER_COLUMNS " FROM m JOIN users u ON u.id = m.user_id"};

static const struct db_stmt q_delete = {
	"DELETE FROM memberships WHERE tenant_id = app_tenant_id()"
	" AND user_id = $1::uuid AND ($2::int = 0 OR version = $2::int)"
	" RETURNING user_id"};

static const struct db_stmt q_exists = {
	"SELECT 1 FROM memberships WHERE tenant_id = app_tenant_id()"
	" AND user_id = $1::uuid"};

int
users_list(struct request *r, struct response *res)
{
	return page_list(r, res, &q_list);
}

static int
member_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	return page_etag(res, PQgetvalue(row, 0, 6), status);
}

/* An auditor's access is always bounded: both ends of the window. */
static int
check_window(struct response *res, const json_t *body, bool require)
{
	const json_t *role = json_object_get(body, "role");

	if (require && role != NULL &&
	    strcmp(json_string_value(role), "auditor") == 0 &&
	    (!json_is_string(json_object_get(body, "valid_from")) ||
	     !json_is_string(json_object_get(body, "valid_until")))) {
		http_field_error(res, "valid_until",
				 "is required, with valid_from, for an "
				 "auditor");
		return http_problem(res, 422, "validation",
				    "An auditor's membership needs its "
				    "engagement window.");
	}
	return 0;
}

int
users_create(struct request *r, struct response *res)
{
	const char *params[4], *password, *pw_error, *user_id;
	char hash[PASSWORD_ENCODED_MAX];
	PGresult *row;
	int status;

	status = validate_object(res, r->json, create_fields,
				 sizeof(create_fields) / sizeof(create_fields[0]),
				 VALIDATE_CREATE);
	if (status != 0 || (status = check_window(res, r->json, true)) != 0)
		return status;
	password = json_string_value(json_object_get(r->json, "password"));
	params[0] = json_string_value(json_object_get(r->json, "email"));
	row = db_exec(r->db, &q_find_user, 1, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 1) {
		if (password != NULL)
			return http_problem(
				res, 409, "conflict",
				"An account with this email exists and keeps "
				"its own password; add it without one.");
		user_id = PQgetvalue(row, 0, 0);
	} else {
		pw_error = password_policy(password);
		if (pw_error != NULL) {
			http_field_error(res, "password", "%s", pw_error);
			return http_problem(res, 422, "validation",
					    "A new account needs an initial "
					    "password.");
		}
		if (password_hash(password, hash) != PASSWORD_OK) {
			http_header(res, "Retry-After", "1");
			return http_problem(res, 503, "unavailable",
					    "Password hashing is busy; retry.");
		}
		params[1] = validate_param(r->arena, json_object_get(
							     r->json,
							     "display_name"));
		params[2] = hash;
		row = db_exec(r->db, &q_insert_user, 3, params, 0);
		if (row == NULL)
			return errors_from_db(res, r->db);
		user_id = PQgetvalue(row, 0, 0);
	}
	params[0] = user_id;
	params[1] = json_string_value(json_object_get(r->json, "role"));
	params[2] = validate_param(r->arena,
				   json_object_get(r->json, "valid_from"));
	params[3] = validate_param(r->arena,
				   json_object_get(r->json, "valid_until"));
	row = db_exec(r->db, &q_insert_member, 4, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	http_header(res, "Location", "/api/v1/users/%s", user_id);
	return member_response(res, row, 201);
}

int
users_get(struct request *r, struct response *res)
{
	const PGresult *row;
	int status;

	row = page_get(r, res, &q_get, "member", &status);
	return row ? member_response(res, row, 200) : status;
}

static const char *
given(const json_t *body, const char *key)
{
	return json_object_get(body, key) != NULL ? "true" : "false";
}

int
users_update(struct request *r, struct response *res)
{
	const char *params[8];
	long version = page_if_match(r);
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "member")) != 0)
		return status;
	status = validate_object(res, r->json, update_fields,
				 sizeof(update_fields) / sizeof(update_fields[0]),
				 VALIDATE_PATCH);
	if (status != 0)
		return status;
	if (version < 0)
		return page_missing_or_stale(r, res, &q_exists, "member");
	params[0] = r->params[0];
	params[1] = given(r->json, "role");
	params[2] = json_string_value(json_object_get(r->json, "role"));
	params[3] = given(r->json, "valid_from");
	params[4] = validate_param(r->arena,
				   json_object_get(r->json, "valid_from"));
	params[5] = given(r->json, "valid_until");
	params[6] = validate_param(r->arena,
				   json_object_get(r->json, "valid_until"));
	params[7] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 8, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return page_missing_or_stale(r, res, &q_exists, "member");
	return member_response(res, row, 200);
}

int
users_delete(struct request *r, struct response *res)
{
	const char *params[2];
	long version = page_if_match(r);
	PGresult *row;
	int status;

	if ((status = page_path_id(r, res, "member")) != 0)
		return status;
	if (version < 0)
		return page_missing_or_stale(r, res, &q_exists, "member");
	params[0] = r->params[0];
	params[1] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 2, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return page_missing_or_stale(r, res, &q_exists, "member");
	return 204;
}
