/*
 * JSON log lines, each written with one fputs so threads never interleave.
 */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "router.h"

static void
timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

static void
emit(json_t *line)
{
	char *s = json_dumps(line, JSON_COMPACT);

	if (s != NULL) {
		size_t n = strlen(s);

		s[n] = '\n';
		fwrite(s, 1, n + 1, stderr);
		s[n] = '\0';
		free(s);
	}
	json_decref(line);
}

void
log_request(const char *service, const struct request *r,
	    const struct response *res, double duration_ms)
{
	const struct principal *p = &r->principal;
	char ts[64];
	json_t *line;

	timestamp(ts, sizeof(ts));
	line = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s?, s:i, "
			 "s:f}",
			 "time", ts, "level", res->status >= 500 ? "error" : "info",
			 "service", service, "request_id", r->request_id,
			 "tenant", p->authenticated ? p->tenant_id : NULL,
			 "user", p->authenticated ? p->user_id : NULL,
			 "method", r->method_name ? r->method_name : "",
			 "route", r->route ? r->route->pattern : NULL,
			 "status", res->status, "duration_ms", duration_ms);
	if (line == NULL)
		return;
	if (res->log_reason != NULL)
		json_object_set_new(line, "reason",
				    json_string(res->log_reason));
	emit(line);
}

void
log_event(const char *service, const char *level, const char *msg)
{
	char ts[64];

	timestamp(ts, sizeof(ts));
	emit(json_pack("{s:s, s:s, s:s, s:s}", "time", ts, "level", level,
		       "service", service, "message", msg));
}
