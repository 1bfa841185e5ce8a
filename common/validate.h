/*
 * Whitelist validation of JSON bodies and scalar inputs. Each resource
 * describes its fields once, as data; validate_object() reports every
 * unknown, missing or ill-typed field in the problem's errors list.
 */
#ifndef ISMS_VALIDATE_H
#define ISMS_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

enum field_type {
	FIELD_STRING,
	FIELD_TEXT, /* a string that may hold line breaks and tabs */
	FIELD_ENUM,
	FIELD_INT,
	FIELD_BOOL,
	FIELD_UUID,
	FIELD_DATE,      /* YYYY-MM-DD */
	FIELD_TIMESTAMP, /* RFC 3339 */
	FIELD_STRINGS,   /* array of single-line strings */
	FIELD_UUIDS,     /* array of UUIDs */
	FIELD_OBJECT,
	FIELD_ANY,
};

enum field_flags {
	FIELD_REQUIRED = 1 << 0,
	FIELD_NULLABLE = 1 << 1,
	FIELD_READONLY = 1 << 2, /* returned, never accepted */
};

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long min, max; /* characters, items, or integer bounds */
	const char *const *values; /* FIELD_ENUM, NULL terminated */
};

enum validate_mode {
	VALIDATE_CREATE, /* required fields must be present */
	VALIDATE_PATCH,  /* any subset; null clears a nullable field */
};

/*
 * Checks body against the field list. Returns 0, 400 (body not an
 * object), or 422 with one error per bad field recorded in res.
 */
int validate_object(struct response *res, const json_t *body,
		    const struct field *fields, size_t nfields,
		    enum validate_mode mode);

bool validate_uuid(const char *s);
bool validate_date(const char *s);
/* RFC 3339, with at most 9 fraction digits (the spec's 40 characters). */
bool validate_timestamp(const char *s);
/* Counts UTF-8 code points; the input is known to be valid UTF-8. */
size_t validate_utf8_length(const char *s);

/*
 * Parses an integer query parameter in [min, max], with def when absent.
 * Returns 0 or 400 with a problem recorded.
 */
int validate_query_int(struct response *res, const char *name,
		       const char *text, long def, long min, long max,
		       long *out);

/* A field's value as text for a statement parameter (NULL for null). */
const char *validate_param(struct arena *a, const json_t *v);

#endif
