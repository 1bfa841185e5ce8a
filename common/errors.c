/*
 * The SQLSTATE-to-HTTP table.
 */
#include "errors.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *state; /* a full code, or a two-character class */
	int status;
	const char *slug;
	const char *detail;
} table[] = {
	{"23505", 409, "conflict",
	 "The request conflicts with an existing record (a value that must "
	 "be unique is already used)."},
	{"23503", 422, "validation",
	 "The request refers to a record that does not exist, or a record "
	 "that is still referenced by others."},
	{"23502", 422, "validation", "A required value is missing."},
	{"23514", 422, "validation", "A value is outside its allowed range."},
	{"23P01", 409, "conflict", "The request overlaps an existing record."},
	{"22", 422, "validation", "A value has the wrong form or range."},
	{"25006", 403, "forbidden", "This role may not change records."},
	{"42501", 403, "forbidden", "This role may not change records."},
	{"40001", 409, "conflict",
	 "The record was changed concurrently; retry the request."},
	{"40P01", 409, "conflict",
	 "The record was changed concurrently; retry the request."},
	{"55P03", 409, "conflict",
	 "The record is locked by another request; retry it."},
	{"57014", 503, "unavailable", "The database took too long to answer."},
	{"08", 503, "unavailable", "The database is unreachable; retry shortly."},
	{"53", 503, "unavailable", "The database is overloaded; retry shortly."},
	{"57P", 503, "unavailable", "The database is restarting; retry shortly."},
};

static int
find(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strncmp(state, table[i].state, strlen(table[i].state)) == 0)
			return (int)i;
	return -1;
}

static int
platform_status(const char *state)
{
	int status;

	if (strncmp(state, "IS", 2) != 0 || strlen(state) != 5)
		return 0;
	status = atoi(state + 2);
	return status >= 400 && status <= 499 ? status : 0;
}

int
errors_status(const char *sqlstate)
{
	int i, status = platform_status(sqlstate);

	if (status != 0)
		return status;
	i = find(sqlstate);
	return i < 0 ? 500 : table[i].status;
}

int
errors_from_db(struct response *res, const struct db *db)
{
	const char *state = db_sqlstate(db);
	int i, status;

	if (db_lost(db) || state[0] == '\0') {
		res->log_reason = db_error(db);
		return http_problem(res, 503, "unavailable",
				    "The database is unreachable; retry "
				    "shortly.");
	}
	status = platform_status(state);
	if (status == 0) {
		i = find(state);
		if (i < 0)
			return http_internal(res, db_error(db));
		res->log_reason = db_error(db);
		status = table[i].status;
		http_problem(res, status, table[i].slug, "%s",
			     table[i].detail);
	} else {
		http_problem(res, status, NULL, "%s", db_error(db));
	}
	/* A credential the database refused is an invalid token (RFC 6750). */
	if (status == 401)
		http_header(res, "WWW-Authenticate",
			    "Bearer error=\"invalid_token\"");
	/* A 422 always names what was wrong, as validation does. */
	if (status == 422 && res->problem_errors == NULL)
		http_field_error(res, db_error_field(db), "%s",
				 res->problem_detail);
	return status;
}
