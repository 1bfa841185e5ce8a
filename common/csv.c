/*
 * The CSV reader and writer.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

void
csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
	r->p = data;
	r->end = data + len;
	r->record = 0;
	r->error = NULL;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		r->p += 3;
}

static int
fail(struct csv_reader *r, const char *why)
{
	r->error = why;
	return -1;
}

/* Copies [s, e) into the arena, turning "" into " when quoted. */
static const char *
field_copy(struct arena *a, const char *s, const char *e, bool quoted)
{
	char *out, *o;

	out = arena_alloc(a, (size_t)(e - s) + 1);
	if (out == NULL)
		return NULL;
	for (o = out; s < e; s++) {
		*o++ = *s;
		if (quoted && *s == '"')
			s++; /* the second quote of a pair */
	}
	*o = '\0';
	return out;
}

int
csv_read(struct csv_reader *r, struct arena *a, const char **fields, size_t max)
{
	const char *p = r->p, *start;
	size_t n = 0;
	bool quoted;

	/* Empty lines between records carry nothing. */
	while (p < r->end && (*p == '\n' || *p == '\r'))
		p++;
	if (p >= r->end) {
		r->p = p;
		return 0;
	}
	r->record++;
	for (;;) {
		if (n == max)
			return fail(r, "has more fields than the header");
		quoted = p < r->end && *p == '"';
		if (quoted) {
			start = ++p;
			for (;;) {
				if (p >= r->end)
					return fail(r, "has an unterminated "
						       "quoted field");
				if (*p == '"') {
					if (p + 1 < r->end && p[1] == '"') {
						p += 2;
						continue;
					}
					break;
				}
				if (*p == '\0')
					return fail(r, "holds a NUL byte");
				p++;
			}
			fields[n] = field_copy(a, start, p, true);
			p++; /* the closing quote */
			if (p < r->end && *p != ',' && *p != '\n' && *p != '\r')
				return fail(r, "has text after a closing "
					       "quote");
		} else {
			start = p;
			while (p < r->end && *p != ',' && *p != '\n' &&
			       *p != '\r') {
				if (*p == '"')
					return fail(r, "has a quote inside an "
						       "unquoted field");
				if (*p == '\0')
					return fail(r, "holds a NUL byte");
				p++;
			}
			fields[n] = field_copy(a, start, p, false);
		}
		if (fields[n] == NULL)
			return fail(r, "is too large");
		n++;
		if (p < r->end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	if (p < r->end && *p == '\r')
		p++;
	if (p < r->end && *p == '\n')
		p++;
	r->p = p;
	return (int)n;
}

void
csv_writer_init(struct csv_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void
csv_writer_free(struct csv_writer *w)
{
	free(w->data);
	csv_writer_init(w);
}

static void
append(struct csv_writer *w, const char *s, size_t n)
{
	size_t cap;
	char *grown;

	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		cap = w->cap ? w->cap : 65536;
		while (cap < w->len + n + 1)
			cap *= 2;
		grown = realloc(w->data, cap);
		if (grown == NULL) {
			w->failed = true;
			return;
		}
		w->data = grown;
		w->cap = cap;
	}
	memcpy(w->data + w->len, s, n);
	w->len += n;
	w->data[w->len] = '\0';
}

static bool
formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' ||
	       c == '\r';
}

void
csv_write_field(struct csv_writer *w, const char *s)
{
	const char *p, *q;

	if (w->in_line)
		append(w, ",", 1);
	w->in_line = true;
	if (s == NULL || *s == '\0')
		return;
	if (strpbrk(s, ",\"\r\n") == NULL && !formula_start(s[0])) {
		append(w, s, strlen(s));
		return;
	}
	append(w, "\"", 1);
	if (formula_start(s[0]))
		append(w, "'", 1);
	for (p = s; (q = strchr(p, '"')) != NULL; p = q + 1) {
		append(w, p, (size_t)(q - p) + 1);
		append(w, "\"", 1);
	}
	append(w, p, strlen(p));
	append(w, "\"", 1);
}

void
csv_write_end(struct csv_writer *w)
{
	append(w, "\r\n", 2);
	w->in_line = false;
}

const char *
csv_unneutralise(const char *s)
{
	return s[0] == '\'' && formula_start(s[1]) ? s + 1 : s;
}
