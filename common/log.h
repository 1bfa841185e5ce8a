/*
 * Logs are data: one JSON line per request on stderr, and JSON lines for
 * service events. Never a token, a password or a body.
 */
#ifndef ISMS_LOG_H
#define ISMS_LOG_H

#include "http.h"

/* Logs a finished request with its duration in milliseconds. */
void log_request(const char *service, const struct request *r,
		 const struct response *res, double duration_ms);

/* Logs a service event (start, stop, database lost). */
void log_event(const char *service, const char *level, const char *msg);

#endif
