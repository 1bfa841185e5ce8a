/*
 * Handlers of the assets service, one file per resource: assets (the
 * inventory), dependencies between assets, the bulk import and export,
 * and the tenant's asset settings.
 */
#ifndef ISMS_ASSETS_H
#define ISMS_ASSETS_H

#include <stdbool.h>

#include "http.h"
#include "validate.h"

/* Largest import: rows per request. */
#define ASSETS_IMPORT_MAX_ROWS 10000

/*
 * SQL: the columns a client writes; the same from a row or record aliased
 * r (the asset as it would be stored) and from a row aliased a (as it
 * is).
 */
#define ASSET_WRITABLE                                                         \
	"name, description, type, owner_id, custodian_id, location,"           \
	" classification, confidentiality, integrity, availability, status,"   \
	" in_use_since, retired_on, disposed_on, tags, external_id,"           \
	" review_date"
#define ASSET_WRITABLE_R                                                       \
	"r.name, r.description, r.type, r.owner_id, r.custodian_id,"           \
	" r.location, r.classification, r.confidentiality, r.integrity,"       \
	" r.availability, r.status, r.in_use_since, r.retired_on,"             \
	" r.disposed_on, r.tags, r.external_id, r.review_date"
#define ASSET_WRITABLE_A                                                       \
	"a.name, a.description, a.type, a.owner_id, a.custodian_id,"           \
	" a.location, a.classification, a.confidentiality, a.integrity,"       \
	" a.availability, a.status, a.in_use_since, a.retired_on,"             \
	" a.disposed_on, a.tags, a.external_id, a.review_date"

/* SQL: asset_problems() rows x as one JSON array, in column errors. */
#define ASSET_ERRORS                                                           \
	"SELECT coalesce(jsonb_agg(jsonb_build_object('field', x.field,"       \
	" 'message', x.message)), '[]') AS errors"

extern const char *const assets_list_query[];
extern const char *const assets_delete_query[];
extern const char *const dependencies_list_query[];
extern const char *const export_query[];

extern const char *const assets_types[];
extern const char *const assets_statuses[];

/*
 * The fields a client writes, as a create body takes them (a PATCH or an
 * import row may leave out the required ones). C, I and A are bounded
 * here only by their column type: the tenant's scale is checked in SQL.
 */
#define ASSETS_WRITABLE_FIELDS                                                 \
	{"name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL},                  \
		{"description", FIELD_TEXT, FIELD_NULLABLE, 0, 10000, NULL},   \
		{"type", FIELD_ENUM, FIELD_REQUIRED, 0, 0, assets_types},      \
		{"owner_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},          \
		{"custodian_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},      \
		{"location", FIELD_STRING, FIELD_NULLABLE, 1, 200, NULL},      \
		{"classification", FIELD_STRING, FIELD_NULLABLE, 1, 50, NULL}, \
		{"confidentiality",                                            \
		 FIELD_INT,                                                    \
		 FIELD_NULLABLE,                                               \
		 -32768,                                                       \
		 32767,                                                        \
		 NULL},                                                        \
		{"integrity", FIELD_INT, FIELD_NULLABLE, -32768, 32767, NULL}, \
		{"availability", FIELD_INT, FIELD_NULLABLE,                    \
		 -32768,         32767,     NULL},                             \
		{"status", FIELD_ENUM, 0, 0, 0, assets_statuses},              \
		{"in_use_since", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},      \
		{"retired_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},        \
		{"disposed_on", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL},       \
		{"tags", FIELD_STRINGS, 0, 0, 32, NULL},                       \
		{"external_id", FIELD_STRING, FIELD_NULLABLE, 1, 200, NULL},   \
	{                                                                      \
		"review_date", FIELD_DATE, FIELD_NULLABLE, 0, 0, NULL          \
	}

/*
 * Checks what a field list cannot: tags hold no ';' (the CSV separator of
 * tags). Records field errors; returns the number found.
 */
int assets_check_tags(struct response *res, const json_t *body);

/* Parses a "true"/"false" query value (absent: false); 0 or 400. */
int assets_query_bool(struct request *r, struct response *res, const char *name,
		      bool *out);

int assets_list(struct request *r, struct response *res);
int assets_create(struct request *r, struct response *res);
int assets_get(struct request *r, struct response *res);
int assets_update(struct request *r, struct response *res);
int assets_delete(struct request *r, struct response *res);

int dependencies_list(struct request *r, struct response *res);
int dependencies_create(struct request *r, struct response *res);
int dependencies_delete(struct request *r, struct response *res);

int assets_import(struct request *r, struct response *res);
int assets_export(struct request *r, struct response *res);

int asset_settings_get(struct request *r, struct response *res);
int asset_settings_put(struct request *r, struct response *res);

#endif
