/*
 * The FastCGI server every service runs: a pool of worker threads, each
 * with its own FCGX_Accept_r loop and its own database connection. The
 * server authenticates before dispatch, opens the tenant transaction,
 * calls the handler, commits or rolls back, writes the one envelope and
 * logs one line. SIGTERM finishes in-flight requests and exits.
 */
#ifndef ISMS_SERVER_H
#define ISMS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "router.h"

struct service {
	const char *name; /* isms-assets */
	const struct route *routes;
	size_t nroutes;
	bool signs_tokens; /* loads private keys (isms-auth only) */
};

/* Runs the service until SIGTERM or SIGINT; returns the exit status. */
int server_main(const struct service *svc);

/*
 * Handles one request whose FastCGI parameters are in envp and whose body
 * is read from in; the serialized response is returned (malloc'ed).
 * Exposed for tests and fuzzing.
 */
struct server_io {
	char *(*param)(const char *name, void *ctx);
	int (*read)(char *buf, int n, void *ctx);
	void *ctx;
};
struct db;
char *server_handle(const struct service *svc, struct db *db,
		    struct arena *arena, const struct server_io *io,
		    size_t *len);

/* Read-only process-wide state, set before the workers start. */
const struct config *server_config(void);
struct auth_keyset *server_keyset(void);
void server_set_state(const struct config *cfg, struct auth_keyset *ks);

#endif
