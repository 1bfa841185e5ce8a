/*
 * Routes are data: each service has one const table of
 * {methods, pattern, handler, roles, query keys, flags}. Patterns are
 * literal segments and {name} placeholders matching one segment.
 */
#ifndef ISMS_ROUTER_H
#define ISMS_ROUTER_H

#include <stddef.h>

#include "http.h"

typedef int (*handler_fn)(struct request *, struct response *);

enum route_flags {
	ROUTE_PUBLIC = 1 << 0, /* no bearer token; no tenant transaction */
	ROUTE_JSON = 1 << 1,   /* the body must be a JSON document */
	ROUTE_NO_DB = 1 << 2,  /* the handler runs no transaction */
	ROUTE_BODY = 1 << 3,   /* the handler reads a non-JSON body itself */
	ROUTE_BULK = 1 << 4,   /* bulk input: bodies up to ROUTE_BULK_MAX_BODY */
	ROUTE_RW = 1 << 5,     /* read-write even for read-only roles (logout) */
};

/*
 * The body limit of ROUTE_BULK routes (imports), instead of ISMS_MAX_BODY
 * when that is smaller; nginx gives their locations the same limit.
 */
#define ROUTE_BULK_MAX_BODY (16u * 1024 * 1024)

struct route {
	unsigned method;
	const char *pattern;
	handler_fn handler;
	unsigned roles; /* enum role bits that may call it */
	const char *const *query; /* allowed query keys, NULL terminated */
	unsigned flags;
};

enum route_match {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND = 404,
	ROUTE_BAD_METHOD = 405,
};

/*
 * Finds the route for (method, path). On ROUTE_FOUND, *out is the route
 * and the path parameters are stored in r->params (pointing into arena
 * copies). On ROUTE_BAD_METHOD, *allow holds the methods the path has.
 */
enum route_match router_match(const struct route *routes, size_t n,
			      struct request *r, const struct route **out,
			      unsigned *allow);

/* Writes "GET, POST" for a method mask into buf. */
void router_allow_header(unsigned allow, char *buf, size_t len);

#endif
