/*
 * Idempotency-Key: claim, replay, store.
 */
#include "idempotency.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "errors.h"

/*
 * A new key is inserted; an expired one (over 24 hours) is taken over. A
 * key another transaction holds makes this wait for it; when the first
 * request committed, nothing is returned and the stored answer is read.
 */
static const struct db_stmt q_claim = {
	"INSERT INTO idempotency_keys AS k (tenant_id, key, method, path,"
	" request_hash) VALUES (app_tenant_id(), $1, $2, $3, decode($4, 'hex'))"
	" ON CONFLICT (tenant_id, key) DO UPDATE SET method = EXCLUDED.method,"
	"  path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,"
	"  status = NULL, response = NULL, location = NULL, created_at = now()"
	"  WHERE k.created_at < now() - interval '24 hours'"
	" RETURNING 1"};

static const struct db_stmt q_stored = {
	"SELECT method, path, encode(request_hash, 'hex') AS hash, status,"
	" response, location FROM idempotency_keys"
	" WHERE tenant_id = app_tenant_id() AND key = $1"};

static const struct db_stmt q_store = {
	"UPDATE idempotency_keys SET status = $2::int, response = $3::jsonb,"
	" location = $4 WHERE tenant_id = app_tenant_id() AND key = $1"};

static bool
key_valid(const char *key)
{
	size_t n = strlen(key);
	const char *p;

	if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
		return false;
	for (p = key; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e)
			return false;
	return true;
}

/* Fills res from the stored response; returns the stored status. */
static int
replay(struct response *res, const PGresult *row)
{
	json_t *stored = db_value_json(row, 0, PQfnumber(row, "response"));
	json_t *headers = json_object_get(stored, "headers");
	const char *name, *location;
	json_t *value;
	int status = (int)strtol(PQgetvalue(row, 0, 3), NULL, 10);

	res->body = json_incref(json_object_get(stored, "body"));
	if (json_is_null(res->body)) {
		json_decref(res->body);
		res->body = NULL;
	}
	location = PQgetisnull(row, 0, 5) ? NULL : PQgetvalue(row, 0, 5);
	if (location != NULL)
		http_header(res, "Location", "%s", location);
	json_object_foreach (headers, name, value) {
		if (json_is_string(value))
			http_header(res, arena_strdup(res->arena, name), "%s",
				    json_string_value(value));
	}
	http_header(res, "Idempotent-Replayed", "true");
	json_decref(stored);
	return status;
}

int
idempotency_begin(struct request *r, struct response *res,
		  struct idempotency *idem)
{
	const char *params[4];
	PGresult *row;

	memset(idem, 0, sizeof(*idem));
	if (r->idempotency_key == NULL)
		return 0;
	if (!key_valid(r->idempotency_key))
		return http_problem(res, 400, "bad-request",
				    "Idempotency-Key must be 1 to %d visible "
				    "ASCII characters.",
				    IDEMPOTENCY_KEY_MAX);
	auth_sha256_hex(r->body != NULL ? r->body : "", r->body_len,
			idem->hash);
	params[0] = r->idempotency_key;
	params[1] = r->method_name;
	params[2] = r->path;
	params[3] = idem->hash;
	row = db_exec(r->db, &q_claim, 4, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 1) {
		idem->key = r->idempotency_key;
		return 0;
	}
	row = db_exec(r->db, &q_stored, 1, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) != 1)
		return http_problem(res, 409, "conflict",
				    "The Idempotency-Key is in use; retry.");
	if (strcmp(PQgetvalue(row, 0, 0), r->method_name) != 0 ||
	    strcmp(PQgetvalue(row, 0, 1), r->path) != 0 ||
	    strcmp(PQgetvalue(row, 0, 2), idem->hash) != 0) {
		http_field_error(res, "Idempotency-Key",
				 "was already used for a different request");
		return http_problem(
			res, 422, "validation",
			"The Idempotency-Key was used for another "
			"request; use a new key for a new request.");
	}
	if (PQgetisnull(row, 0, 3))
		return http_problem(res, 409, "conflict",
				    "The first request with this "
				    "Idempotency-Key is still in progress.");
	return replay(res, row);
}

unsigned
idempotency_flags(const struct idempotency *idem)
{
	return idem->key == NULL ? DB_COMMIT : 0;
}

int
idempotency_end(struct request *r, struct response *res,
		const struct idempotency *idem, int status)
{
	const char *params[4], *location = NULL;
	json_t *stored, *headers;
	char *text;
	size_t i;

	if (idem->key == NULL || status >= 400)
		return status;
	headers = json_object();
	for (i = 0; i < res->nheaders; i++) {
		if (strcmp(res->headers[i].name, "Location") == 0)
			location = res->headers[i].value;
		else
			json_object_set_new(headers, res->headers[i].name,
					    json_string(res->headers[i].value));
	}
	stored =
		json_pack("{s:O?, s:o}", "body", res->body, "headers", headers);
	text = stored ? json_dumps(stored, JSON_COMPACT) : NULL;
	json_decref(stored);
	if (text == NULL)
		return http_internal(res,
				     "cannot store an idempotent response");
	params[0] = idem->key;
	params[1] = arena_printf(r->arena, "%d", status);
	params[2] = arena_strdup(r->arena, text);
	params[3] = location;
	free(text);
	if (db_exec(r->db, &q_store, 4, params, DB_COMMIT) == NULL) {
		response_release(res);
		response_init(res, res->arena);
		return errors_from_db(res, r->db);
	}
	return status;
}
