/*
 * /api/v1/risk-matrix: the tenant's risk criteria (ISO/IEC 27005:2022
 * clause 6): the likelihood and impact scales (3 to 7 levels each), the
 * risk levels with their colour, rank and review interval, the grid that
 * gives each (likelihood, impact) its level, and the acceptance threshold
 * (the risk appetite). Every tenant starts with the default 5 x 5
 * (risk_matrix_default(), 0006). A PUT replaces the whole matrix and, in
 * the same transaction, re-evaluates every risk on it
 * (risk_matrix_put()); one that drops a likelihood or impact value a risk
 * uses is refused with the list of those risks.
 */
#include "risks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"

#define SCALE_MIN 3
#define SCALE_MAX 7
#define LEVELS_MIN 2
#define LEVELS_MAX 10

static const struct field matrix_fields[] = {
	{"likelihood_levels", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
	{"impact_levels", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
	{"risk_levels", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
	{"grid", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
	{"acceptance_threshold", FIELD_STRING, FIELD_REQUIRED, 1, 50, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

/* A likelihood or impact level; value, when sent, is its position. */
static const struct field scale_fields[] = {
	{"value", FIELD_INT, 0, 1, SCALE_MAX, NULL},
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 50, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 500, NULL},
};

static const struct field level_fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 50, NULL},
	{"colour", FIELD_STRING, FIELD_REQUIRED, 7, 7, NULL},
	{"rank", FIELD_INT, FIELD_REQUIRED, 1, LEVELS_MAX, NULL},
	{"review_interval_days", FIELD_INT, FIELD_REQUIRED, 1, 3650, NULL},
};

static const struct db_stmt q_get = {
	"SELECT m.version, risk_matrix_json(m) AS item FROM risk_matrices m"
	" WHERE m.tenant_id = app_tenant_id()"};

static const struct db_stmt q_put = {
	"SELECT outcome, problems, version, matrix AS item, risks_reevaluated"
	" FROM risk_matrix_put($1::jsonb, $2::int)"};

int
risk_matrix_get(struct request *r, struct response *res)
{
	PGresult *row = db_exec(r->db, &q_get, 0, NULL, DB_COMMIT);

	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found",
				    "This tenant has no risk matrix.");
	res->body = db_value_json(row, 0, 1);
	return page_etag(res, PQgetvalue(row, 0, 0), 200);
}

/*
 * Checks list against min..max objects of the field list; errors are
 * named "<name>[i].<field>". Returns true when the list is well-formed.
 */
static bool
check_objects(struct response *res, const char *name, const json_t *list,
	      long min, long max, const struct field *fields, size_t nfields)
{
	struct response sub;
	const json_t *item, *e;
	size_t i, k;
	bool ok = true;

	if (!json_is_array(list)) {
		http_field_error(res, name, "must be an array");
		return false;
	}
	if ((long)json_array_size(list) < min ||
	    (long)json_array_size(list) > max) {
		http_field_error(res, name, "must have from %ld to %ld items",
				 min, max);
		return false;
	}
	json_array_foreach (list, i, item) {
		response_init(&sub, res->arena);
		if (validate_object(&sub, item, fields, nfields,
				    VALIDATE_CREATE) != 0) {
			ok = false;
			if (sub.problem_errors == NULL)
				http_field_error(res,
						 arena_printf(res->arena,
							      "%s[%zu]", name,
							      i),
						 "must be an object");
			json_array_foreach (sub.problem_errors, k, e) {
				http_field_error(
					res,
					arena_printf(
						res->arena, "%s[%zu].%s", name,
						i,
						json_string_value(
							json_object_get(
								e, "field"))),
					"%s",
					json_string_value(
						json_object_get(e, "message")));
			}
		}
		response_release(&sub);
	}
	return ok;
}

static const char *
name_of(const json_t *list, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(list, i), "name"));
}

/* Each name once per list. */
static void
check_names(struct response *res, const char *name, const json_t *list)
{
	size_t i, j, n = json_array_size(list);

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(name_of(list, i), name_of(list, j)) == 0) {
				http_field_error(
					res,
					arena_printf(res->arena, "%s[%zu].name",
						     name, i),
					"repeats the name of %s[%zu]", name, j);
				break;
			}
}

static void
check_scale(struct response *res, const char *name, const json_t *list)
{
	const json_t *item, *value;
	size_t i;

	check_names(res, name, list);
	json_array_foreach (list, i, item) {
		value = json_object_get(item, "value");
		if (value != NULL && json_integer_value(value) != (long)i + 1)
			http_field_error(res,
					 arena_printf(res->arena,
						      "%s[%zu].value", name, i),
					 "must be %zu, its position in the "
					 "list (or be left out)",
					 i + 1);
	}
}

static bool
colour_valid(const char *s)
{
	size_t i;

	if (s[0] != '#')
		return false;
	for (i = 1; i < 7; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void
check_levels(struct response *res, const json_t *list)
{
	const json_t *item;
	size_t i, j;

	check_names(res, "risk_levels", list);
	json_array_foreach (list, i, item) {
		if (!colour_valid(
			    json_string_value(json_object_get(item, "colour"))))
			http_field_error(res,
					 arena_printf(res->arena,
						      "risk_levels[%zu].colour",
						      i),
					 "must be a colour as #rrggbb");
		for (j = 0; j < i; j++)
			if (json_integer_value(json_object_get(item, "rank")) ==
			    json_integer_value(json_object_get(
				    json_array_get(list, j), "rank"))) {
				http_field_error(
					res,
					arena_printf(res->arena,
						     "risk_levels[%zu].rank",
						     i),
					"repeats the rank of "
					"risk_levels[%zu]",
					j);
				break;
			}
	}
}

static bool
is_level(const json_t *levels, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < json_array_size(levels); i++)
		if (strcmp(name_of(levels, i), s) == 0)
			return true;
	return false;
}

/* grid[l][i] for every likelihood l and impact i, each a level's name. */
static void
check_grid(struct response *res, const json_t *body)
{
	const json_t *grid = json_object_get(body, "grid");
	const json_t *levels = json_object_get(body, "risk_levels");
	size_t nl = json_array_size(json_object_get(body, "likelihood_levels"));
	size_t ni = json_array_size(json_object_get(body, "impact_levels"));
	const json_t *row, *cell;
	size_t l, i;

	if (!json_is_array(grid) || json_array_size(grid) != nl) {
		http_field_error(res, "grid",
				 "must be an array of %zu rows, one per "
				 "likelihood level",
				 nl);
		return;
	}
	json_array_foreach (grid, l, row) {
		if (!json_is_array(row) || json_array_size(row) != ni) {
			http_field_error(
				res, arena_printf(res->arena, "grid[%zu]", l),
				"must be an array of %zu level names, "
				"one per impact level",
				ni);
			continue;
		}
		json_array_foreach (row, i, cell) {
			if (!is_level(levels, json_string_value(cell)))
				http_field_error(res,
						 arena_printf(res->arena,
							      "grid[%zu][%zu]",
							      l, i),
						 "must be the name of one of "
						 "risk_levels");
		}
	}
}

static int
check_body(struct response *res, const json_t *body)
{
	const json_t *likelihood = json_object_get(body, "likelihood_levels");
	const json_t *impact = json_object_get(body, "impact_levels");
	const json_t *levels = json_object_get(body, "risk_levels");
	bool ok;

	ok = check_objects(res, "likelihood_levels", likelihood, SCALE_MIN,
			   SCALE_MAX, scale_fields, NFIELDS(scale_fields));
	ok = check_objects(res, "impact_levels", impact, SCALE_MIN, SCALE_MAX,
			   scale_fields, NFIELDS(scale_fields)) &&
	     ok;
	ok = check_objects(res, "risk_levels", levels, LEVELS_MIN, LEVELS_MAX,
			   level_fields, NFIELDS(level_fields)) &&
	     ok;
	/* Cross-checks only on well-formed lists: they would repeat noise. */
	if (ok) {
		check_scale(res, "likelihood_levels", likelihood);
		check_scale(res, "impact_levels", impact);
		check_levels(res, levels);
		check_grid(res, body);
		if (!is_level(levels, json_string_value(json_object_get(
					      body, "acceptance_threshold"))))
			http_field_error(res, "acceptance_threshold",
					 "must be the name of one of "
					 "risk_levels");
	}
	if (res->problem_errors != NULL)
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	return 0;
}

int
risk_matrix_put(struct request *r, struct response *res)
{
	const char *params[2];
	PGresult *row;
	int status;

	status = validate_object(res, r->json, matrix_fields,
				 NFIELDS(matrix_fields), VALIDATE_CREATE);
	if (status != 0 || (status = check_body(res, r->json)) != 0)
		return status;
	params[0] = r->body;
	params[1] = arena_printf(r->arena, "%ld", page_if_match(r));
	row = db_exec(r->db, &q_put, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	status = risks_outcome(res, row, "risk matrix");
	if (status == 422)
		res->problem_detail =
			"The new matrix leaves out likelihood or impact "
			"values that risks use; reassess those risks first.";
	if (status != 200)
		return status;
	json_object_set_new(
		res->body, "risks_reevaluated",
		json_integer(strtol(PQgetvalue(row, 0, 4), NULL, 10)));
	return 200;
}
