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
/* Closes it; the next t_db() connects again (after a database restart). */
void t_db_close(void);
/* Runs a query as owner in the tenant's context; returns the first value. */
char *t_db_value(const char *tenant_id, const char *sql);

/* ---- identities with passwords, memberships, sign-in ---- */

/*
 * A global identity with no membership. password NULL leaves it without
 * one; otherwise it is hashed with argon2id like the service does.
 * user_id holds 37 bytes, email 128.
 */
void t_user_create(const char *password, char *user_id, char *email);
/*
 * user_id's membership of t with role. from/until are intervals from now
 * ("-1 day", "30 days") or NULL for none; an auditor given neither gets a
 * window open now (1 day back to 30 days ahead).
 */
void t_membership_add(const struct t_tenant *t, const char *user_id,
		      const char *role, const char *from, const char *until);
/* POST /api/v1/auth/login with a well-formed body; tenant may be NULL. */
struct reply *t_login(const char *email, const char *password,
		      const char *tenant);
/* Runs a statement as owner in the tenant's context. */
void t_db_exec(const char *tenant_id, const char *sql);
/*
 * Forgets the failed sign-ins counted against the tests' address
 * (127.0.0.1), so that a suite re-run on a long-lived stack starts clean.
 */
void t_login_throttle_reset(void);

/* ---- hand-built tokens, for the attacks on verification ---- */

/* The kid and public key (PEM text) of the key t_token signs with. */
const char *t_jwt_kid(void);
const char *t_jwt_public_pem(size_t *len);
/* The claims of a valid access token (iss, aud, sub, tid, role, jti,
 * iat, nbf, exp), as a JSON object; a new reference. */
json_t *t_jwt_claims(const char *tenant_id, const char *user_id,
		     const char *role);
/* Segment index (0 header, 1 payload) of a token, decoded; new reference
 * or NULL. */
json_t *t_jwt_segment(const char *token, int index);
/*
 * Compact JWS from JSON header and payload: with an empty signature, with
 * HMAC-SHA256 under key, or RS256 under a freshly generated RSA key that
 * the stack has never seen. Kept until exit (t_keep).
 */
char *t_jwt_unsigned(const json_t *header, const json_t *payload);
char *t_jwt_hs256(const json_t *header, const json_t *payload, const void *key,
		  size_t keylen);
char *t_jwt_rs256_foreign(const json_t *header, const json_t *payload);
/* token with its payload replaced and its header and signature kept. */
char *t_jwt_replace_payload(const char *token, const json_t *payload);

const char *t_env(const char *name);
/* Frees s when the test process exits; returns s. */
char *t_keep(char *s);

#endif
