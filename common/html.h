/*
 * Printable HTML pages (the SoA, audit reports): a growing buffer, text
 * escaped on the way in, and one way to hand the page to the response
 * with a policy that lets nothing in it run.
 */
#ifndef ISMS_HTML_H
#define ISMS_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct html {
	char *s;
	size_t len, cap;
	bool failed; /* an allocation failed: html_respond answers 500 */
};

void html_put(struct html *h, const char *s, size_t n);
/* Markup, as is. */
void html_raw(struct html *h, const char *s);
/* Text: & < > " ' escaped, line breaks kept as <br>; NULL writes nothing. */
void html_text(struct html *h, const char *s);
/* <td>text</td> */
void html_cell(struct html *h, const char *s);

/*
 * Moves the page into the request's memory as res->raw (text/html,
 * Content-Security-Policy default-src 'none' with inline styles only),
 * frees the buffer, and returns 200, or 500 when memory ran out.
 */
int html_respond(struct html *h, struct response *res);

#endif
