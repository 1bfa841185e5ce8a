/*
 * One error vocabulary: the map from SQLSTATE to HTTP status and problem
 * document. Anything not in the map is a 500 whose reason is logged.
 */
#ifndef ISMS_ERRORS_H
#define ISMS_ERRORS_H

#include "db.h"
#include "http.h"

/*
 * Records the problem for the database failure the last db_exec reported
 * and returns its status. SQL functions of the platform raise SQLSTATEs
 * "IS" followed by an HTTP status (IS404, IS409, IS422...) whose message
 * is written for clients and passed through.
 */
int errors_from_db(struct response *res, const struct db *db);

/* The status a SQLSTATE maps to (500 when unknown). */
int errors_status(const char *sqlstate);

#endif
