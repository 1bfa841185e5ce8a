/*
 * /api/v1/threats and /api/v1/vulnerabilities: the catalogs a risk
 * scenario draws on (ISO/IEC 27005, asset-based risk identification). One
 * implementation serves both; a `struct catalog` names the kind and its
 * categories. The global catalog (seeded from the examples of ISO/IEC
 * 27005, tenant_id NULL in risk_catalog) is read by every tenant and
 * written by none: PATCH and DELETE of a global entry are 403. A tenant
 * adds, changes and removes its own entries; one that risks use cannot be
 * removed (409). Lists are sorted by name.
 */
#include "risks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errors.h"
#include "idempotency.h"

struct catalog {
	const char *kind; /* risk_catalog.kind */
	const char *noun; /* in problem details */
	const char *path; /* of the collection, for Location */
	const char *const *categories;
};

static const char *const threat_categories[] = {
	"physical_damage",
	"natural_events",
	"loss_of_essential_services",
	"disturbance_due_to_radiation",
	"compromise_of_information",
	"technical_failures",
	"unauthorized_actions",
	"compromise_of_functions",
	NULL,
};

static const char *const vulnerability_categories[] = {
	"hardware", "software",     "network", "personnel",
	"site",     "organization", NULL,
};

/* The category is checked against the catalog's own list. */
static const struct field entry_fields[] = {
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},
	{"category", FIELD_STRING, FIELD_REQUIRED, 1, 50, NULL},
	{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 2000, NULL},
	{"id", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"scope", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"version", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_at", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"created_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
	{"updated_by", FIELD_ANY, FIELD_READONLY, 0, 0, NULL},
};

static const struct catalog threats = {
	"threat",
	"threat",
	"/api/v1/threats",
	threat_categories,
};

static const struct catalog vulnerabilities = {
	"vulnerability",
	"vulnerability",
	"/api/v1/vulnerabilities",
	vulnerability_categories,
};

/* An entry as the API shows it; scope: global or tenant. */
#define CATALOG_COLUMNS                                                        \
	"c.id, c.name, c.category, c.description,"                             \
	" CASE WHEN c.tenant_id IS NULL THEN 'global' ELSE 'tenant' END"       \
	" AS scope, c.version, c.created_at, c.updated_at, c.created_by,"      \
	" c.updated_by"

/*
 * $1 limit, $2 kind, $3 category, $4 scope, $5/$6 the cursor (name, id).
 * One statement per direction, each walking risk_catalog_name_idx.
 */
#define CATALOG_LIST(op, dir)                                                  \
	{                                                                      \
		"SELECT " CATALOG_COLUMNS " FROM risk_catalog c"               \
		" WHERE c.kind = $2"                                           \
		" AND (c.tenant_id IS NULL OR c.tenant_id = app_tenant_id())"  \
		" AND ($3::text IS NULL OR c.category = $3)"                   \
		" AND ($4::text IS NULL"                                       \
		"  OR (c.tenant_id IS NULL) = ($4::text = 'global'))"          \
		" AND ($5::text IS NULL OR (c.name, c.id) " op                 \
		" ($5::text, $6::uuid))"                                       \
		" ORDER BY c.name " dir ", c.id " dir " LIMIT $1"              \
	}

static const struct page_sort list_sorts[] = {
	{"name", PAGE_KEY_TEXT},
};

static const struct db_stmt q_list[2] = {
	CATALOG_LIST(">", "ASC"),
	CATALOG_LIST("<", "DESC"),
};

const char *const risk_catalog_query[] = {
	"limit", "cursor", "sort", "category", "scope", NULL,
};

static const struct db_stmt q_get = {
	"SELECT " CATALOG_COLUMNS
	" FROM risk_catalog c WHERE c.id = $1::uuid AND c.kind = $2"};

static const struct db_stmt q_insert = {
	"INSERT INTO risk_catalog AS c (tenant_id, kind, name, category,"
	" description) VALUES (app_tenant_id(), $1, $2, $3, $4)"
	" RETURNING " CATALOG_COLUMNS};

/*
 * JSON merge into the tenant's own entry, locked first; `seen` tells a
 * global entry (403) from a missing one (404). $4 is If-Match's version.
 */
static const struct db_stmt q_update = {
	"WITH seen AS (SELECT c.tenant_id IS NULL AS global FROM risk_catalog c"
	"  WHERE c.id = $1::uuid AND c.kind = $2),"
	" cur AS (SELECT c AS old FROM risk_catalog c WHERE c.id = $1::uuid"
	"  AND c.kind = $2 AND c.tenant_id = app_tenant_id() FOR UPDATE),"
	" n AS (SELECT jsonb_populate_record(cur.old, $3::jsonb) AS r"
	"  FROM cur),"
	" upd AS (UPDATE risk_catalog c SET (name, category, description) ="
	"  ((n.r).name, (n.r).category, (n.r).description) FROM n"
	"  WHERE c.id = $1::uuid AND c.tenant_id = app_tenant_id()"
	"  AND ($4::int = 0 OR c.version = $4::int) RETURNING c.*)"
	" SELECT seen.global, (cur.old).version AS current_version,"
	" " CATALOG_COLUMNS " FROM seen LEFT JOIN cur ON true"
	" LEFT JOIN upd c ON true"};

static const struct db_stmt q_delete = {
	"WITH seen AS (SELECT c.tenant_id IS NULL AS global, c.version"
	"  FROM risk_catalog c WHERE c.id = $1::uuid AND c.kind = $2),"
	" used AS (SELECT (SELECT count(*) FROM risk_threats t"
	"   WHERE t.tenant_id = app_tenant_id() AND t.threat_id = $1::uuid)"
	"  + (SELECT count(*) FROM risk_vulnerabilities v"
	"   WHERE v.tenant_id = app_tenant_id()"
	"   AND v.vulnerability_id = $1::uuid) AS n),"
	" del AS (DELETE FROM risk_catalog c USING seen, used"
	"  WHERE c.id = $1::uuid AND c.kind = $2"
	"  AND c.tenant_id = app_tenant_id() AND used.n = 0"
	"  AND ($3::int = 0 OR c.version = $3::int) RETURNING c.id)"
	" SELECT seen.global, seen.version, used.n AS used,"
	" (SELECT count(*) FROM del) AS deleted FROM seen, used"};

/* The body against the field list, and its category against the kind's. */
static int
validate_entry(struct response *res, const json_t *body,
	       const struct catalog *c, enum validate_mode mode)
{
	const char *category =
		json_string_value(json_object_get(body, "category"));
	const char *const *v;
	char list[512];
	size_t used = 0;

	if (json_is_object(body) && category != NULL &&
	    !risks_in_list(c->categories, category)) {
		list[0] = '\0';
		for (v = c->categories; *v != NULL; v++)
			used += (size_t)snprintf(list + used,
						 sizeof(list) - used, "%s%s",
						 used ? ", " : "", *v);
		http_field_error(res, "category", "must be one of: %s", list);
	}
	return validate_object(res, body, entry_fields, NFIELDS(entry_fields),
			       mode);
}

static int
catalog_list(struct request *r, struct response *res, const struct catalog *c)
{
	const char *params[6];
	struct page_sorted p;
	PGresult *rows;
	int status;

	status = page_sorted_parse(r, res, list_sorts, NFIELDS(list_sorts), &p);
	if (status != 0)
		return status;
	params[0] = p.fetch;
	params[1] = c->kind;
	params[2] = http_query(r, "category");
	if (params[2] != NULL && !risks_in_list(c->categories, params[2]))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'category' is not a %s "
				    "category.",
				    c->noun);
	params[3] = http_query(r, "scope");
	if (params[3] != NULL && strcmp(params[3], "global") != 0 &&
	    strcmp(params[3], "tenant") != 0)
		return http_problem(res, 400, "invalid-query",
				    "Query parameter 'scope' must be global "
				    "or tenant.");
	params[4] = p.after_key;
	params[5] = p.after_id;
	rows = db_exec(r->db, &q_list[p.desc], 6, params, DB_COMMIT);
	if (rows == NULL)
		return errors_from_db(res, r->db);
	return page_sorted_respond(r, res, list_sorts, &p, rows, "id");
}

static int
entry_response(struct response *res, const PGresult *row, int status)
{
	res->body = db_row_json(row, 0);
	json_object_del(res->body, "global");
	json_object_del(res->body, "current_version");
	return page_etag(res, PQgetvalue(row, 0, PQfnumber(row, "version")),
			 status);
}

static int
catalog_create(struct request *r, struct response *res, const struct catalog *c)
{
	struct idempotency idem;
	const char *params[4];
	PGresult *row;
	int status;

	status = validate_entry(res, r->json, c, VALIDATE_CREATE);
	if (status != 0 || (status = idempotency_begin(r, res, &idem)) != 0)
		return status;
	params[0] = c->kind;
	params[1] = json_string_value(json_object_get(r->json, "name"));
	params[2] = json_string_value(json_object_get(r->json, "category"));
	params[3] = json_string_value(json_object_get(r->json, "description"));
	row = db_exec(r->db, &q_insert, 4, params, idempotency_flags(&idem));
	if (row == NULL)
		return errors_from_db(res, r->db);
	http_header(res, "Location", "%s/%s", c->path, PQgetvalue(row, 0, 0));
	status = entry_response(res, row, 201);
	return idempotency_end(r, res, &idem, status);
}

static int
catalog_get(struct request *r, struct response *res, const struct catalog *c)
{
	const char *params[2] = {r->params[0], c->kind};
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, c->noun)) != 0)
		return status;
	row = db_exec(r->db, &q_get, 2, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such %s.",
				    c->noun);
	return entry_response(res, row, 200);
}

/* The verdict on a write that found the row in `row` (or none). */
static int
refused(struct response *res, const PGresult *row, const struct catalog *c,
	long wanted, const char *version)
{
	if (PQntuples(row) == 0)
		return http_problem(res, 404, "not-found", "No such %s.",
				    c->noun);
	if (PQgetvalue(row, 0, 0)[0] == 't')
		return http_problem(res, 403, "forbidden",
				    "The global catalog is read-only; add a "
				    "%s of your own instead.",
				    c->noun);
	if (wanted != 0 && strtol(version, NULL, 10) != wanted)
		return http_problem(res, 412, "precondition-failed",
				    "The %s changed since it was read "
				    "(If-Match).",
				    c->noun);
	return 0;
}

static int
catalog_update(struct request *r, struct response *res, const struct catalog *c)
{
	long version = page_if_match(r);
	const char *params[4];
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, c->noun)) != 0)
		return status;
	status = validate_entry(res, r->json, c, VALIDATE_PATCH);
	if (status != 0)
		return status;
	params[0] = r->params[0];
	params[1] = c->kind;
	params[2] = r->body;
	params[3] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_update, 4, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = refused(res, row, c, version, PQgetvalue(row, 0, 1))) !=
	    0)
		return status;
	return entry_response(res, row, 200);
}

static int
catalog_delete(struct request *r, struct response *res, const struct catalog *c)
{
	long version = page_if_match(r);
	const char *params[3];
	PGresult *row;
	int status;

	if ((status = risks_path_id(r, res, 0, c->noun)) != 0)
		return status;
	params[0] = r->params[0];
	params[1] = c->kind;
	params[2] = arena_printf(r->arena, "%ld", version);
	row = db_exec(r->db, &q_delete, 3, params, DB_COMMIT);
	if (row == NULL)
		return errors_from_db(res, r->db);
	if ((status = refused(res, row, c, version, PQgetvalue(row, 0, 1))) !=
	    0)
		return status;
	if (strcmp(PQgetvalue(row, 0, 2), "0") != 0)
		return http_problem(res, 409, "conflict",
				    "The %s is used by %s risk(s); unlink it "
				    "from them first.",
				    c->noun, PQgetvalue(row, 0, 2));
	return 204;
}

/* The routes: the same handlers, once per catalog. */

int
threats_list(struct request *r, struct response *res)
{
	return catalog_list(r, res, &threats);
}

int
threats_create(struct request *r, struct response *res)
{
	return catalog_create(r, res, &threats);
}

int
threats_get(struct request *r, struct response *res)
{
	return catalog_get(r, res, &threats);
}

int
threats_update(struct request *r, struct response *res)
{
	return catalog_update(r, res, &threats);
}

int
threats_delete(struct request *r, struct response *res)
{
	return catalog_delete(r, res, &threats);
}

int
vulnerabilities_list(struct request *r, struct response *res)
{
	return catalog_list(r, res, &vulnerabilities);
}

int
vulnerabilities_create(struct request *r, struct response *res)
{
	return catalog_create(r, res, &vulnerabilities);
}

int
vulnerabilities_get(struct request *r, struct response *res)
{
	return catalog_get(r, res, &vulnerabilities);
}

int
vulnerabilities_update(struct request *r, struct response *res)
{
	return catalog_update(r, res, &vulnerabilities);
}

int
vulnerabilities_delete(struct request *r, struct response *res)
{
	return catalog_delete(r, res, &vulnerabilities);
}
