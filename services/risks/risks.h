/*
 * Handlers of the risks service, one file per resource: the tenant's risk
 * matrix, the threat and vulnerability catalogs (one implementation for
 * both), risks, their treatment plans and acceptances, and the heat map.
 * The rules live in SQL (0006_risks.sql); the write functions there answer
 * with an outcome that risks_outcome() turns into a status.
 */
#ifndef ISMS_RISKS_H
#define ISMS_RISKS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "http.h"
#include "page.h"
#include "validate.h"

#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))

extern const char *const risks_list_query[];
extern const char *const risks_page_query[];
extern const char *const risk_catalog_query[];
extern const char *const risk_heatmap_query[];

/* True when s is one of the NULL-terminated values. */
bool risks_in_list(const char *const *values, const char *s);

/* Path parameter i when it is a UUID; otherwise 404 naming what. */
int risks_path_id(struct request *r, struct response *res, size_t i,
		  const char *what);

/*
 * The page envelope from rows carrying the keyset (created_at, id) and
 * the representation in column "item".
 */
int risks_page_respond(struct request *r, struct response *res,
		       const struct page *p, const PGresult *rows);

/*
 * Maps the outcome of a write function (columns outcome, problems,
 * version, and the representation in column "item") to a status:
 * ok 200, created 201 (fills the body and ETag), not_found 404 (the
 * record), no_risk 404 (the risk it belongs to), stale 412, conflict
 * 409, forbidden 403, invalid 422 (field errors from problems). what
 * names the record in the details.
 */
int risks_outcome(struct response *res, const PGresult *row, const char *what);

int risk_matrix_get(struct request *r, struct response *res);
int risk_matrix_put(struct request *r, struct response *res);

int threats_list(struct request *r, struct response *res);
int threats_create(struct request *r, struct response *res);
int threats_get(struct request *r, struct response *res);
int threats_update(struct request *r, struct response *res);
int threats_delete(struct request *r, struct response *res);
int vulnerabilities_list(struct request *r, struct response *res);
int vulnerabilities_create(struct request *r, struct response *res);
int vulnerabilities_get(struct request *r, struct response *res);
int vulnerabilities_update(struct request *r, struct response *res);
int vulnerabilities_delete(struct request *r, struct response *res);

int risks_list(struct request *r, struct response *res);
int risks_create(struct request *r, struct response *res);
int risks_get(struct request *r, struct response *res);
int risks_update(struct request *r, struct response *res);
int risks_delete(struct request *r, struct response *res);

int risk_treatments_list(struct request *r, struct response *res);
int risk_treatments_create(struct request *r, struct response *res);
int risk_treatments_get(struct request *r, struct response *res);
int risk_treatments_update(struct request *r, struct response *res);
int risk_treatments_delete(struct request *r, struct response *res);

int risk_acceptance_list(struct request *r, struct response *res);
int risk_acceptance_request(struct request *r, struct response *res);
int risk_acceptance_decide(struct request *r, struct response *res);

int risk_heatmap_get(struct request *r, struct response *res);

#endif
