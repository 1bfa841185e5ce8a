/*
 * Handlers of the audits service, one file per resource: audits and the
 * certification programme, checklists, findings, corrective actions,
 * baselines, reports, and the read side of the activity log. The rules
 * live in SQL (0008_audits.sql); the write functions there answer with an
 * outcome that page_outcome() turns into a status, and the triggers
 * raise IS4xx for the rules no writer may break.
 */
#ifndef ISMS_AUDITS_H
#define ISMS_AUDITS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "http.h"
#include "page.h"
#include "validate.h"

#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))

extern const char *const audits_list_query[];
extern const char *const audits_page_query[];
extern const char *const checklist_list_query[];
extern const char *const findings_list_query[];
extern const char *const report_query[];
extern const char *const activity_list_query[];

/* Path parameter i when it is a UUID; otherwise 404 naming what. */
int audits_path_id(struct request *r, struct response *res, size_t i,
		   const char *what);

/* An enum query value (absent: NULL), or 400. */
int audits_query_enum(struct request *r, struct response *res, const char *name,
		      const char *const *values, const char **out);
/* A UUID query value (absent: NULL), or 400. */
int audits_query_uuid(struct request *r, struct response *res, const char *name,
		      const char **out);

/* The If-Match version as a statement parameter ("0": none, "-1": bad). */
const char *audits_if_match(struct request *r);

/*
 * The page envelope from rows carrying the keyset (created_at, id) and
 * the representation in column "item".
 */
int audits_page_respond(struct request *r, struct response *res,
			const struct page *p, const PGresult *rows);

/*
 * Maps the outcome of a write function (columns outcome, problems,
 * version, then the representation in column "item") to a status: ok
 * 200, created 201 (fills the body and ETag), not_found 404, stale 412,
 * invalid 422 (field errors from problems). what names the record.
 */

/* The body of a one-row read (version, item) with its ETag; 404 if none. */
int audits_item_response(struct response *res, const PGresult *row,
			 const char *what);

int audits_list(struct request *r, struct response *res);
int audits_create(struct request *r, struct response *res);
int audits_get(struct request *r, struct response *res);
int audits_update(struct request *r, struct response *res);
int audits_delete(struct request *r, struct response *res);

int programme_propose(struct request *r, struct response *res);

int checklist_list(struct request *r, struct response *res);
int checklist_get(struct request *r, struct response *res);
int checklist_update(struct request *r, struct response *res);

int findings_list(struct request *r, struct response *res);
int findings_create(struct request *r, struct response *res);
int findings_get(struct request *r, struct response *res);
int findings_update(struct request *r, struct response *res);

int corrective_actions_list(struct request *r, struct response *res);
int corrective_actions_create(struct request *r, struct response *res);
int corrective_actions_get(struct request *r, struct response *res);
int corrective_actions_update(struct request *r, struct response *res);

int baseline_get(struct request *r, struct response *res);
int baseline_create(struct request *r, struct response *res);

int report_get(struct request *r, struct response *res);

int activity_list(struct request *r, struct response *res);
int activity_verify(struct request *r, struct response *res);

#endif
