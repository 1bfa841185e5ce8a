/*
 * What the fuzz targets share: reading the input, every route of every
 * service (their real tables, tests/hostile/services.h), requests built
 * for a route, and a database handle that is never connected, so that a
 * handler runs its parsing and validation and then meets the database
 * failing (503), as it would during an outage.
 */
#ifndef ISMS_FUZZ_H
#define ISMS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input, consumed front to back. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

/* The next byte, 0 when the input is used up. */
uint8_t fuzz_byte(struct fuzz_in *in);
/* The bytes up to the next NUL (consumed) or the end, as an arena string. */
char *fuzz_str(struct fuzz_in *in, struct arena *a);
/* What is left, NUL-terminated in the arena; *len excludes the NUL. */
char *fuzz_rest(struct fuzz_in *in, struct arena *a, size_t *len);

struct fuzz_route {
	const struct service *svc;
	const struct route *rt;
};

/* Every route of every service; built on first use. */
size_t fuzz_routes(const struct fuzz_route **out);

/*
 * The process-wide state a service has (server_set_state): settings and
 * a key set of one fresh key, kid "fuzz", with its private half.
 */
struct auth_keyset *fuzz_keyset(void);

/* A database handle that is never connected (db_exec returns NULL). */
struct db *fuzz_db(void);
/* The arena every request of a run uses, reset after each. */
struct arena *fuzz_arena(void);

/*
 * A request for the route by an authenticated admin: its method, a path
 * with each placeholder filled (a UUID, or odd text when odd_params),
 * path parameters as the router stores them, and the given query string
 * parsed against the route's keys. Returns 0 or the status the query
 * parse refused with.
 */
int fuzz_request_for(struct request *r, struct response *res,
		     const struct fuzz_route *fr, const char *query,
		     bool odd_params);

/*
 * Runs the handler as dispatch() does (without a transaction), writes
 * the response as http_serialize() does and checks the outcome: a status
 * from 200 to 599 and never 500, which only a bug produces here. Aborts
 * (a finding) otherwise. Releases the request and the response.
 */
void fuzz_dispatch(struct request *r, struct response *res);
/* Serializes, checks and releases without running anything. */
void fuzz_finish(struct request *r, struct response *res, int status);

/*
 * A request with a body for the route, as the server would hand it over:
 * the body read, then parsed when the route takes JSON (a refusal is the
 * answer), then the handler. flags: FUZZ_ODD_PARAMS, FUZZ_IDEMPOTENT
 * (an Idempotency-Key), FUZZ_EDITOR (the editor role, not admin).
 */
enum fuzz_flags {
	FUZZ_ODD_PARAMS = 1 << 0,
	FUZZ_IDEMPOTENT = 1 << 1,
	FUZZ_EDITOR = 1 << 2,
};
void fuzz_body_request(const struct fuzz_route *fr, unsigned flags,
		       const char *query, const char *content_type,
		       const char *body, size_t len);
/* The route with this method and pattern, or NULL. */
const struct fuzz_route *fuzz_route_find(unsigned method, const char *pattern);

/* Aborts with a message: the fuzzer records the input as a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
__attribute__((noreturn));

#endif
