/*
 * /api/v1/soa: the Statement of Applicability (ISO/IEC 27001:2022 clause
 * 6.1.3 d). For a framework (ISO/IEC 27001:2022 unless ?framework= names
 * another) it lists every control requirement with its applicability
 * (included, excluded, or undecided while nobody has said), the
 * justification (the reasons for inclusion: risk treatment, legal,
 * contractual, business, best practice; or why it is excluded), the
 * implementation status derived from the tenant's controls linked to it,
 * and the controls and risks behind it. The statement is computed by
 * soa_items() (0007) on every read; PUT /soa/{requirement_id} records a
 * decision.
 *
 * An admin freezes the current statement as an approved version (the
 * approver is the caller, the date now); versions never change, can be
 * compared with each other or with the current statement, and export like
 * the current one: CSV (RFC 4180, formula-like cells neutralised) or a
 * printable HTML page without scripts.
 */
#include "controls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db.h"
#include "errors.h"
#include "html.h"
#include "page.h"
#include "validate.h"

static const char *const reasons[] = {"risk_treatment", "legal",
				      "contractual",    "business",
				      "best_practice",  NULL};
static const char *const applicabilities[] = {"included", "excluded", NULL};

/* The framework of the request: ?framework=, or the default. */
static int
framework_slug(struct request *r, struct response *res, const char **slug)
{
	*slug = http_query(r, "framework");
	if (*slug == NULL)
		*slug = CONTROLS_DEFAULT_FRAMEWORK;
	if (!controls_slug_valid(*slug))
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	return 0;
}

/* ---- the statement ---- */

/*
 * The whole document as the database's JSON text, passed through as it
 * is: for a large SoA (93 requirements with their controls and risks,
 * hundreds of KB) parsing it into objects and writing it out again cost
 * the service more than the query.
 */
static const struct db_stmt q_soa = {
	"WITH f AS (SELECT f.id, f.slug, f.name, f.edition FROM frameworks f"
	"  WHERE f.slug = $1),"
	" s AS (SELECT f.*, soa_items(f.id) AS items FROM f)"
	" SELECT jsonb_build_object('framework', jsonb_build_object("
	"  'slug', s.slug, 'name', s.name, 'version', s.edition),"
	"  'generated_at', to_char(now() AT TIME ZONE 'UTC',"
	"   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	"  'summary', soa_summary(s.items), 'items', s.items)::text"
	" FROM s"};

const char *const soa_get_query[] = {"framework", NULL};

int
soa_get(struct request *r, struct response *res)
{
	const char *params[1];
	PGresult *row;
	int status, len;

	if ((status = framework_slug(r, res, &params[0])) != 0)
		return status;
	row = db_exec(r->db, &q_soa, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "No such framework.");
	len = PQgetlength(row, 0, 0);
	res->raw = arena_strndup(r->arena, PQgetvalue(row, 0, 0), (size_t)len);
	if (res->raw == NULL)
		return http_internal(res, "out of memory copying the SoA");
	res->raw_len = (size_t)len;
	res->content_type = "application/json";
	return 200;
}

/* ---- one entry ---- */

static const struct db_stmt q_entry = {
	"SELECT f.slug AS framework, soa_items(q.framework_id, q.id) -> 0"
	" AS item FROM requirements q JOIN frameworks f ON f.id = "
	"q.framework_id"
	" WHERE q.id = $1::uuid AND q.kind IN ('control', 'enhancement')"};

/*
 * An upsert; $6 is If-Match's version (0: none, -1: never matches): an
 * entry not written yet matches no version.
 */
static const struct db_stmt q_put = {
	"WITH q AS (SELECT r.id FROM requirements r WHERE r.id = $1::uuid"
	"  AND r.kind IN ('control', 'enhancement')),"
	" cur AS (SELECT e.version FROM soa_entries e"
	"  WHERE e.tenant_id = app_tenant_id() AND e.requirement_id = $1::uuid"
	"  FOR UPDATE),"
	" up AS (INSERT INTO soa_entries AS e (tenant_id, requirement_id,"
	"  applicable, justification_reasons, justification,"
	"  exclusion_justification) SELECT app_tenant_id(), q.id, $2::boolean,"
	"  ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), $4, $5 FROM q"
	"  WHERE $6::int = 0 OR $6::int = (SELECT version FROM cur)"
	"  ON CONFLICT (tenant_id, requirement_id) DO UPDATE SET"
	"  applicable = EXCLUDED.applicable,"
	"  justification_reasons = EXCLUDED.justification_reasons,"
	"  justification = EXCLUDED.justification,"
	"  exclusion_justification = EXCLUDED.exclusion_justification"
	"  RETURNING e.version)"
	" SELECT (SELECT count(*) FROM q) AS found,"
	" (SELECT count(*) FROM up) AS written"};

static const struct field put_fields[] = {
	{"applicability", FIELD_ENUM, FIELD_REQUIRED, 0, 0, applicabilities},
	{"justification_reasons", FIELD_STRINGS, FIELD_NULLABLE, 0, 5, NULL},
	{"justification", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"exclusion_justification", FIELD_TEXT, FIELD_NULLABLE, 1, 10000, NULL},
	{"requirement_id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"framework", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"ref", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"title", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"kind", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"theme", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"implementation_status", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"controls", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"risks", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

static int
path_requirement(struct request *r, struct response *res)
{
	if (!validate_uuid(r->params[0]))
		return http_problem(res, 404, "not-found",
				    "No such control requirement.");
	return 0;
}

static int
entry_response(struct request *r, struct response *res, unsigned flags,
	       int ok_status)
{
	const char *params[1] = {r->params[0]};
	const json_t *version;
	PGresult *row;

	row = db_exec(r->db, &q_entry, 1, params, flags);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0 || PQgetisnull(row, 0, 1))
		return http_problem(res, 404, "not-found",
				    "No such control requirement.");
	res->body = db_value_json(row, 0, 1);
	json_object_set_new(res->body, "framework",
			    json_string(PQgetvalue(row, 0, 0)));
	version = json_object_get(res->body, "version");
	if (json_is_integer(version))
		http_header(res, "ETag", "\"%" JSON_INTEGER_FORMAT "\"",
			    json_integer_value(version));
	return ok_status;
}

int
soa_entry_get(struct request *r, struct response *res)
{
	int status;

	if ((status = path_requirement(r, res)) != 0)
		return status;
	return entry_response(r, res, DB_COMMIT, 200);
}

static bool
is_given(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v != NULL && !json_is_null(v) &&
	       !(json_is_array(v) && json_array_size(v) == 0);
}

/* What an inclusion or an exclusion needs, beyond each field's shape. */
static int
check_decision(struct response *res, const json_t *body, bool *included)
{
	const json_t *list = json_object_get(body, "justification_reasons");
	const json_t *v;
	const char *const *p;
	size_t i;

	*included = strcmp(json_string_value(
				   json_object_get(body, "applicability")),
			   "included") == 0;
	json_array_foreach (list, i, v) {
		for (p = reasons; *p != NULL; p++)
			if (strcmp(*p, json_string_value(v)) == 0)
				break;
		if (*p == NULL)
			http_field_error(res, "justification_reasons",
					 "must hold only risk_treatment, "
					 "legal, contractual, business, "
					 "best_practice");
	}
	if (*included) {
		if (!is_given(body, "justification_reasons"))
			http_field_error(res, "justification_reasons",
					 "an included control needs at least "
					 "one reason");
		if (is_given(body, "exclusion_justification"))
			http_field_error(res, "exclusion_justification",
					 "is only for an excluded control");
	} else {
		if (!is_given(body, "exclusion_justification"))
			http_field_error(res, "exclusion_justification",
					 "an excluded control needs its "
					 "justification");
		if (is_given(body, "justification_reasons"))
			http_field_error(res, "justification_reasons",
					 "are only for an included control");
		if (is_given(body, "justification"))
			http_field_error(res, "justification",
					 "is only for an included control; "
					 "use exclusion_justification");
	}
	if (res->problem_errors != NULL)
		return http_problem(res, 422, "validation",
				    "The decision is not justified as the "
				    "Statement of Applicability requires.");
	return 0;
}

int
soa_entry_put(struct request *r, struct response *res)
{
	long version = page_if_match(r);
	const json_t *list;
	const char *params[6];
	char *text;
	PGresult *row;
	bool included;
	int status;

	if ((status = path_requirement(r, res)) != 0 ||
	    (status =
		     validate_object(res, r->json, put_fields,
				     sizeof(put_fields) / sizeof(put_fields[0]),
				     VALIDATE_CREATE)) != 0 ||
	    (status = check_decision(res, r->json, &included)) != 0)
		return status;
	list = json_object_get(r->json, "justification_reasons");
	text = json_is_array(list) ? json_dumps(list, JSON_COMPACT) : NULL;
	params[0] = r->params[0];
	params[1] = included ? "true" : "false";
	params[2] = text != NULL ? arena_strdup(r->arena, text) : "[]";
	params[3] =
		json_string_value(json_object_get(r->json, "justification"));
	params[4] = json_string_value(
		json_object_get(r->json, "exclusion_justification"));
	params[5] = arena_printf(r->arena, "%ld", version);
	free(text);
	row = db_exec(r->db, &q_put, 6, params, 0);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (strcmp(PQgetvalue(row, 0, 0), "0") == 0)
		return http_problem(res, 404, "not-found",
				    "No such control requirement.");
	if (strcmp(PQgetvalue(row, 0, 1), "0") == 0)
		return http_problem(res, 412, "precondition-failed",
				    "The entry changed since it was read "
				    "(If-Match).");
	return entry_response(r, res, DB_COMMIT, 200);
}

/* ---- versions ---- */

#define VERSION_COLUMNS                                                        \
	"v.number, v.id, v.snapshot -> 'framework' AS framework,"              \
	" v.approved_by, (SELECT coalesce(u.display_name, u.email)"            \
	" FROM users u WHERE u.id = v.approved_by) AS approved_by_name,"       \
	" v.approved_at, v.note, v.snapshot -> 'summary' AS summary,"          \
	" v.version, v.created_at"

static const struct db_stmt q_versions = {
	"SELECT " VERSION_COLUMNS " FROM soa_versions v"
	" WHERE v.tenant_id = app_tenant_id()"
	" AND ($2::text IS NULL OR v.snapshot -> 'framework' ->> 'slug' = $2)"
	" AND ($3::int IS NULL OR (v.number, v.id) < ($3::int, $4::uuid))"
	" ORDER BY v.number DESC, v.id DESC LIMIT $1"};

static const struct db_stmt q_version = {
	"SELECT " VERSION_COLUMNS ", v.snapshot -> 'items' AS items"
	" FROM soa_versions v"
	" WHERE v.tenant_id = app_tenant_id() AND v.number = $1::int"};

/* The next number is one past the tenant's last; a race is a 409. */
static const struct db_stmt q_freeze = {
	"WITH f AS (SELECT f.id, f.slug, f.name, f.edition FROM frameworks f"
	"  WHERE f.slug = $1),"
	" s AS (SELECT f.*, soa_items(f.id) AS items FROM f),"
	" v AS (INSERT INTO soa_versions (tenant_id, number, framework_id,"
	"  approved_by, note, snapshot) SELECT app_tenant_id(),"
	"  (SELECT coalesce(max(x.number), 0) + 1 FROM soa_versions x"
	"   WHERE x.tenant_id = app_tenant_id()), s.id, app_user_id(), $2,"
	"  jsonb_build_object('framework', jsonb_build_object('slug', s.slug,"
	"  'name', s.name, 'version', s.edition), 'summary',"
	"  soa_summary(s.items), 'items', s.items) FROM s RETURNING *)"
	" SELECT " VERSION_COLUMNS ", v.snapshot -> 'items' AS items FROM v"};

const char *const soa_versions_list_query[] = {"limit", "cursor", "framework",
					       NULL};

int
soa_versions_list(struct request *r, struct response *res)
{
	const char *params[4];
	struct int_page p;
	PGresult *rows;
	int status;

	if ((status = int_page_parse(r, res, &p)) != 0 ||
	    (status = controls_query_text(r, res, "framework", 63,
					  &params[1])) != 0)
		return status;
	params[0] = p.fetch;
	params[2] = p.after_key;
	params[3] = p.after_id;
	rows = db_exec(r->db, &q_versions, 4, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return int_page_respond(r, res, &p, rows, "number", "id");
}

static const struct field freeze_fields[] = {
	{"framework", FIELD_STRING, 0, 1, 63, NULL},
	{"note", FIELD_TEXT, FIELD_NULLABLE, 1, 2000, NULL},
};

static int
version_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 status);
}

int
soa_versions_create(struct request *r, struct response *res)
{
	struct idempotency idem;
	const char *params[2];
	PGresult *row;
	int status;

	if ((status = validate_object(res, r->json, freeze_fields,
				      sizeof(freeze_fields) /
					      sizeof(freeze_fields[0]),
				      VALIDATE_CREATE)) != 0)
		return status;
	if (r->principal.api_key)
		return http_problem(res, 403, "forbidden",
				    "An approval is a person's: sign in to "
				    "approve; API keys cannot.");
	params[0] = json_string_value(json_object_get(r->json, "framework"));
	if (params[0] == NULL)
		params[0] = CONTROLS_DEFAULT_FRAMEWORK;
	params[1] = json_string_value(json_object_get(r->json, "note"));
	if (!controls_slug_valid(params[0])) {
		http_field_error(res, "framework", "is not a framework");
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	}
	if ((status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	row = db_exec(r->db, &q_freeze, 2, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0) {
		http_field_error(res, "framework", "is not a framework");
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	}
	http_header(res, "Location", "/api/v1/soa/versions/%s",
		    PQgetvalue(row, 0, 0));
	status = version_response(res, row, 201);
	return idempotency_end(r, res, &idem, status);
}

/* A version number in the path: 1 to 2^31-1, else 404. */
static const char *
path_number(struct request *r, struct response *res, const char *text)
{
	long n;

	if (validate_query_int(res, "number", text, 0, 1, 2147483647L, &n) !=
	    0) {
		response_release(res);
		response_init(res, res->arena);
		http_problem(res, 404, "not-found", "No such version.");
		return NULL;
	}
	return arena_printf(r->arena, "%ld", n);
}

int
soa_versions_get(struct request *r, struct response *res)
{
	const char *params[1];
	PGresult *row;

	if ((params[0] = path_number(r, res, r->params[0])) == NULL)
		return 404;
	row = db_exec(r->db, &q_version, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such version.");
	return version_response(res, row, 200);
}

/*
 * From version $1 to version $2, or to the current statement when $2 is
 * NULL (of the same framework).
 */
static const struct db_stmt q_diff = {
	"SELECT a.snapshot -> 'framework' AS framework,"
	" a.framework_id = b.framework_id AS same_framework,"
	" soa_diff(a.snapshot -> 'items', b.items) AS changes"
	" FROM (SELECT v.snapshot, v.framework_id FROM soa_versions v"
	"  WHERE v.tenant_id = app_tenant_id() AND v.number = $1::int) a,"
	" LATERAL (SELECT v.snapshot -> 'items' AS items, v.framework_id"
	"  FROM soa_versions v WHERE v.tenant_id = app_tenant_id()"
	"  AND v.number = $2::int"
	"  UNION ALL SELECT soa_items(a.framework_id), a.framework_id"
	"  WHERE $2::int IS NULL) b"};

const char *const soa_diff_query[] = {"against", NULL};

int
soa_versions_diff(struct request *r, struct response *res)
{
	const char *against = http_query(r, "against"), *params[2];
	long to = 0;
	PGresult *row;

	if ((params[0] = path_number(r, res, r->params[0])) == NULL)
		return 404;
	if (against != NULL && strcmp(against, "current") != 0 &&
	    validate_query_int(res, "against", against, 0, 1, 2147483647L,
			       &to) != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'against' must be a "
				    "version number or 'current'.");
	params[1] = to > 0 ? arena_printf(r->arena, "%ld", to) : NULL;
	row = db_exec(r->db, &q_diff, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such version.");
	if (strcmp(PQgetvalue(row, 0, 1), "t") != 0)
		return http_problem(res, 409, "conflict",
				    "The two versions are statements of "
				    "different frameworks.");
	res->body = json_pack("{s:o, s:o, s:o?, s:o}", "framework",
			      db_value_json(row, 0, 0), "from",
			      json_integer(strtol(params[0], NULL, 10)), "to",
			      to > 0 ? json_integer(to) : json_null(),
			      "changes", db_value_json(row, 0, 2));
	return 200;
}

/* ---- export ---- */

static const struct db_stmt q_export_current = {
	"SELECT f.slug, f.name, f.edition, NULL::int AS number,"
	" NULL::timestamptz AS approved_at, NULL::text AS approved_by,"
	" NULL::text AS note, soa_items(f.id) AS items, now() AS generated_at"
	" FROM frameworks f WHERE f.slug = $1"};

static const struct db_stmt q_export_version = {
	"SELECT v.snapshot -> 'framework' ->> 'slug',"
	" v.snapshot -> 'framework' ->> 'name',"
	" v.snapshot -> 'framework' ->> 'version', v.number, v.approved_at,"
	" coalesce(u.display_name, u.email) AS approved_by, v.note,"
	" v.snapshot -> 'items' AS items, now() AS generated_at"
	" FROM soa_versions v LEFT JOIN users u ON u.id = v.approved_by"
	" WHERE v.tenant_id = app_tenant_id() AND v.number = $1::int"};

const char *const soa_export_query[] = {"framework", "format", "version", NULL};

/* The names (or titles) of a list of objects, joined with "; ". */
static char *
names(struct arena *a, const json_t *list, const char *key)
{
	const json_t *e;
	size_t i, len = 0;
	char *out, *o;

	json_array_foreach (list, i, e)
		len += strlen(json_string_value(json_object_get(e, key))
				      ? json_string_value(
						json_object_get(e, key))
				      : "") +
		       2;
	out = arena_alloc(a, len + 1);
	if (out == NULL)
		return NULL;
	o = out;
	*o = '\0';
	json_array_foreach (list, i, e) {
		const char *s = json_string_value(json_object_get(e, key));

		o += sprintf(o, "%s%s", i > 0 ? "; " : "", s ? s : "");
	}
	return out;
}

static char *
reasons_text(struct arena *a, const json_t *list)
{
	const json_t *e;
	size_t i;
	char *out = arena_strdup(a, "");

	json_array_foreach (list, i, e)
		out = arena_printf(a, "%s%s%s", out, i > 0 ? "; " : "",
				   json_string_value(e));
	return out;
}

static const char *
field(const json_t *item, const char *key)
{
	return json_string_value(json_object_get(item, key));
}

static int
export_csv(struct request *r, struct response *res, const PGresult *row,
	   const json_t *items)
{
	static const char *const header[] = {
		"ref",
		"title",
		"theme",
		"applicability",
		"justification_reasons",
		"justification",
		"exclusion_justification",
		"implementation_status",
		"controls",
		"risks",
		NULL,
	};
	struct csv_writer out;
	const json_t *item;
	size_t i;
	char *copy;

	csv_writer_init(&out);
	for (i = 0; header[i] != NULL; i++)
		csv_write_field(&out, header[i]);
	csv_write_end(&out);
	json_array_foreach (items, i, item) {
		csv_write_field(&out, field(item, "ref"));
		csv_write_field(&out, field(item, "title"));
		csv_write_field(&out, field(item, "theme"));
		csv_write_field(&out, field(item, "applicability"));
		csv_write_field(
			&out,
			reasons_text(r->arena,
				     json_object_get(item, "justification_"
							   "reasons")));
		csv_write_field(&out, field(item, "justification"));
		csv_write_field(&out, field(item, "exclusion_justification"));
		csv_write_field(&out, field(item, "implementation_status"));
		csv_write_field(&out, names(r->arena,
					    json_object_get(item, "controls"),
					    "name"));
		csv_write_field(&out,
				names(r->arena, json_object_get(item, "risks"),
				      "title"));
		csv_write_end(&out);
	}
	copy = out.failed ? NULL : arena_alloc(r->arena, out.len + 1);
	if (copy == NULL) {
		csv_writer_free(&out);
		return http_internal(res, "out of memory building the export");
	}
	memcpy(copy, out.data, out.len + 1);
	res->raw = copy;
	res->raw_len = out.len;
	csv_writer_free(&out);
	res->content_type = "text/csv; charset=utf-8";
	if (PQgetisnull(row, 0, 3))
		http_header(res, "Content-Disposition",
			    "attachment; filename=\"soa-%s.csv\"",
			    PQgetvalue(row, 0, 0));
	else
		http_header(res, "Content-Disposition",
			    "attachment; filename=\"soa-%s-v%s.csv\"",
			    PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 3));
	return 200;
}

/* ---- the printable page ---- */

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<title>Statement of Applicability</title><style>"
	"@page{size:A4 landscape;margin:12mm}"
	"body{font:9pt/1.35 system-ui,sans-serif;color:#111;margin:0}"
	"h1{font-size:15pt;margin:0 0 4pt}p.meta{margin:0 0 8pt;color:#333}"
	"table{border-collapse:collapse;width:100%}"
	"th,td{border:1px solid #888;padding:2pt 4pt;vertical-align:top;"
	"text-align:left}"
	"thead{display:table-header-group}tr{page-break-inside:avoid}"
	"th{background:#eee}td.excluded{color:#555}"
	"td.undecided{color:#a00;font-weight:bold}"
	"</style></head><body>\n";

static int
export_html(struct request *r, struct response *res, const PGresult *row,
	    const json_t *items)
{
	struct html t = {NULL, 0, 0, false};
	const json_t *item;
	json_t *when;
	const char *applicability;
	size_t i;

	html_raw(&t, html_head);
	html_raw(&t, "<h1>Statement of Applicability</h1>\n<p class=\"meta\">");
	html_text(&t, PQgetvalue(row, 0, 1));
	if (!PQgetisnull(row, 0, 2)) {
		html_raw(&t, " (");
		html_text(&t, PQgetvalue(row, 0, 2));
		html_raw(&t, ")");
	}
	if (!PQgetisnull(row, 0, 3)) {
		when = db_value_json(row, 0, 4);
		html_raw(&t, ". Version ");
		html_text(&t, PQgetvalue(row, 0, 3));
		html_raw(&t, ", approved by ");
		html_text(&t, PQgetvalue(row, 0, 5));
		html_raw(&t, " on ");
		html_text(&t, json_string_value(when));
		json_decref(when);
		if (!PQgetisnull(row, 0, 6)) {
			html_raw(&t, ": ");
			html_text(&t, PQgetvalue(row, 0, 6));
		}
	} else {
		when = db_value_json(row, 0, 8);
		html_raw(
			&t,
			". Current statement, not an approved version, as of ");
		html_text(&t, json_string_value(when));
		json_decref(when);
	}
	html_raw(&t,
		 ".</p>\n<table><thead><tr><th>Ref</th><th>Control</th>"
		 "<th>Theme</th><th>Applicability</th><th>Justification</th>"
		 "<th>Implementation</th><th>Implemented by</th>"
		 "<th>Risks</th></tr></thead><tbody>\n");
	json_array_foreach (items, i, item) {
		applicability = field(item, "applicability");
		html_raw(&t, "<tr>");
		html_cell(&t, field(item, "ref"));
		html_cell(&t, field(item, "title"));
		html_cell(&t, field(item, "theme"));
		html_raw(&t, "<td class=\"");
		html_text(&t, applicability);
		html_raw(&t, "\">");
		html_text(&t, applicability);
		html_raw(&t, "</td><td>");
		if (applicability != NULL &&
		    strcmp(applicability, "excluded") == 0) {
			html_text(&t, field(item, "exclusion_justification"));
		} else {
			html_text(
				&t,
				reasons_text(r->arena,
					     json_object_get(
						     item,
						     "justification_reasons")));
			if (field(item, "justification") != NULL) {
				html_raw(&t, "<br>");
				html_text(&t, field(item, "justification"));
			}
		}
		html_raw(&t, "</td>");
		html_cell(&t, field(item, "implementation_status"));
		html_cell(&t, names(r->arena, json_object_get(item, "controls"),
				    "name"));
		html_cell(&t, names(r->arena, json_object_get(item, "risks"),
				    "title"));
		html_raw(&t, "</tr>\n");
	}
	html_raw(&t, "</tbody></table>\n</body></html>\n");
	return html_respond(&t, res);
}

/* True when Accept asks for HTML rather than anything else. */
static bool
wants_html(const char *accept)
{
	return accept != NULL && strstr(accept, "text/html") != NULL;
}

int
soa_export(struct request *r, struct response *res)
{
	const char *format = http_query(r, "format");
	const char *version = http_query(r, "version"), *params[1];
	json_t *items;
	PGresult *row;
	long number;
	bool html;
	int status;

	if (format != NULL && strcmp(format, "csv") != 0 &&
	    strcmp(format, "html") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'format' must be csv or "
				    "html.");
	html = format != NULL ? strcmp(format, "html") == 0
			      : wants_html(r->accept);
	if (version != NULL) {
		if (http_query(r, "framework") != NULL)
			return http_problem(res, 400, "invalid-query",
					    "A version names its framework; "
					    "give 'version' or 'framework'.");
		if ((status = validate_query_int(res, "version", version, 0, 1,
						 2147483647L, &number)) != 0)
			return status;
		params[0] = arena_printf(r->arena, "%ld", number);
		row = db_exec(r->db, &q_export_version, 1, params, DB_COMMIT);
	} else {
		if ((status = framework_slug(r, res, &params[0])) != 0)
			return status;
		row = db_exec(r->db, &q_export_current, 1, params, DB_COMMIT);
	}
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    version != NULL ? "No such version."
						    : "No such framework.");
	items = db_value_json(row, 0, 7);
	status = html ? export_html(r, res, row, items)
		      : export_csv(r, res, row, items);
	json_decref(items);
	return status;
}
