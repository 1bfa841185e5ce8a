/*
 * GET /api/v1/assets/export?format=csv: every asset of the tenant (the
 * archived ones with ?include_archived=true) as one CSV file, oldest
 * first. The columns are the API's field names; tags are joined with ';'
 * and the effective C, I and A are included. Cells that a spreadsheet
 * would run as formulas are neutralised (csv.h). The file imports back
 * unchanged: POST /api/v1/assets/import matches its rows on id.
 */
#include "assets.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "db.h"
#include "errors.h"

/*
 * Column names are the CSV header. Timestamps as RFC 3339 UTC with
 * microseconds, as the JSON API shows them.
 */
static const struct db_stmt q_export = {
	"SELECT a.id, a.external_id, a.name, a.description, a.type,"
	" a.owner_id, a.custodian_id, a.location, a.classification,"
	" a.confidentiality, a.integrity, a.availability,"
	" e -> 'confidentiality' ->> 'value' AS effective_confidentiality,"
	" e -> 'integrity' ->> 'value' AS effective_integrity,"
	" e -> 'availability' ->> 'value' AS effective_availability,"
	" a.status, to_char(a.status_changed_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS status_changed_at,"
	" a.in_use_since, a.retired_on, a.disposed_on,"
	" array_to_string(a.tags, ';') AS tags, a.review_date,"
	" to_char(a.archived_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS archived_at, a.version,"
	" to_char(a.created_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at,"
	" to_char(a.updated_at AT TIME ZONE 'UTC',"
	"  'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS updated_at,"
	" a.created_by, a.updated_by"
	" FROM assets a, asset_effective(a.id, a.confidentiality, a.integrity,"
	"  a.availability) e"
	" WHERE a.tenant_id = app_tenant_id()"
	" AND ($1::boolean OR a.archived_at IS NULL)"
	" ORDER BY a.created_at, a.id"};

const char *const export_query[] = {"format", "include_archived", NULL};

int
assets_export(struct request *r, struct response *res)
{
	const char *format = http_query(r, "format");
	const char *params[1];
	struct csv_writer out;
	PGresult *rows;
	bool archived;
	int i, j, n, ncols;
	char *copy;

	if (format != NULL && strcmp(format, "csv") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'format' must be csv.");
	if (assets_query_bool(r, res, "include_archived", &archived) != 0)
		return res->status;
	params[0] = archived ? "true" : "false";
	rows = db_exec(r->db, &q_export, 1, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	csv_writer_init(&out);
	ncols = PQnfields(rows);
	for (j = 0; j < ncols; j++)
		csv_write_field(&out, PQfname(rows, j));
	csv_write_end(&out);
	n = PQntuples(rows);
	for (i = 0; i < n; i++) {
		for (j = 0; j < ncols; j++)
			csv_write_field(&out, PQgetisnull(rows, i, j)
						      ? NULL
						      : PQgetvalue(rows, i, j));
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
	http_header(res, "Content-Disposition",
		    "attachment; filename=\"assets.csv\"");
	return 200;
}
