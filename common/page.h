/*
 * Keyset paging shared by every list: `limit` (default 50, 1-200) and an
 * opaque `cursor` holding the (created_at, id) of the last row served.
 * A page costs the same at the first row and the millionth.
 */
#ifndef ISMS_PAGE_H
#define ISMS_PAGE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

struct page {
	long limit;
	const char *fetch;    /* limit + 1, as a statement parameter */
	const char *after_at; /* NULL on the first page */
	const char *after_id;
};

/* Reads limit and cursor from the query; 0 or 400 with a problem. */
int page_parse(struct request *r, struct response *res, struct page *p);

/*
 * Fills res->body with {"items": [...], "next_cursor": ...} from rows
 * fetched with p->fetch as LIMIT, the sort key in columns at_col and
 * id_col (which must be among the rows' fields).
 */
int page_respond(struct request *r, struct response *res, const struct page *p,
		 const PGresult *rows, const char *at_col, const char *id_col);

/*
 * Lists with a choice of sort: ?sort=<name> ascending or ?sort=-<name>
 * descending, keyset-paged on (sort key, id). The cursor carries the sort
 * it was issued for (another sort refuses it: 400) and the last row's key
 * and id; a list keeps one statement per sort and direction, each backed
 * by an index on (tenant_id, key, id), so a deep page costs what the
 * first one does.
 */
enum page_key {
	PAGE_KEY_TEXT,
	PAGE_KEY_TIMESTAMP,
};

struct page_sort {
	const char *name; /* in ?sort=, and the row field holding the key */
	enum page_key key;
};

struct page_sorted {
	long limit;
	const char *fetch; /* limit + 1, as a statement parameter */
	size_t sort;       /* index into the list's sorts */
	bool desc;
	const char *after_key; /* NULL on the first page */
	const char *after_id;
};

/*
 * Reads limit, sort (default: the first sort, ascending) and cursor from
 * the query; 0 or 400 with a problem.
 */
int page_sorted_parse(struct request *r, struct response *res,
		      const struct page_sort *sorts, size_t nsorts,
		      struct page_sorted *p);

/*
 * Fills res->body with {"items": [...], "next_cursor": ...} from rows
 * fetched with p->fetch as LIMIT; the key is in the field named by the
 * sort, the id in id_col.
 */
int page_sorted_respond(struct request *r, struct response *res,
			const struct page_sort *sorts,
			const struct page_sorted *p, const PGresult *rows,
			const char *id_col);

struct db_stmt;

/*
 * A whole (created_at, id) list: reads limit and cursor, runs stmt with
 * $1 = limit + 1, $2/$3 = the cursor's created_at and id (NULL on the
 * first page), and answers the page.
 */
int page_list(struct request *r, struct response *res,
	      const struct db_stmt *stmt);

/*
 * The path's first parameter must be a UUID: 0, or 404 ("No such
 * <what>.") since a malformed id names nothing, like another tenant's.
 */
int page_path_id(struct request *r, struct response *res, const char *what);

/*
 * Reads the record the path's first parameter names with stmt ($1 = that
 * id; one row or none). Returns the row, or NULL with the status to
 * answer in *status: 404 ("No such <what>.") when the id is not a UUID,
 * absent, or another tenant's; the database error's otherwise.
 */
const PGresult *page_get(struct request *r, struct response *res,
			 const struct db_stmt *stmt, const char *what,
			 int *status);

/*
 * After a conditional write (If-Match) matched no row: 412 when exists
 * ($1 = the path id) still finds the record, else 404.
 */
int page_missing_or_stale(struct request *r, struct response *res,
			  const struct db_stmt *exists, const char *what);

/*
 * The answer to a write done by one SQL function that returns a row with
 * `outcome` ("ok", "created", "not_found", "stale", "conflict",
 * "forbidden" or "invalid"), `item` (the record as JSON), `version` and
 * `problems` (a JSON array of {field, message}): 200/201 with the item and
 * its ETag, 404, 412, 409 or 403 with the first problem's message, or 422
 * with every problem. Any other outcome is a 500.
 */
int page_outcome(struct response *res, const PGresult *row, const char *what);

/*
 * If-Match: 0 when absent or "*"; otherwise the version it names in *out
 * (-1 for a tag that can never match, which the caller turns into 412).
 */
long page_if_match(const struct request *r);

/* Sets ETag from a version and returns status (for `return`). */
int page_etag(struct response *res, const char *version, int status);

#endif
