/*
 * Handlers of the controls service, one file per resource: frameworks
 * (the catalogs and their requirements), oscal (OSCAL catalog import and
 * export), controls (the tenant's implemented controls), evidence, and
 * the Statement of Applicability (soa). controls.c also holds the query
 * and paging helpers the others share.
 */
#ifndef ISMS_CONTROLS_H
#define ISMS_CONTROLS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "idempotency.h"

/* The framework every SoA request means when it names none. */
#define CONTROLS_DEFAULT_FRAMEWORK "iso27001-2022"

/* Largest framework: requirements (all kinds) and nesting depth. */
#define FRAMEWORK_MAX_REQUIREMENTS 10000
#define FRAMEWORK_MAX_DEPTH 8

/* Evidence uploads: ISMS_EVIDENCE_MAX_BYTES, default 10 MiB. */
#define EVIDENCE_MAX_BYTES_DEFAULT (10u * 1024 * 1024)

extern const char *const frameworks_list_query[];
extern const char *const requirements_list_query[];
extern const char *const mappings_list_query[];
extern const char *const oscal_import_query[];
extern const char *const oscal_export_query[];
extern const char *const controls_list_query[];
extern const char *const evidence_list_query[];
extern const char *const evidence_create_query[];
extern const char *const soa_get_query[];
extern const char *const soa_export_query[];
extern const char *const soa_versions_list_query[];
extern const char *const soa_diff_query[];

/* ---- shared helpers (controls.c) ---- */

/* A "true"/"false" query value; absent leaves *set false. 0 or 400. */
int controls_query_bool(struct request *r, struct response *res,
			const char *name, bool *set, bool *out);
/* A query value of 1 to max characters, or absent (NULL). 0 or 400. */
int controls_query_text(struct request *r, struct response *res,
			const char *name, long max, const char **out);
/* A query value from a fixed list, or absent. 0 or 400. */
int controls_query_enum(struct request *r, struct response *res,
			const char *name, const char *const *values,
			const char **out);
/* A UUID query value, or absent. 0 or 400. */
int controls_query_uuid(struct request *r, struct response *res,
			const char *name, const char **out);
/* "%q%" with LIKE's special characters escaped. */
const char *controls_like(struct arena *a, const char *q);
/*
 * The failure of a delete: 409 with detail when other records still refer
 * to the row (a foreign key of another resource, such as an audit's
 * evidence), else the database error's status.
 */
struct db;
int controls_delete_failed(struct response *res, const struct db *db,
			   const char *detail);

/* True for a framework slug as the database accepts it. */
bool controls_slug_valid(const char *s);

/*
 * Field errors from a statement's "problems" column (a JSON array of
 * {field, message}); returns 422 with detail when there is one, else 0.
 */
int controls_problems(struct response *res, const PGresult *row,
		      const char *detail);

/*
 * Keyset paging on an integer key (a sort order, a version number) and a
 * UUID: `limit` and `cursor` as page.h has them.
 */
struct int_page {
	long limit;
	const char *fetch;     /* limit + 1, as a statement parameter */
	const char *after_key; /* NULL on the first page */
	const char *after_id;
};

int int_page_parse(struct request *r, struct response *res, struct int_page *p);
int int_page_respond(struct request *r, struct response *res,
		     const struct int_page *p, const PGresult *rows,
		     const char *key_col, const char *id_col);

/* The largest evidence file, in bytes (main.c reads the setting). */
size_t evidence_max_bytes(void);
void evidence_set_max_bytes(size_t n);

/* ---- frameworks.c ---- */

/*
 * Creates a tenant framework from its requirements as one flat JSON array
 * of rows {ref, parent_ref, kind, title, statement, theme, params, oscal,
 * sort_order} (parents before children), in one statement; fills res
 * with the framework (201). Shared by the JSON create and the OSCAL
 * import.
 */
int frameworks_insert(struct request *r, struct response *res,
		      const struct idempotency *idem, const char *slug,
		      const char *name, const char *edition,
		      const char *description, const char *source,
		      const json_t *oscal, const json_t *rows);

int frameworks_list(struct request *r, struct response *res);
int frameworks_create(struct request *r, struct response *res);
int frameworks_get(struct request *r, struct response *res);
int frameworks_delete(struct request *r, struct response *res);
int requirements_list(struct request *r, struct response *res);
int mappings_list(struct request *r, struct response *res);

/* ---- oscal.c ---- */

int oscal_import(struct request *r, struct response *res);
int oscal_export(struct request *r, struct response *res);

/* ---- controls.c ---- */

int controls_list(struct request *r, struct response *res);
int controls_create(struct request *r, struct response *res);
int controls_get(struct request *r, struct response *res);
int controls_update(struct request *r, struct response *res);
int controls_delete(struct request *r, struct response *res);

/* ---- evidence.c ---- */

int evidence_list(struct request *r, struct response *res);
int evidence_create(struct request *r, struct response *res);
int evidence_get(struct request *r, struct response *res);
int evidence_update(struct request *r, struct response *res);
int evidence_delete(struct request *r, struct response *res);
int evidence_content(struct request *r, struct response *res);

/* ---- soa.c ---- */

int soa_get(struct request *r, struct response *res);
int soa_entry_get(struct request *r, struct response *res);
int soa_entry_put(struct request *r, struct response *res);
int soa_export(struct request *r, struct response *res);
int soa_versions_list(struct request *r, struct response *res);
int soa_versions_create(struct request *r, struct response *res);
int soa_versions_get(struct request *r, struct response *res);
int soa_versions_diff(struct request *r, struct response *res);

#endif
