/*
 * The integration tests' view of the platform: HTTP through the real
 * nginx (libcurl), tokens signed with the stack's key, and direct owner
 * connections to PostgreSQL for fixtures and for checking what was stored.
 * Every exchange is appended to $ISMS_CONTRACT_LOG for the contract check.
 */
#ifndef ISMS_TEST_CLIENT_H
#define ISMS_TEST_CLIENT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

struct reply {
	long status;
	char content_type[128];
	char location[256];
	char etag[64];
	char allow[128];
	char www_authenticate[256];
	char request_id[128];
	char retry_after[32];
	char *body;
	size_t len;
	json_t *json; /* parsed body when it is JSON */
};

/* Loads $ISMS_ENV_FILE; call once per test process. */
void t_setup(void);

/*
 * Sends method path (with query) with an optional bearer token, content
 * type and body; extra is a NULL-terminated list of "Header: value".
 */
struct reply *t_http(const char *method, const char *path, const char *token,
		     const char *content_type, const char *body, size_t len,
		     const char *const *extra);
/* JSON convenience: body is a JSON text or NULL. */
struct reply *t_json(const char *method, const char *path, const char *token,
		     const char *body);
void t_reply_free(struct reply *r);

/* True when the reply is an RFC 9457 document with that status. */
int t_is_problem(const struct reply *r, long status);

/* A fresh tenant (slug unique per call); returns its id (static buffer). */
struct t_tenant {
	char id[37];
	char slug[64];
	char admin_id[37];
};
void t_tenant_create(struct t_tenant *t, const char *prefix);
/* A user with a membership in the tenant; returns the user id. */
void t_member_create(const struct t_tenant *t, const char *role, char *user_id);

/* A signed access token; ttl may be negative for an expired token. */
char *t_token(const char *tenant_id, const char *user_id, const char *role);
char *t_token_custom(const char *tenant_id, const char *user_id,
		     const char *role, const char *issuer, const char *audience,
		     long nbf_offset, long exp_offset);

/* The owner's connection (RLS forced: set app.tenant_id to read rows). */
PGconn *t_db(void);
/* Runs a query as owner in the tenant's context; returns the first value. */
char *t_db_value(const char *tenant_id, const char *sql);

const char *t_env(const char *name);
/* Frees s when the test process exits; returns s. */
char *t_keep(char *s);

#endif
