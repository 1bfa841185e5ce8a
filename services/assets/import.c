/*
 * POST /api/v1/assets/import: many assets in one request, all or nothing.
 * The body is CSV (text/csv, a header row naming the columns) or a JSON
 * array of objects, at most ASSETS_IMPORT_MAX_ROWS of them. A row with an
 * `id` updates that asset; else a row with an `external_id` updates the
 * asset holding it or creates one; else it creates one. An update changes
 * only the fields the row names (CSV: the columns present; an empty cell
 * clears) and restores an archived asset (unless the CSV has an
 * archived_at column whose cell is filled: an export imports back as it
 * was); a row that changes nothing is left alone.
 *
 * Every row is checked first, in C (types, enums, lengths) and then in the
 * one statement that writes (tenant settings, members, ids, repeats);
 * any bad row and nothing is written, and the answer lists every bad row
 * as {row, field, message} (row: the 1-based position of the asset in the
 * input; 0 for the CSV header). The activity log gets one entry per
 * created or changed asset, from the statement-level trigger.
 */
#include "assets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db.h"
#include "errors.h"
#include "idempotency.h"

#define IMPORT_MAX_COLUMNS 64

/* What a row may hold: the writable fields, and the id to update. */
static const struct field row_fields[] = {
	ASSETS_WRITABLE_FIELDS,
	{"id", FIELD_UUID, 0, 0, 0, NULL},
};

#define NROW_FIELDS (sizeof(row_fields) / sizeof(row_fields[0]))

/* Columns of the export that an import of that file passes over. */
static const char *const export_only[] = {
	"status_changed_at",
	"archived_at",
	"effective_confidentiality",
	"effective_integrity",
	"effective_availability",
	"version",
	"created_at",
	"updated_at",
	"created_by",
	"updated_by",
	NULL,
};

/*
 * $1: the rows C found no fault in, as a JSON array of objects, each with
 * its position in "_row" (and, from a CSV with an archived_at column,
 * whether it is archived in "_archived"); $2: whether to write (no row has
 * a fault C found). Rows are matched (and locked) by id or external_id, merged
 * over the stored asset (or the defaults of a new one), checked, and written
 * only when no row has a problem.
 */
static const struct db_stmt q_import = {
	"WITH input AS MATERIALIZED ("
	"  SELECT (i.doc ->> '_row')::int AS row,"
	"   i.doc - 'id' - '_row' - '_archived' AS doc,"
	"   (i.doc ->> '_archived')::boolean AS archived,"
	"   (i.doc ->> 'id')::uuid AS by_id, i.doc ->> 'external_id' AS by_ext"
	"  FROM jsonb_array_elements($1::jsonb) AS i(doc)),"
	" cur AS MATERIALIZED ("
	"  SELECT a AS old FROM assets a WHERE a.tenant_id = app_tenant_id()"
	"   AND (a.id IN (SELECT by_id FROM input WHERE by_id IS NOT NULL)"
	"    OR a.external_id IN (SELECT by_ext FROM input"
	"                          WHERE by_ext IS NOT NULL))"
	"  FOR UPDATE),"
	" matched AS MATERIALIZED ("
	"  SELECT i.row, i.doc, i.archived, i.by_id, ci.old AS id_old,"
	"   ce.old AS ext_old,"
	"   CASE WHEN i.by_id IS NOT NULL THEN ci.old ELSE ce.old END AS old"
	"  FROM input i"
	"  LEFT JOIN cur ci ON (ci.old).id = i.by_id"
	"  LEFT JOIN cur ce ON (ce.old).external_id = i.by_ext),"
	" merged AS MATERIALIZED ("
	"  SELECT m.row, m.archived, m.by_id, m.id_old, m.ext_old,"
	"   (m.old).id AS old_id,"
	"   CASE WHEN (m.old).id IS NULL"
	"    THEN jsonb_populate_record(NULL::assets,"
	"     '{\"status\": \"in_use\", \"tags\": []}'::jsonb || m.doc)"
	"    ELSE jsonb_populate_record(m.old, m.doc) END AS r"
	"  FROM matched m),"
	" settings AS MATERIALIZED (SELECT asset_settings() AS s),"
	" problems AS MATERIALIZED ("
	"  SELECT m.row, x.field, x.message FROM merged m, settings,"
	"   asset_problems(m.r, settings.s) x"
	"  UNION ALL SELECT m.row, 'id', 'is not an asset of this tenant'"
	"   FROM merged m WHERE m.by_id IS NOT NULL AND (m.id_old).id IS NULL"
	"  UNION ALL SELECT m.row, 'external_id', 'is used by another asset'"
	"   FROM merged m WHERE m.by_id IS NOT NULL"
	"   AND (m.ext_old).id IS DISTINCT FROM m.by_id"
	"   AND (m.ext_old).id IS NOT NULL"
	"  UNION ALL SELECT m.row, 'name', 'is required' FROM merged m"
	"   WHERE m.old_id IS NULL AND m.by_id IS NULL AND (m.r).name IS NULL"
	"  UNION ALL SELECT m.row, 'type', 'is required' FROM merged m"
	"   WHERE m.old_id IS NULL AND m.by_id IS NULL AND (m.r).type IS NULL"
	"  UNION ALL SELECT d.row, 'external_id', 'is repeated in this import'"
	"   FROM (SELECT row, count(*) OVER (PARTITION BY (r).external_id) AS n"
	"          FROM merged WHERE (r).external_id IS NOT NULL) d"
	"   WHERE d.n > 1"
	"  UNION ALL SELECT d.row, 'id', 'is repeated in this import'"
	"   FROM (SELECT row, count(*) OVER (PARTITION BY by_id) AS n"
	"          FROM merged WHERE by_id IS NOT NULL) d WHERE d.n > 1),"
	" upd AS (UPDATE assets a SET (" ASSET_WRITABLE
	", archived_at) = (" ASSET_WRITABLE_R ", CASE WHEN m.archived"
	"   THEN coalesce(a.archived_at, now()) END)"
	"  FROM merged m CROSS JOIN LATERAL (SELECT (m.r).*) r"
	"  WHERE a.tenant_id = app_tenant_id() AND a.id = m.old_id"
	"  AND $2::boolean AND NOT EXISTS (SELECT 1 FROM problems)"
	"  AND ((a.archived_at IS NOT NULL) <> coalesce(m.archived, false)"
	"   OR (" ASSET_WRITABLE_A ") IS DISTINCT FROM (" ASSET_WRITABLE_R "))"
	"  RETURNING 1),"
	" ins AS (INSERT INTO assets (tenant_id, " ASSET_WRITABLE
	", archived_at)"
	"  SELECT app_tenant_id(), " ASSET_WRITABLE_R ","
	"   CASE WHEN m.archived THEN now() END"
	"  FROM merged m CROSS JOIN LATERAL (SELECT (m.r).*) r"
	"  WHERE m.old_id IS NULL AND $2::boolean"
	"  AND NOT EXISTS (SELECT 1 FROM problems)"
	"  ORDER BY m.row RETURNING 1)"
	" SELECT (SELECT coalesce(jsonb_agg(jsonb_build_object('row', p.row,"
	"   'field', p.field, 'message', p.message) ORDER BY p.row, p.field),"
	"   '[]') FROM problems p) AS errors,"
	"  (SELECT count(*) FROM ins) AS created,"
	"  (SELECT count(*) FROM upd) AS updated,"
	"  (SELECT count(*) FROM merged WHERE old_id IS NOT NULL) AS matched"};

/*
 * The import statement's plan costs enough to trigger JIT compilation,
 * which takes longer (1.5 s here) than running it; off for this
 * transaction only.
 */
static const struct db_stmt q_no_jit = {
	"SELECT set_config('jit', 'off', true)"};

/* Adds {row, field, message}; the problem's errors list is created once. */
static void
row_error(struct response *res, long row, const char *field,
	  const char *message)
{
	if (res->problem_errors == NULL)
		res->problem_errors = json_array();
	json_array_append_new(res->problem_errors,
			      json_pack("{s:I, s:s, s:s}", "row",
					(json_int_t)row, "field", field,
					"message", message));
}

/*
 * Checks one row as C can; its errors join the problem with its number.
 * Returns true when it has none.
 */
static bool
check_row(struct request *r, struct response *res, long n, const json_t *row)
{
	struct response one;
	const json_t *e;
	size_t i;
	bool clean;

	if (!json_is_object(row)) {
		row_error(res, n, "(row)", "must be a JSON object");
		return false;
	}
	response_init(&one, r->arena);
	validate_object(&one, row, row_fields, NROW_FIELDS, VALIDATE_PATCH);
	assets_check_tags(&one, row);
	clean = one.problem_errors == NULL;
	json_array_foreach (one.problem_errors, i, e) {
		row_error(res, n,
			  json_string_value(json_object_get(e, "field")),
			  json_string_value(json_object_get(e, "message")));
	}
	response_release(&one);
	return clean;
}

static int
error_order(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a;
	const json_t *y = *(const json_t *const *)b;
	json_int_t rx = json_integer_value(json_object_get(x, "row"));
	json_int_t ry = json_integer_value(json_object_get(y, "row"));

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "field")),
		      json_string_value(json_object_get(y, "field")));
}

/* Orders the problem's errors by row, then field. */
static void
sort_errors(struct response *res)
{
	size_t i, n = json_array_size(res->problem_errors);
	json_t **items, *sorted;

	if (n < 2)
		return;
	items = malloc(n * sizeof(*items));
	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		items[i] = json_array_get(res->problem_errors, i);
	qsort(items, n, sizeof(*items), error_order);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	free(items);
	json_decref(res->problem_errors);
	res->problem_errors = sorted;
}

static const struct field *
field_named(const char *name)
{
	size_t i;

	for (i = 0; i < NROW_FIELDS; i++)
		if (strcmp(row_fields[i].name, name) == 0)
			return &row_fields[i];
	return NULL;
}

static bool
export_column(const char *name)
{
	const char *const *c;

	for (c = export_only; *c != NULL; c++)
		if (strcmp(*c, name) == 0)
			return true;
	return false;
}

/* "a; b;;c" -> ["a", "b", "c"] */
static json_t *
csv_tags(const char *s)
{
	json_t *tags = json_array();
	const char *p = s, *e, *end;

	while (*p != '\0') {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		e = end;
		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		if (e > p)
			json_array_append_new(tags,
					      json_stringn(p, (size_t)(e - p)));
		p = *end == ';' ? end + 1 : end;
	}
	return tags;
}

/*
 * A CSV cell as JSON for its field: empty is null (tags: []), integers
 * become numbers when they are numbers (anything else stays a string,
 * for the validator to refuse), the quote of a neutralised formula goes.
 */
static json_t *
csv_value(const struct field *f, const char *cell)
{
	char *end;
	long v;

	if (f->type == FIELD_STRINGS)
		return csv_tags(cell);
	if (*cell == '\0')
		return json_null();
	if (f->type == FIELD_INT) {
		errno = 0;
		v = strtol(cell, &end, 10);
		if (errno == 0 && *end == '\0' && end != cell &&
		    (cell[0] == '-' || (cell[0] >= '0' && cell[0] <= '9')))
			return json_integer(v);
	}
	return json_string(csv_unneutralise(cell));
}

/*
 * The CSV body as a JSON array of row objects; header problems: row 0.
 * When the file has an archived_at column (an export's), *archived gets
 * one boolean per row: whether its cell is filled.
 */
static json_t *
csv_rows(struct request *r, struct response *res, json_t **archived)
{
	const char *header[IMPORT_MAX_COLUMNS], *cells[IMPORT_MAX_COLUMNS];
	const struct field *fields[IMPORT_MAX_COLUMNS];
	struct csv_reader in;
	json_t *rows, *row;
	int ncols, n, i, j, archived_col;
	char msg[96];

	csv_reader_init(&in, r->body, r->body_len);
	ncols = csv_read(&in, r->arena, header, IMPORT_MAX_COLUMNS);
	if (ncols <= 0) {
		row_error(res, 0, "(header)",
			  ncols == 0 ? "is missing" : in.error);
		return NULL;
	}
	for (i = 0; i < ncols; i++) {
		fields[i] = field_named(header[i]);
		if (fields[i] == NULL && !export_column(header[i]))
			row_error(res, 0, header[i], "is not a known column");
		for (j = 0; j < i; j++)
			if (strcmp(header[i], header[j]) == 0)
				row_error(res, 0, header[i], "is repeated");
	}
	if (res->problem_errors != NULL)
		return NULL;
	for (i = 0, archived_col = -1; i < ncols; i++)
		if (strcmp(header[i], "archived_at") == 0)
			archived_col = i;
	*archived = archived_col >= 0 ? json_array() : NULL;
	rows = json_array();
	while ((n = csv_read(&in, r->arena, cells, (size_t)ncols)) != 0) {
		if (json_array_size(rows) == ASSETS_IMPORT_MAX_ROWS) {
			json_decref(rows);
			http_problem(res, 413, "payload-too-large",
				     "An import holds at most %d assets.",
				     ASSETS_IMPORT_MAX_ROWS);
			return NULL;
		}
		row = json_object();
		json_array_append_new(rows, row);
		if (*archived != NULL)
			json_array_append_new(
				*archived,
				json_boolean(n == ncols &&
					     cells[archived_col][0] != '\0'));
		if (n < 0) {
			row_error(res, (long)in.record - 1, "(row)", in.error);
			/* The rest cannot be split into records reliably. */
			break;
		}
		if (n != ncols) {
			snprintf(msg, sizeof(msg),
				 "has %d fields; the header has %d", n, ncols);
			row_error(res, (long)in.record - 1, "(row)", msg);
			continue;
		}
		for (i = 0; i < ncols; i++) {
			if (fields[i] == NULL ||
			    (fields[i]->type == FIELD_UUID &&
			     strcmp(fields[i]->name, "id") == 0 &&
			     cells[i][0] == '\0'))
				continue;
			json_object_set_new(row, header[i],
					    csv_value(fields[i], cells[i]));
		}
	}
	return rows;
}

/* The JSON body: an array of objects. */
static json_t *
json_rows(struct request *r, struct response *res)
{
	json_error_t err;
	json_t *rows;

	rows = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (rows == NULL) {
		http_problem(res, 400, "malformed-json",
			     "The body is not valid JSON: %s (at position "
			     "%d).",
			     err.text, err.position);
		return NULL;
	}
	if (!json_is_array(rows)) {
		json_decref(rows);
		http_problem(res, 400, "bad-request",
			     "The body must be a JSON array of assets.");
		return NULL;
	}
	if (json_array_size(rows) > ASSETS_IMPORT_MAX_ROWS) {
		json_decref(rows);
		http_problem(res, 413, "payload-too-large",
			     "An import holds at most %d assets.",
			     ASSETS_IMPORT_MAX_ROWS);
		return NULL;
	}
	return rows;
}

static int
invalid(struct response *res)
{
	sort_errors(res);
	return http_problem(res, 422, "validation",
			    "%zu problem(s) in the import; nothing was "
			    "written.",
			    json_array_size(res->problem_errors));
}

/*
 * Runs the import statement over the clean rows (write: whether C found
 * no fault at all); fills res.
 */
static int
import_rows(struct request *r, struct response *res, json_t *rows, bool write)
{
	struct idempotency idem;
	const char *params[2];
	json_t *errors, *e;
	PGresult *row;
	char *text;
	size_t i;
	int status;

	if (db_exec(r->db, &q_no_jit, 0, NULL, 0) == NULL)
		return errors_from_db(res, r->db);
	if (write && (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	text = json_dumps(rows, JSON_COMPACT);
	if (text == NULL)
		return http_internal(res, "cannot serialise the import");
	params[0] = arena_strdup(r->arena, text);
	params[1] = write ? "true" : "false";
	free(text);
	if (params[0] == NULL)
		return http_internal(res, "out of memory for the import");
	row = db_exec(r->db, &q_import, 2, params,
		      write ? idempotency_flags(&idem) : DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	errors = db_value_json(row, 0, 0);
	json_array_foreach (errors, i, e) {
		row_error(res,
			  (long)json_integer_value(json_object_get(e, "row")),
			  json_string_value(json_object_get(e, "field")),
			  json_string_value(json_object_get(e, "message")));
	}
	json_decref(errors);
	if (res->problem_errors != NULL)
		return invalid(res);
	res->body = json_pack(
		"{s:I, s:I, s:I}", "created",
		(json_int_t)strtoll(PQgetvalue(row, 0, 1), NULL, 10), "updated",
		(json_int_t)strtoll(PQgetvalue(row, 0, 2), NULL, 10),
		"unchanged",
		(json_int_t)(strtoll(PQgetvalue(row, 0, 3), NULL, 10) -
			     strtoll(PQgetvalue(row, 0, 2), NULL, 10)));
	return idempotency_end(r, res, &idem, 200);
}

int
assets_import(struct request *r, struct response *res)
{
	json_t *rows, *text, *row, *clean, *archived = NULL;
	bool csv;
	size_t i;
	int status;

	csv = http_media_type_is(r->content_type, "text/csv");
	if (!csv && !http_media_type_is(r->content_type, "application/json"))
		return http_problem(res, 415, "unsupported-media-type",
				    "The body must be text/csv or "
				    "application/json.");
	if (r->body_len == 0)
		return http_problem(res, 400, "bad-request",
				    "The request body is empty.");
	if (csv) {
		/* jansson checks UTF-8; the reader refuses NUL bytes. */
		text = json_stringn(r->body, r->body_len);
		if (text == NULL)
			return http_problem(res, 400, "bad-request",
					    "The CSV is not valid UTF-8.");
		json_decref(text);
		rows = csv_rows(r, res, &archived);
	} else {
		rows = json_rows(r, res);
	}
	if (rows == NULL) {
		json_decref(archived);
		return res->status >= 400 && res->problem_errors == NULL
			       ? res->status
			       : invalid(res);
	}
	/* Rows C faults stay out of the statement; the rest are still
	 * checked there, so that one answer names every bad row. */
	clean = json_array();
	json_array_foreach (rows, i, row) {
		if (check_row(r, res, (long)i + 1, row)) {
			json_object_set_new(row, "_row",
					    json_integer((json_int_t)i + 1));
			if (archived != NULL)
				json_object_set(row, "_archived",
						json_array_get(archived, i));
			json_array_append(clean, row);
		}
	}
	if (json_array_size(clean) > 0)
		status =
			import_rows(r, res, clean, res->problem_errors == NULL);
	else
		status = res->problem_errors != NULL
				 ? invalid(res)
				 : import_rows(r, res, clean, true);
	json_decref(clean);
	json_decref(rows);
	json_decref(archived);
	return status;
}
