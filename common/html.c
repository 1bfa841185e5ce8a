/*
 * The HTML page buffer.
 */
#include "html.h"

#include <stdlib.h>
#include <string.h>

void
html_put(struct html *h, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (h->failed)
		return;
	if (h->len + n + 1 > h->cap) {
		cap = h->cap ? h->cap : 16384;
		while (cap < h->len + n + 1)
			cap *= 2;
		grown = realloc(h->s, cap);
		if (grown == NULL) {
			h->failed = true;
			return;
		}
		h->s = grown;
		h->cap = cap;
	}
	memcpy(h->s + h->len, s, n);
	h->len += n;
	h->s[h->len] = '\0';
}

void
html_raw(struct html *h, const char *s)
{
	html_put(h, s, strlen(s));
}

void
html_text(struct html *h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			html_raw(h, "&amp;");
			break;
		case '<':
			html_raw(h, "&lt;");
			break;
		case '>':
			html_raw(h, "&gt;");
			break;
		case '"':
			html_raw(h, "&quot;");
			break;
		case '\'':
			html_raw(h, "&#39;");
			break;
		case '\n':
			html_raw(h, "<br>");
			break;
		default:
			html_put(h, s, 1);
		}
	}
}

void
html_cell(struct html *h, const char *s)
{
	html_raw(h, "<td>");
	html_text(h, s);
	html_raw(h, "</td>");
}

int
html_respond(struct html *h, struct response *res)
{
	char *copy = h->failed ? NULL : arena_alloc(res->arena, h->len + 1);

	if (copy != NULL)
		memcpy(copy, h->s ? h->s : "", h->len + 1);
	free(h->s);
	h->s = NULL;
	if (copy == NULL)
		return http_internal(res, "out of memory building a page");
	res->raw = copy;
	res->raw_len = h->len;
	res->content_type = "text/html; charset=utf-8";
	/* A document to print, not an application: nothing runs in it. */
	http_header(res, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'");
	return 200;
}
