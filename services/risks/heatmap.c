/*
 * GET /api/v1/risks/heatmap?stage=inherent|current|residual: how many
 * risks sit in each cell of the tenant's matrix at that stage (default
 * current). Closed risks and risks not yet assessed at the stage are not
 * in the cells (not_assessed counts the latter). JSON by default; with
 * Accept preferring image/svg+xml, an SVG picture of the matrix, cells in
 * their level's colour with their counts: static markup, no script, every
 * text escaped. Another Accept that admits neither is a 406.
 */
#include "risks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "errors.h"

const char *const risk_heatmap_query[] = {"stage", NULL};

/*
 * $1 the stage. Every cell of the grid, likelihood-major, with its level,
 * colour and count.
 */
static const struct db_stmt q_heatmap = {
	"WITH c AS (SELECT nullif(h.likelihood, 0) AS l,"
	"  nullif(h.impact, 0) AS i, h.n"
	"  FROM risk_heat_counts h WHERE h.tenant_id = app_tenant_id()"
	"  AND h.stage = $1::text AND h.n > 0)"
	" SELECT $1::text AS stage, m.likelihood_levels, m.impact_levels,"
	" (SELECT jsonb_agg(jsonb_build_object('likelihood', l.n,"
	"   'impact', i.n, 'level', lv ->> 'name', 'colour', lv ->> 'colour',"
	"   'count', coalesce(c.n, 0)) ORDER BY l.n, i.n)"
	"  FROM generate_series(1, jsonb_array_length(m.likelihood_levels))"
	"   l(n)"
	"  CROSS JOIN generate_series(1, jsonb_array_length(m.impact_levels))"
	"   i(n)"
	"  CROSS JOIN LATERAL risk_level_of(m, m.grid -> (l.n - 1)"
	"   ->> (i.n - 1)) lv"
	"  LEFT JOIN c ON c.l = l.n AND c.i = i.n) AS cells,"
	" (SELECT coalesce(sum(c.n), 0)::int FROM c WHERE c.l IS NOT NULL)"
	"  AS total,"
	" (SELECT coalesce(sum(c.n), 0)::int FROM c WHERE c.l IS NULL)"
	"  AS not_assessed"
	" FROM risk_matrices m WHERE m.tenant_id = app_tenant_id()"};

/* ---- content negotiation ---- */

/*
 * The quality Accept gives type: that of its most specific matching range
 * (type/subtype, type/ *, * / *), 0 when none matches, 1 without Accept.
 */
static double
accept_q(struct arena *a, const char *accept, const char *type)
{
	char *copy, *range, *save = NULL, *param, *psave, *end;
	const char *slash = strchr(type, '/');
	double q = 0, rq;
	int best = 0, spec;
	size_t n;

	if (accept == NULL || (copy = arena_strdup(a, accept)) == NULL)
		return 1;
	for (range = strtok_r(copy, ",", &save); range != NULL;
	     range = strtok_r(NULL, ",", &save)) {
		param = strtok_r(range, ";", &psave);
		while (*param == ' ' || *param == '\t')
			param++;
		n = strcspn(param, " \t");
		param[n] = '\0';
		if (strcasecmp(param, type) == 0)
			spec = 3;
		else if (strcmp(param, "*/*") == 0)
			spec = 1;
		else if (strncasecmp(param, type, (size_t)(slash - type)) ==
				 0 &&
			 strcmp(param + (slash - type), "/*") == 0)
			spec = 2;
		else
			continue;
		rq = 1;
		while ((param = strtok_r(NULL, ";", &psave)) != NULL) {
			while (*param == ' ' || *param == '\t')
				param++;
			if ((param[0] == 'q' || param[0] == 'Q') &&
			    param[1] == '=') {
				rq = strtod(param + 2, &end);
				if (end == param + 2 || rq < 0 || rq > 1)
					rq = 0;
			}
		}
		if (spec > best) {
			best = spec;
			q = rq;
		}
	}
	return q;
}

/* ---- the picture ---- */

#define CELL_W 104
#define CELL_H 60
#define LEFT 170
#define TOP 48
#define BOTTOM 84

struct svg {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void svg_printf(struct svg *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
svg_printf(struct svg *s, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *grown;

	if (s->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->failed = true;
			return;
		}
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		grown = realloc(s->buf, s->cap * 2 + (size_t)n);
		if (grown == NULL) {
			s->failed = true;
			return;
		}
		s->buf = grown;
		s->cap = s->cap * 2 + (size_t)n;
	}
}

/* Text content and attribute values, XML-escaped. */
static void
svg_text(struct svg *s, const char *text)
{
	for (; text != NULL && *text != '\0'; text++) {
		switch (*text) {
		case '&':
			svg_printf(s, "&amp;");
			break;
		case '<':
			svg_printf(s, "&lt;");
			break;
		case '>':
			svg_printf(s, "&gt;");
			break;
		case '"':
			svg_printf(s, "&quot;");
			break;
		case '\'':
			svg_printf(s, "&#39;");
			break;
		default:
			svg_printf(s, "%c", *text);
		}
	}
}

/* Black or white, whichever reads better on a #rrggbb fill. */
static const char *
ink_on(const char *colour)
{
	unsigned long rgb;

	if (colour == NULL || strlen(colour) != 7)
		return "#000000";
	rgb = strtoul(colour + 1, NULL, 16);
	return 299 * ((rgb >> 16) & 0xff) + 587 * ((rgb >> 8) & 0xff) +
				       114 * (rgb & 0xff) >
			       150000
		       ? "#000000"
		       : "#ffffff";
}

static const char *
level_name(const json_t *levels, json_int_t value)
{
	return json_string_value(json_object_get(
		json_array_get(levels, (size_t)value - 1), "name"));
}

/* Likelihood rises upwards, impact to the right. */
static void
svg_draw(struct svg *s, const json_t *map)
{
	const json_t *likelihood = json_object_get(map, "likelihood_levels");
	const json_t *impact = json_object_get(map, "impact_levels");
	const char *stage = json_string_value(json_object_get(map, "stage"));
	size_t nl = json_array_size(likelihood), ni = json_array_size(impact);
	int w = LEFT + (int)ni * CELL_W + 16,
	    h = TOP + (int)nl * CELL_H + BOTTOM;
	const json_t *cell;
	const char *colour, *ink;
	json_int_t l, i;
	size_t k;
	int x, y;

	svg_printf(s,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		   "height=\"%d\" viewBox=\"0 0 %d %d\" "
		   "font-family=\"sans-serif\" font-size=\"12\" role=\"img\" "
		   "aria-labelledby=\"title\">\n",
		   w, h, w, h);
	svg_printf(
		s,
		"<title id=\"title\">Risk heat map, %s stage: %lld "
		"risk(s)</title>\n",
		stage,
		(long long)json_integer_value(json_object_get(map, "total")));
	svg_printf(s, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		   w, h);
	svg_printf(s,
		   "<text x=\"%d\" y=\"28\" font-size=\"16\" "
		   "font-weight=\"bold\">Risk heat map: %s risk</text>\n",
		   LEFT, stage);
	json_array_foreach (json_object_get(map, "cells"), k, cell) {
		l = json_integer_value(json_object_get(cell, "likelihood"));
		i = json_integer_value(json_object_get(cell, "impact"));
		colour = json_string_value(json_object_get(cell, "colour"));
		ink = ink_on(colour);
		x = LEFT + (int)(i - 1) * CELL_W;
		y = TOP + (int)((json_int_t)nl - l) * CELL_H;
		svg_printf(s, "<g><title>likelihood %lld, impact %lld: ",
			   (long long)l, (long long)i);
		svg_text(s, json_string_value(json_object_get(cell, "level")));
		svg_printf(s,
			   "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			   "height=\"%d\" fill=\"",
			   x, y, CELL_W, CELL_H);
		svg_text(s, colour != NULL ? colour : "#cccccc");
		svg_printf(s,
			   "\" stroke=\"#ffffff\" stroke-width=\"2\"/>"
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
			   "font-size=\"20\" font-weight=\"bold\" "
			   "fill=\"%s\">%lld</text>"
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
			   "font-size=\"10\" fill=\"%s\">",
			   x + CELL_W / 2, y + CELL_H / 2 + 2, ink,
			   (long long)json_integer_value(
				   json_object_get(cell, "count")),
			   x + CELL_W / 2, y + CELL_H - 10, ink);
		svg_text(s, json_string_value(json_object_get(cell, "level")));
		svg_printf(s, "</text></g>\n");
	}
	for (l = 1; l <= (json_int_t)nl; l++) {
		y = TOP + (int)((json_int_t)nl - l) * CELL_H + CELL_H / 2 + 4;
		svg_printf(s,
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld ",
			   LEFT - 8, y, (long long)l);
		svg_text(s, level_name(likelihood, l));
		svg_printf(s, "</text>\n");
	}
	for (i = 1; i <= (json_int_t)ni; i++) {
		x = LEFT + (int)(i - 1) * CELL_W + CELL_W / 2;
		y = TOP + (int)nl * CELL_H;
		svg_printf(s,
			   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
			   "%lld</text><text x=\"%d\" y=\"%d\" "
			   "text-anchor=\"middle\" font-size=\"10\">",
			   x, y + 18, (long long)i, x, y + 32);
		svg_text(s, level_name(impact, i));
		svg_printf(s, "</text>\n");
	}
	svg_printf(s,
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		   "font-weight=\"bold\">Impact</text>\n"
		   "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" "
		   "font-weight=\"bold\" transform=\"rotate(-90 16 %d)\">"
		   "Likelihood</text>\n</svg>\n",
		   LEFT + (int)ni * CELL_W / 2, h - 16,
		   TOP + (int)nl * CELL_H / 2, TOP + (int)nl * CELL_H / 2);
}

static int
svg_respond(struct request *r, struct response *res, const json_t *map)
{
	struct svg s = {NULL, 0, 0, false};
	char *copy;

	s.cap = 8192;
	s.buf = malloc(s.cap);
	s.failed = s.buf == NULL;
	svg_draw(&s, map);
	copy = s.failed ? NULL : arena_strndup(r->arena, s.buf, s.len);
	free(s.buf);
	if (copy == NULL)
		return http_internal(res, "out of memory drawing the heat map");
	res->raw = copy;
	res->raw_len = strlen(copy);
	res->content_type = "image/svg+xml; charset=utf-8";
	return 200;
}

int
risk_heatmap_get(struct request *r, struct response *res)
{
	const char *params[1] = {http_query(r, "stage")};
	double json_q, svg_q;
	json_t *map;
	PGresult *row;
	int status;

	if (params[0] == NULL)
		params[0] = "current";
	if (strcmp(params[0], "inherent") != 0 &&
	    strcmp(params[0], "current") != 0 &&
	    strcmp(params[0], "residual") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'stage' must be "
				    "inherent, current or residual.");
	json_q = accept_q(r->arena, r->accept, "application/json");
	svg_q = accept_q(r->arena, r->accept, "image/svg+xml");
	http_header(res, "Vary", "Accept");
	if (json_q <= 0 && svg_q <= 0)
		return http_problem(res, 406, "not-acceptable",
				    "The heat map is served as "
				    "application/json or image/svg+xml.");
	row = db_exec(r->db, &q_heatmap, 1, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "This tenant has no risk matrix.");
	map = db_row_json(row, 0);
	if (svg_q > json_q) {
		status = svg_respond(r, res, map);
		json_decref(map);
		return status;
	}
	res->body = map;
	return 200;
}
