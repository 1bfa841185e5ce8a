/*
 * CSV (RFC 4180) for bulk import and export: a reader over a request body
 * and a writer into a growing buffer. Fields are separated by commas,
 * records by CRLF or LF; a quoted field may hold commas, line breaks and
 * doubled quotes. A leading UTF-8 byte order mark is skipped.
 */
#ifndef ISMS_CSV_H
#define ISMS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

struct csv_reader {
	const char *p, *end;
	size_t record;     /* 1-based number of the record last read */
	const char *error; /* why csv_read returned -1 */
};

void csv_reader_init(struct csv_reader *r, const char *data, size_t len);

/*
 * Reads the next record into fields (arena strings, at most max of them).
 * Returns the number of fields, 0 at the end of the input, or -1 for a
 * malformed record (an unterminated quote, text after a closing quote,
 * more than max fields, a NUL byte) with r->error set. Empty lines are
 * skipped.
 */
int csv_read(struct csv_reader *r, struct arena *a, const char **fields,
	     size_t max);

struct csv_writer {
	char *data; /* malloc'ed; NUL-terminated */
	size_t len, cap;
	bool failed;  /* out of memory: the output is incomplete */
	bool in_line; /* a field was written on the current line */
};

void csv_writer_init(struct csv_writer *w);
void csv_writer_free(struct csv_writer *w);

/*
 * Appends one field (NULL is an empty one), quoted when it holds a comma,
 * quote or line break. A field that a spreadsheet would run as a formula
 * (starting with =, +, -, @, tab or carriage return) gets a leading single
 * quote (OWASP's CSV injection advice); csv_unneutralise() undoes it.
 */
void csv_write_field(struct csv_writer *w, const char *s);
/* Ends the record with CRLF. */
void csv_write_end(struct csv_writer *w);

/* The field without the quote csv_write_field added, if it has one. */
const char *csv_unneutralise(const char *s);

#endif
