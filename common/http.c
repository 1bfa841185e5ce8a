/*
 * Request parsing (query, JSON body), problem documents, and the one
 * writer that turns a response into a FastCGI envelope.
 */
#include "http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
request_init(struct request *r, struct arena *a)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
}

void
request_release(struct request *r)
{
	json_decref(r->json);
	r->json = NULL;
}

void
response_init(struct response *res, struct arena *a)
{
	memset(res, 0, sizeof(*res));
	res->arena = a;
}

void
response_release(struct response *res)
{
	json_decref(res->body);
	json_decref(res->problem_errors);
	res->body = NULL;
	res->problem_errors = NULL;
}

static const struct {
	int status;
	const char *reason;
	const char *slug;
} statuses[] = {
	{200, "OK", NULL},
	{201, "Created", NULL},
	{202, "Accepted", NULL},
	{204, "No Content", NULL},
	{304, "Not Modified", NULL},
	{400, "Bad Request", "bad-request"},
	{401, "Unauthorized", "unauthorized"},
	{403, "Forbidden", "forbidden"},
	{404, "Not Found", "not-found"},
	{405, "Method Not Allowed", "method-not-allowed"},
	{406, "Not Acceptable", "not-acceptable"},
	{409, "Conflict", "conflict"},
	{410, "Gone", "gone"},
	{412, "Precondition Failed", "precondition-failed"},
	{413, "Content Too Large", "payload-too-large"},
	{415, "Unsupported Media Type", "unsupported-media-type"},
	{422, "Unprocessable Content", "validation"},
	{428, "Precondition Required", "precondition-required"},
	{429, "Too Many Requests", "too-many-requests"},
	{500, "Internal Server Error", "internal"},
	{503, "Service Unavailable", "unavailable"},
};

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return i;
	return (size_t)-1;
}

const char *
http_reason(int status)
{
	size_t i = status_index(status);

	return i == (size_t)-1 ? "Unknown" : statuses[i].reason;
}

static const char *const method_names[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
};

const char *
http_method_name(unsigned method)
{
	size_t i;

	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (method == 1u << i)
			return method_names[i];
	return "UNKNOWN";
}

unsigned
http_method_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(name, method_names[i]) == 0)
			return 1u << i;
	return 0;
}

int
http_problem(struct response *res, int status, const char *slug,
	     const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->problem_slug = slug;
	if (fmt != NULL) {
		va_start(ap, fmt);
		res->problem_detail = arena_vprintf(res->arena, fmt, ap);
		va_end(ap);
	}
	return status;
}

void
http_field_error(struct response *res, const char *field, const char *fmt,
		 ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (res->problem_errors == NULL)
		res->problem_errors = json_array();
	json_array_append_new(res->problem_errors,
			      json_pack("{s:s, s:s}", "field", field,
					"message", msg));
}

int
http_internal(struct response *res, const char *reason)
{
	res->log_reason = reason;
	return http_problem(res, 500, "internal",
			    "The request could not be completed; it has been "
			    "logged with its request id.");
}

void
http_header(struct response *res, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (res->nheaders == HTTP_MAX_HEADERS)
		return;
	va_start(ap, fmt);
	res->headers[res->nheaders].value = arena_vprintf(res->arena, fmt, ap);
	va_end(ap);
	res->headers[res->nheaders].name = name;
	res->nheaders++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) ('+' is a space); NULL on a bad escape or NUL. */
static char *
url_decode(struct arena *a, const char *s, size_t n)
{
	char *out, *o;
	size_t i;
	int hi, lo;

	out = arena_alloc(a, n + 1);
	if (out == NULL)
		return NULL;
	for (i = 0, o = out; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static size_t utf8_sequence(const unsigned char *s);

static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p != '\0'; p += n)
		if ((n = utf8_sequence(p)) == 0)
			return false;
	return true;
}

static bool
key_allowed(const char *key, const char *const *allowed)
{
	for (; allowed != NULL && *allowed != NULL; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

int
http_parse_query(struct request *r, struct response *res,
		 const char *const *allowed)
{
	const char *p = r->query_string, *amp, *eq;
	char *key, *value;
	size_t i, len;

	r->nquery = 0;
	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		len = amp ? (size_t)(amp - p) : strlen(p);
		if (len == 0)
			goto next;
		eq = memchr(p, '=', len);
		key = url_decode(r->arena, p, eq ? (size_t)(eq - p) : len);
		value = eq ? url_decode(r->arena, eq + 1,
					len - (size_t)(eq - p) - 1)
			   : arena_strdup(r->arena, "");
		if (key == NULL || value == NULL || !utf8_valid(key) ||
		    !utf8_valid(value))
			return http_problem(res, 400, "invalid-query",
					    "The query string is not valid "
					    "percent-encoding of UTF-8 text.");
		if (!key_allowed(key, allowed))
			return http_problem(res, 400, "invalid-query",
					    "Unknown query parameter '%.64s'.",
					    key);
		for (i = 0; i < r->nquery; i++)
			if (strcmp(r->query[i].key, key) == 0)
				return http_problem(
					res, 400, "invalid-query",
					"Query parameter '%.64s' is repeated.",
					key);
		if (r->nquery == HTTP_MAX_QUERY)
			return http_problem(res, 400, "invalid-query",
					    "Too many query parameters.");
		r->query[r->nquery].key = key;
		r->query[r->nquery].value = value;
		r->nquery++;
next:
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

const char *
http_query(const struct request *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}

bool
http_media_type_is(const char *header, const char *type)
{
	size_t n = strlen(type);

	if (header == NULL)
		return false;
	while (*header == ' ')
		header++;
	if (strncasecmp(header, type, n) != 0)
		return false;
	header += n;
	while (*header == ' ')
		header++;
	return *header == '\0' || *header == ';';
}

int
http_parse_json(struct request *r, struct response *res)
{
	json_error_t err;

	if (!http_media_type_is(r->content_type, "application/json"))
		return http_problem(res, 415, "unsupported-media-type",
				    "The body must be application/json.");
	if (r->body_len == 0)
		return http_problem(res, 400, "malformed-json",
				    "The request body is empty.");
	r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES,
			     &err);
	if (r->json == NULL)
		return http_problem(res, 400, "malformed-json",
				    "The body is not valid JSON: %s (at "
				    "position %d).",
				    err.text, err.position);
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_sequence(const unsigned char *s)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	cp = s[0] & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Text echoed from a request (a query key, a path) may not be UTF-8;
 * JSON strings must be. Invalid bytes become '?'.
 */
static json_t *
json_text(struct arena *a, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t n;

	out = arena_alloc(a, strlen(s) + 1);
	if (out == NULL)
		return NULL;
	for (o = out; *p != '\0';) {
		n = utf8_sequence(p);
		if (n == 0) {
			*o++ = '?';
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return json_string(out);
}

static json_t *
problem_document(const struct request *r, struct response *res)
{
	size_t i = status_index(res->status);
	const char *slug = res->problem_slug;
	json_t *doc;

	if (slug == NULL)
		slug = i == (size_t)-1 ? "error" : statuses[i].slug;
	doc = json_pack("{s:s+, s:s, s:i}", "type", "/problems/", slug,
			"title", http_reason(res->status), "status",
			res->status);
	if (doc == NULL)
		return NULL;
	json_object_set_new(doc, "detail",
			    json_text(res->arena,
				      res->problem_detail
					      ? res->problem_detail
					      : http_reason(res->status)));
	if (r->path != NULL)
		json_object_set_new(doc, "instance",
				    json_text(res->arena, r->path));
	if (r->request_id != NULL)
		json_object_set_new(doc, "request_id",
				    json_string(r->request_id));
	if (res->problem_errors != NULL)
		json_object_set(doc, "errors", res->problem_errors);
	return doc;
}

char *
http_serialize(const struct request *r, struct response *res, size_t *len)
{
	const char *ctype = "application/json";
	char *body = NULL, *out = NULL;
	const char *payload;
	size_t plen, hlen, i, cap;
	json_t *problem = NULL;
	int n;

	if (res->status == 0)
		res->status = 200;
	if (res->status >= 400) {
		problem = problem_document(r, res);
		body = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
		json_decref(problem);
		ctype = "application/problem+json";
		payload = body ? body : "";
	} else if (res->raw != NULL) {
		payload = res->raw;
		ctype = res->content_type ? res->content_type : "text/plain";
	} else if (res->body != NULL) {
		body = json_dumps(res->body, JSON_COMPACT | JSON_ENCODE_ANY);
		payload = body ? body : "";
	} else {
		payload = "";
	}
	plen = res->raw != NULL && res->status < 400 ? res->raw_len
						     : strlen(payload);

	cap = 256 + strlen(ctype) + plen;
	for (i = 0; i < res->nheaders; i++)
		cap += strlen(res->headers[i].name) +
		       strlen(res->headers[i].value) + 4;
	out = malloc(cap);
	if (out == NULL)
		goto out;
	n = snprintf(out, cap,
		     "Status: %d %s\r\n"
		     "X-Content-Type-Options: nosniff\r\n",
		     res->status, http_reason(res->status));
	hlen = (size_t)n;
	/* API answers are private and fresh unless a handler says otherwise. */
	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, "Cache-Control") == 0)
			break;
	if (i == res->nheaders) {
		n = snprintf(out + hlen, cap - hlen,
			     "Cache-Control: no-store\r\n");
		hlen += (size_t)n;
	}
	if (res->status != 204 && res->status != 304) {
		n = snprintf(out + hlen, cap - hlen,
			     "Content-Type: %s\r\nContent-Length: %zu\r\n",
			     ctype, plen);
		hlen += (size_t)n;
	} else {
		plen = 0;
	}
	for (i = 0; i < res->nheaders; i++) {
		n = snprintf(out + hlen, cap - hlen, "%s: %s\r\n",
			     res->headers[i].name, res->headers[i].value);
		hlen += (size_t)n;
	}
	memcpy(out + hlen, "\r\n", 2);
	hlen += 2;
	memcpy(out + hlen, payload, plen);
	*len = hlen + plen;
out:
	free(body);
	return out;
}
