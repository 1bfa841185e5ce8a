/*
 * GET /api/v1/audits/{id}/report: the audit's scope, checklist coverage,
 * findings by grade (and each finding with its corrective actions) and
 * the state of the corrective actions, built by audit_report() (0008).
 * As JSON, or as a printable HTML page (?format=html, or an Accept
 * header asking for text/html): every value escaped, print CSS, no
 * script, and a Content-Security-Policy that would stop one anyway.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audits.h"
#include "db.h"
#include "errors.h"
#include "html.h"

const char *const report_query[] = {"format", NULL};

static const struct db_stmt q_report = {
	"SELECT audit_report($1::uuid) AS report"};

/* A member as text: strings as they are, numbers printed, null as "-". */
static const char *
text(struct arena *a, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return arena_printf(a, "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
	if (json_is_real(v))
		return arena_printf(a, "%.1f", json_real_value(v));
	if (json_is_true(v))
		return "yes";
	if (json_is_false(v))
		return "no";
	return "-";
}

/* The strings of an array joined with ", " ("-" when empty). */
static void
joined(struct html *t, const json_t *list)
{
	const json_t *v;
	size_t i;

	if (json_array_size(list) == 0) {
		html_raw(t, "-");
		return;
	}
	json_array_foreach (list, i, v) {
		if (i > 0)
			html_raw(t, ", ");
		html_text(t, json_string_value(v));
	}
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<title>Audit report</title><style>"
	"@page{size:A4;margin:15mm}"
	"body{font:10pt/1.4 system-ui,sans-serif;color:#111;margin:0}"
	"h1{font-size:16pt;margin:0 0 4pt}h2{font-size:12pt;margin:14pt 0 4pt;"
	"page-break-after:avoid}p.meta{margin:0 0 8pt;color:#333}"
	"table{border-collapse:collapse;width:100%;margin:0 0 6pt}"
	"th,td{border:1px solid #888;padding:2pt 4pt;vertical-align:top;"
	"text-align:left}th{background:#eee}"
	"thead{display:table-header-group}tr{page-break-inside:avoid}"
	"td.major_nc{color:#a00;font-weight:bold}td.minor_nc{color:#b45f00}"
	"</style></head><body>\n";

static const char *const grades[] = {"major_nc", "minor_nc", "observation",
				     "ofi", NULL};
static const char *const grade_names[] = {"Major nonconformity",
					  "Minor nonconformity", "Observation",
					  "Opportunity for improvement"};
static const char *const results[] = {"conforming",  "major_nc", "minor_nc",
				      "observation", "ofi",      "not_audited",
				      NULL};

static void
render_head(struct html *t, struct arena *a, const json_t *report)
{
	const json_t *audit = json_object_get(report, "audit");
	const json_t *baseline = json_object_get(report, "baseline");
	const json_t *m;
	size_t i;

	html_raw(t, "<h1>Audit report: ");
	html_text(t, text(a, audit, "title"));
	html_raw(t, "</h1>\n<p class=\"meta\">Type ");
	html_text(t, text(a, audit, "type"));
	html_raw(t, ", status ");
	html_text(t, text(a, audit, "status"));
	html_raw(t, ". Planned ");
	html_text(t, text(a, audit, "planned_start"));
	html_raw(t, " to ");
	html_text(t, text(a, audit, "planned_end"));
	html_raw(t, "; performed ");
	html_text(t, text(a, audit, "actual_start"));
	html_raw(t, " to ");
	html_text(t, text(a, audit, "actual_end"));
	html_raw(t, ". Generated ");
	html_text(t, text(a, report, "generated_at"));
	html_raw(t, ".</p>\n<p class=\"meta\">Audit team: ");
	if (json_array_size(json_object_get(audit, "team")) == 0)
		html_raw(t, "-");
	json_array_foreach (json_object_get(audit, "team"), i, m) {
		if (i > 0)
			html_raw(t, "; ");
		html_text(t, text(a, m,
				  json_is_string(
					  json_object_get(m, "display_name"))
					  ? "display_name"
					  : "email"));
		html_raw(t, " (");
		html_text(t, text(a, m, "role"));
		html_raw(t, ")");
	}
	html_raw(t, ".</p>\n<p class=\"meta\">Baseline: ");
	if (json_is_object(baseline)) {
		html_raw(t, "taken ");
		html_text(t, text(a, baseline, "taken_at"));
		html_raw(t, ", SHA-256 ");
		html_text(t, text(a, baseline, "digest"));
	} else {
		html_raw(t, "none");
	}
	html_raw(t, ".</p>\n");
}

static void
render_scope(struct html *t, struct arena *a, const json_t *report)
{
	const json_t *scope = json_object_get(report, "scope");
	const json_t *controls = json_object_get(scope, "controls");
	const json_t *asset;
	size_t i;

	html_raw(t, "<h2>Scope</h2>\n<table><tbody><tr><th>Clauses</th><td>");
	joined(t, json_object_get(scope, "clauses"));
	html_raw(t, "</td></tr>\n<tr><th>Annex A controls</th><td>");
	if (json_array_size(controls) == 0)
		html_raw(t, "all");
	else
		joined(t, controls);
	html_raw(t, "</td></tr>\n<tr><th>Assets</th><td>");
	if (json_array_size(json_object_get(scope, "assets")) == 0)
		html_raw(t, "-");
	json_array_foreach (json_object_get(scope, "assets"), i, asset) {
		if (i > 0)
			html_raw(t, ", ");
		html_text(t, text(a, asset, "name"));
		html_raw(t, " (");
		html_text(t, text(a, asset, "type"));
		html_raw(t, ")");
	}
	html_raw(t, "</td></tr></tbody></table>\n");
}

static void
render_counts(struct html *t, struct arena *a, const json_t *report)
{
	const json_t *checklist = json_object_get(report, "checklist");
	const json_t *by_result = json_object_get(checklist, "by_result");
	const json_t *by_grade = json_object_get(report, "findings_by_grade");
	const json_t *actions = json_object_get(report, "corrective_actions");
	const json_t *g;
	size_t i;

	html_raw(t, "<h2>Checklist coverage</h2>\n<p>");
	html_text(t, text(a, report, "coverage_percent"));
	html_raw(t, "% of ");
	html_text(t, text(a, checklist, "total"));
	html_raw(t, " items audited (");
	html_text(t, text(a, checklist, "clauses"));
	html_raw(t, " clauses, ");
	html_text(t, text(a, checklist, "controls"));
	html_raw(t, " Annex A controls).</p>\n<table><thead><tr>");
	for (i = 0; results[i] != NULL; i++) {
		html_raw(t, "<th>");
		html_text(t, results[i]);
		html_raw(t, "</th>");
	}
	html_raw(t, "</tr></thead><tbody><tr>");
	for (i = 0; results[i] != NULL; i++)
		html_cell(t, text(a, by_result, results[i]));
	html_raw(t,
		 "</tr></tbody></table>\n<h2>Findings by grade</h2>\n"
		 "<table><thead><tr><th>Grade</th><th>Total</th><th>Open</th>"
		 "<th>In progress</th><th>Closed</th></tr></thead><tbody>\n");
	for (i = 0; grades[i] != NULL; i++) {
		g = json_object_get(by_grade, grades[i]);
		html_raw(t, "<tr>");
		html_cell(t, grade_names[i]);
		html_cell(t, text(a, g, "total"));
		html_cell(t, text(a, g, "open"));
		html_cell(t, text(a, g, "in_progress"));
		html_cell(t, text(a, g, "closed"));
		html_raw(t, "</tr>\n");
	}
	html_raw(t,
		 "</tbody></table>\n<h2>Corrective actions</h2>\n"
		 "<table><thead><tr><th>Total</th><th>Open</th>"
		 "<th>In progress</th><th>Done</th><th>Verified effective</th>"
		 "<th>Not "
		 "effective</th><th>Overdue</th></tr></thead><tbody><tr>");
	html_cell(t, text(a, actions, "total"));
	html_cell(t, text(a, actions, "open"));
	html_cell(t, text(a, actions, "in_progress"));
	html_cell(t, text(a, actions, "done"));
	html_cell(t, text(a, actions, "verified_effective"));
	html_cell(t, text(a, actions, "verified_not_effective"));
	html_cell(t, text(a, actions, "overdue"));
	html_raw(t, "</tr></tbody></table>\n");
}

static void
render_findings(struct html *t, struct arena *a, const json_t *report)
{
	const json_t *f, *c, *req;
	size_t i, j;

	html_raw(t, "<h2>Findings</h2>\n");
	if (json_array_size(json_object_get(report, "findings")) == 0) {
		html_raw(t, "<p>None.</p>\n");
		return;
	}
	html_raw(t, "<table><thead><tr><th>Grade</th><th>Requirement</th>"
		    "<th>Finding</th><th>Status</th><th>Corrective actions</th>"
		    "</tr></thead><tbody>\n");
	json_array_foreach (json_object_get(report, "findings"), i, f) {
		req = json_object_get(f, "requirement");
		html_raw(t, "<tr><td class=\"");
		html_text(t, text(a, f, "grade"));
		html_raw(t, "\">");
		html_text(t, text(a, f, "grade"));
		html_raw(t, "</td><td>");
		if (json_is_object(req)) {
			html_text(t, text(a, req, "ref"));
			html_raw(t, " ");
			html_text(t, text(a, req, "title"));
		} else {
			html_raw(t, "-");
		}
		html_raw(t, "</td><td><strong>");
		html_text(t, text(a, f, "title"));
		html_raw(t, "</strong>");
		if (json_is_string(json_object_get(f, "description"))) {
			html_raw(t, "<br>");
			html_text(t, text(a, f, "description"));
		}
		html_raw(t, "</td>");
		html_cell(t, text(a, f, "status"));
		html_raw(t, "<td>");
		json_array_foreach (json_object_get(f, "corrective_actions"), j,
				    c) {
			if (j > 0)
				html_raw(t, "<br>");
			html_text(t, text(a, c, "action"));
			html_raw(t, " (");
			html_text(t, text(a, c, "status"));
			html_raw(t, ", due ");
			html_text(t, text(a, c, "due_date"));
			if (json_is_string(json_object_get(
				    c, "verification_result"))) {
				html_raw(t, ", verified ");
				html_text(t, text(a, c, "verification_result"));
			}
			html_raw(t, ")");
		}
		html_raw(t, "</td></tr>\n");
	}
	html_raw(t, "</tbody></table>\n");
}

static int
render_html(struct request *r, struct response *res, const json_t *report)
{
	struct html t = {NULL, 0, 0, false};

	html_raw(&t, html_head);
	render_head(&t, r->arena, report);
	render_scope(&t, r->arena, report);
	render_counts(&t, r->arena, report);
	render_findings(&t, r->arena, report);
	html_raw(&t, "</body></html>\n");
	return html_respond(&t, res);
}

int
report_get(struct request *r, struct response *res)
{
	const char *format = http_query(r, "format");
	const char *params[1] = {r->params[0]};
	json_t *report;
	PGresult *row;
	bool html;
	int status;

	if ((status = audits_path_id(r, res, 0, "audit")) != 0)
		return status;
	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "html") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'format' must be json or "
				    "html.");
	html = format != NULL
		       ? strcmp(format, "html") == 0
		       : r->accept != NULL && strstr(r->accept, "text/html");
	row = db_exec(r->db, &q_report, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQgetisnull(row, 0, 0))
		return http_problem(res, 404, "not-found", "No such audit.");
	report = db_value_json(row, 0, 0);
	if (!html) {
		res->body = report;
		return 200;
	}
	status = render_html(r, res, report);
	json_decref(report);
	return status;
}
