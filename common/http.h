/*
 * The request a handler reads and the response it fills. Handlers return
 * the HTTP status; they never write status lines, headers or error pages:
 * http_write() sends every envelope, and problem documents are built from
 * what http_problem() recorded.
 */
#ifndef ISMS_HTTP_H
#define ISMS_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "auth.h"

struct db;
struct route;
struct service;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_POST = 1 << 1,
	HTTP_PUT = 1 << 2,
	HTTP_PATCH = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_HEAD = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
};

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_QUERY 32
#define HTTP_MAX_HEADERS 8

struct query_param {
	const char *key;
	const char *value;
};

struct request {
	struct arena *arena;
	unsigned method; /* one enum http_method bit; 0 when unknown */
	const char *method_name;
	const char *path;
	const char *query_string;
	struct query_param query[HTTP_MAX_QUERY];
	size_t nquery;
	const char *params[HTTP_MAX_PARAMS]; /* path parameters, in order */
	size_t nparams;

	const char *content_type;
	const char *authorization;
	const char *if_match;
	const char *idempotency_key;
	const char *accept;
	const char *request_id;
	const char *remote_addr;

	const char *body;
	size_t body_len;
	json_t *json; /* the parsed body, owned by the request */

	struct principal principal;
	const struct route *route;
	const struct service *service;
	struct db *db;
};

struct http_header {
	const char *name;
	const char *value;
};

struct response {
	struct arena *arena;
	int status;
	json_t *body; /* owned; sent as application/json */
	const char *content_type; /* for raw bodies */
	const char *raw;
	size_t raw_len;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;

	/* A problem document, when status >= 400. */
	const char *problem_slug;
	const char *problem_detail;
	json_t *problem_errors; /* owned; array of {field, message} */
	const char *log_reason; /* logged, never sent */
	bool commit_on_error;   /* keep the transaction's writes anyway */
};

void request_init(struct request *r, struct arena *a);
void request_release(struct request *r);
void response_init(struct response *res, struct arena *a);
void response_release(struct response *res);

const char *http_reason(int status);
const char *http_method_name(unsigned method);
unsigned http_method_parse(const char *name);

/*
 * Splits and percent-decodes a query string. Keys not in allowed (a NULL
 * terminated list; NULL allows none) and repeated keys are rejected:
 * returns 0 or 400 with the problem recorded in res.
 */
int http_parse_query(struct request *r, struct response *res,
		     const char *const *allowed);
const char *http_query(const struct request *r, const char *key);

/*
 * Parses the body as JSON: 415 unless the content type is JSON, 400 on
 * malformed JSON, invalid UTF-8 or duplicate keys.
 */
int http_parse_json(struct request *r, struct response *res);

/* True when the media type (parameters ignored) equals type. */
bool http_media_type_is(const char *header, const char *type);

/* Records a problem and returns status, for `return http_problem(...)`. */
int http_problem(struct response *res, int status, const char *slug,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Adds one {field, message} to the problem's errors list. */
void http_field_error(struct response *res, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A 500 whose reason is logged and whose body says nothing. */
int http_internal(struct response *res, const char *reason);

void http_header(struct response *res, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Serializes the status line, headers and body into a malloc'ed buffer. */
char *http_serialize(const struct request *r, struct response *res,
		     size_t *len);

#endif
