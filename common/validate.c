/*
 * Field-list validation of JSON bodies and the scalar checks behind it.
 */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool
validate_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	size_t i, d = 0;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool
date_part_valid(const char *s)
{
	int y, m, d;
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};

	if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return false;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

bool
validate_date(const char *s)
{
	return s != NULL && strlen(s) == 10 && date_part_valid(s);
}

bool
validate_timestamp(const char *s)
{
	const char *p;

	if (s == NULL || strlen(s) < 20 || !date_part_valid(s) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
	    !digits(s + 17, 2))
		return false;
	if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		/* 1 to 9 digits (nanoseconds): at most 35 characters in all. */
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (p - (s + 20) > 9)
			return false;
	}
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0';
	if ((*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' &&
	    digits(p + 4, 2) && p[6] == '\0')
		return atoi(p + 1) <= 23 && atoi(p + 4) <= 59;
	return false;
}

size_t
validate_utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool
has_control(const char *s, bool multiline)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == 0x7f || (c < 0x20 &&
				  !(multiline && (c == '\n' || c == '\r' ||
						  c == '\t'))))
			return true;
	}
	return false;
}

static bool
enum_has(const char *const *values, const char *s)
{
	for (; values != NULL && *values != NULL; values++)
		if (strcmp(*values, s) == 0)
			return true;
	return false;
}

static void
enum_error(struct response *res, const struct field *f)
{
	char list[512];
	const char *const *v;
	size_t used = 0;

	list[0] = '\0';
	for (v = f->values; v != NULL && *v != NULL && used < sizeof(list);
	     v++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%s", used ? ", " : "", *v);
	http_field_error(res, f->name, "must be one of: %s", list);
}

static bool
check_string(struct response *res, const struct field *f, const char *name,
	     const char *s, bool multiline)
{
	size_t len = validate_utf8_length(s);

	if (has_control(s, multiline)) {
		http_field_error(res, name, "must not contain control "
					    "characters");
		return false;
	}
	if ((long)len < f->min || (f->max > 0 && (long)len > f->max)) {
		http_field_error(res, name,
				 "must be from %ld to %ld characters long",
				 f->min, f->max);
		return false;
	}
	return true;
}

static void
check_array(struct response *res, const struct field *f, const json_t *v)
{
	size_t i, j, n = json_array_size(v);
	const json_t *item;
	char name[128];

	if (!json_is_array(v)) {
		http_field_error(res, f->name, "must be an array");
		return;
	}
	if ((long)n < f->min || (long)n > f->max) {
		http_field_error(res, f->name,
				 "must have from %ld to %ld items", f->min,
				 f->max);
		return;
	}
	json_array_foreach(v, i, item) {
		snprintf(name, sizeof(name), "%s[%zu]", f->name, i);
		if (!json_is_string(item)) {
			http_field_error(res, name, "must be a string");
			continue;
		}
		if (f->type == FIELD_UUIDS) {
			if (!validate_uuid(json_string_value(item)))
				http_field_error(res, name, "must be a UUID");
		} else {
			struct field each = {name, FIELD_STRING, 0, 1, 100,
					     NULL};

			check_string(res, &each, name,
				     json_string_value(item), false);
		}
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(v, j), item)) {
				http_field_error(res, name, "is repeated");
				break;
			}
	}
}

static void
check_value(struct response *res, const struct field *f, const json_t *v)
{
	const char *s;

	switch (f->type) {
	case FIELD_STRING:
	case FIELD_TEXT:
		if (!json_is_string(v)) {
			http_field_error(res, f->name, "must be a string");
			return;
		}
		check_string(res, f, f->name, json_string_value(v),
			     f->type == FIELD_TEXT);
		return;
	case FIELD_ENUM:
		if (!json_is_string(v) ||
		    !enum_has(f->values, json_string_value(v)))
			enum_error(res, f);
		return;
	case FIELD_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min ||
		    json_integer_value(v) > f->max)
			http_field_error(res, f->name,
					 "must be an integer from %ld to %ld",
					 f->min, f->max);
		return;
	case FIELD_BOOL:
		if (!json_is_boolean(v))
			http_field_error(res, f->name, "must be true or false");
		return;
	case FIELD_UUID:
		if (!json_is_string(v) || !validate_uuid(json_string_value(v)))
			http_field_error(res, f->name, "must be a UUID");
		return;
	case FIELD_DATE:
		s = json_string_value(v);
		if (s == NULL || !validate_date(s))
			http_field_error(res, f->name,
					 "must be a date (YYYY-MM-DD)");
		return;
	case FIELD_TIMESTAMP:
		s = json_string_value(v);
		if (s == NULL || !validate_timestamp(s))
			http_field_error(res, f->name,
					 "must be an RFC 3339 date-time");
		return;
	case FIELD_STRINGS:
	case FIELD_UUIDS:
		check_array(res, f, v);
		return;
	case FIELD_OBJECT:
		if (!json_is_object(v))
			http_field_error(res, f->name, "must be an object");
		return;
	case FIELD_ANY:
		return;
	}
}

int
validate_object(struct response *res, const json_t *body,
		const struct field *fields, size_t nfields,
		enum validate_mode mode)
{
	const char *key;
	const json_t *v;
	size_t i;

	if (!json_is_object(body))
		return http_problem(res, 400, "bad-request",
				    "The body must be a JSON object.");
	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == nfields || (fields[i].flags & FIELD_READONLY)) {
			http_field_error(res, key, i == nfields
							   ? "is not a known field"
							   : "is read-only");
			continue;
		}
		if (json_is_null(v)) {
			if (!(fields[i].flags & FIELD_NULLABLE))
				http_field_error(res, key, "must not be null");
			continue;
		}
		check_value(res, &fields[i], v);
	}
	if (mode == VALIDATE_CREATE)
		for (i = 0; i < nfields; i++)
			if ((fields[i].flags & FIELD_REQUIRED) &&
			    json_object_get(body, fields[i].name) == NULL)
				http_field_error(res, fields[i].name,
						 "is required");
	if (res->problem_errors != NULL)
		return http_problem(res, 422, "validation",
				    "The request body has invalid fields.");
	return 0;
}

int
validate_query_int(struct response *res, const char *name, const char *text,
		   long def, long min, long max, long *out)
{
	char *end;
	long v;

	if (text == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max ||
	    !isdigit((unsigned char)text[text[0] == '-']))
		return http_problem(res, 400, "invalid-query",
				    "Query parameter '%s' must be an integer "
				    "from %ld to %ld.",
				    name, min, max);
	*out = v;
	return 0;
}

const char *
validate_param(struct arena *a, const json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v))
		return arena_printf(a, "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		return NULL;
	{
		const char *copy = arena_strdup(a, s);

		free(s);
		return copy;
	}
}
