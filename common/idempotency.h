/*
 * The Idempotency-Key header of POST requests: a retried create returns
 * the first result instead of creating again. The key, a hash of the
 * request and, once the handler succeeded, its status, body, Location and
 * other headers are stored in idempotency_keys in the handler's own
 * transaction, so a key is only ever recorded with the work it names.
 * A concurrent duplicate waits on the first one's row lock and is then
 * answered from what the first one committed. Keys expire after 24 hours.
 *
 * A create handler with this shape:
 *
 *	struct idempotency idem;
 *	if ((status = idempotency_begin(r, res, &idem)) != 0)
 *		return status;             (a replay, or a refused key)
 *	... statements, the last with idempotency_flags(&idem) ...
 *	return idempotency_end(r, res, &idem, 201);
 */
#ifndef ISMS_IDEMPOTENCY_H
#define ISMS_IDEMPOTENCY_H

#include <stdbool.h>

#include "http.h"

#define IDEMPOTENCY_KEY_MAX 255

struct idempotency {
	const char *key; /* NULL: the request has none */
	char hash[65];   /* SHA-256 of the body, hex */
};

/*
 * Claims the request's key. Returns 0 when the handler should do the work
 * (no key, or a new one), or the status to answer with: the stored status
 * of the first request with res filled from it (a replay, marked with
 * Idempotent-Replayed: true), 400 for a malformed key, 422 for a key
 * already used for another request (method, path or body), or a database
 * error's status.
 */
int idempotency_begin(struct request *r, struct response *res,
		      struct idempotency *idem);

/* DB_COMMIT when no key is held; otherwise 0, idempotency_end commits. */
unsigned idempotency_flags(const struct idempotency *idem);

/*
 * Stores res (body, Location, other headers) under the key with status
 * and commits, when a key is held and status < 400. Returns status, or the
 * database error's.
 */
int idempotency_end(struct request *r, struct response *res,
		    const struct idempotency *idem, int status);

#endif
