/*
 * Worker threads, the per-request pipeline and signal handling.
 */
#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "errors.h"
#include "log.h"
#include "password.h"

static const struct config *g_config;
static struct auth_keyset *g_keyset;

const struct config *
server_config(void)
{
	return g_config;
}

struct auth_keyset *
server_keyset(void)
{
	return g_keyset;
}

void
server_set_state(const struct config *cfg, struct auth_keyset *ks)
{
	g_config = cfg;
	g_keyset = ks;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
health(struct request *r, struct response *res)
{
	(void)r;
	res->body = json_pack("{s:s}", "status", "ok");
	return 200;
}

static int
ready(struct request *r, struct response *res)
{
	if (!db_ping(r->db)) {
		res->log_reason = db_error(r->db);
		return http_problem(res, 503, "unavailable",
				    "The database is not reachable.");
	}
	res->body = json_pack("{s:s}", "status", "ready");
	return 200;
}

static const struct route builtin_routes[] = {
	{HTTP_GET, "/healthz", health, 0, NULL, ROUTE_PUBLIC | ROUTE_NO_DB},
	{HTTP_GET, "/readyz", ready, 0, NULL, ROUTE_PUBLIC | ROUTE_NO_DB},
};

/* Reads exactly CONTENT_LENGTH bytes; 413 over the limit, 400 if short. */
static int
read_body(struct request *r, struct response *res, const struct server_io *io,
	  const char *length)
{
	size_t limit = g_config ? g_config->max_body : 1048576;
	unsigned long long n;
	char *buf, *end;
	size_t got = 0;
	int k;

	if ((r->route->flags & ROUTE_BULK) && limit < ROUTE_BULK_MAX_BODY)
		limit = ROUTE_BULK_MAX_BODY;
	if (length == NULL || *length == '\0')
		return 0;
	errno = 0;
	n = strtoull(length, &end, 10);
	if (errno != 0 || *end != '\0' || *length == '-')
		return http_problem(res, 400, "bad-request",
				    "Content-Length is not a number.");
	if (n > limit)
		return http_problem(res, 413, "payload-too-large",
				    "The body is larger than %zu bytes.",
				    limit);
	if (n == 0)
		return 0;
	buf = arena_alloc(r->arena, (size_t)n + 1);
	if (buf == NULL)
		return http_internal(res, "out of memory reading the body");
	while (got < n) {
		k = io->read(buf + got, (int)(n - got), io->ctx);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got != n)
		return http_problem(res, 400, "bad-request",
				    "The body ended before Content-Length.");
	buf[n] = '\0';
	r->body = buf;
	r->body_len = (size_t)n;
	return 0;
}

static bool
read_only_request(const struct request *r)
{
	if (r->route->flags & ROUTE_RW)
		return false;
	return r->method == HTTP_GET ||
	       r->principal.role == ROLE_VIEWER ||
	       r->principal.role == ROLE_AUDITOR;
}

static int
authenticate(struct request *r, struct response *res)
{
	enum auth_result a;

	/* Picks up rotated keys, and drops removed ones, within seconds. */
	auth_keyset_refresh(g_keyset, time(NULL), 10);
	a = auth_verify(g_keyset, r->authorization, g_config->issuer,
			g_config->audience, time(NULL), &r->principal);
	if (a != AUTH_OK) {
		http_header(res, "WWW-Authenticate", "Bearer%s",
			    a == AUTH_MISSING ? ""
					      : " error=\"invalid_token\"");
		return http_problem(res, 401, "unauthorized", "%s.",
				    a == AUTH_MISSING
					    ? "A bearer token is required"
					    : auth_result_str(a));
	}
	if (!(r->route->roles & r->principal.role))
		return http_problem(res, 403, "forbidden",
				    "The role '%s' may not do this.",
				    auth_role_name(r->principal.role));
	return 0;
}

static const struct db_stmt q_noop = {"SELECT 1"};

static const struct db_stmt q_record_request = {
	"SELECT activity_append('read', 'request', NULL, NULL,"
	" jsonb_build_object('method', $1::text, 'path', $2::text,"
	" 'status', $3::int))"};

/* Replaces whatever the response held with the database's verdict. */
static int
replace_with_db_error(struct request *r, struct response *res)
{
	response_release(res);
	response_init(res, res->arena);
	return errors_from_db(res, r->db);
}

/* Runs the route's handler inside its transaction, when it has one. */
static int
dispatch(struct request *r, struct response *res)
{
	const struct route *rt = r->route;
	bool tx = !(rt->flags & ROUTE_NO_DB);
	bool commit;
	int status;

	if (tx)
		db_begin(r->db, (rt->flags & ROUTE_PUBLIC) ? NULL : &r->principal,
			 r->request_id, read_only_request(r));
	status = rt->handler(r, res);
	if (status == 0)
		status = 200;
	res->status = status;
	commit = status < 400 || res->commit_on_error;
	if (tx && db_end(r->db, commit) != 0 && commit)
		status = replace_with_db_error(r, res);
	return status;
}

/*
 * A request refused before its transaction reached the database (bad
 * input, a role without the right) has not had its token checked against
 * memberships and revocations yet: a revoked token must read 401
 * everywhere, not 403 or 422, so that check runs now.
 */
static int
confirm_principal(struct request *r, struct response *res, int status)
{
	if (!r->principal.authenticated || status < 400 || status == 401 ||
	    db_started(r->db))
		return status;
	db_begin(r->db, &r->principal, r->request_id, true);
	if (db_exec(r->db, &q_noop, 0, NULL, DB_COMMIT) == NULL)
		status = replace_with_db_error(r, res);
	db_end(r->db, false);
	return status;
}

/* Every request an auditor makes, allowed or not, enters the log. */
static void
record_auditor_request(struct request *r, int status)
{
	struct principal who;
	const char *params[3];

	if (!r->principal.authenticated || r->principal.role != ROLE_AUDITOR ||
	    status == 401)
		return;
	params[0] = r->method_name;
	params[1] = r->path;
	params[2] = arena_printf(r->arena, "%d", status);
	/*
	 * Without the token id, so that an auditor's logout (which revokes
	 * it) is recorded too; the membership and window are still checked.
	 */
	who = r->principal;
	who.jti[0] = '\0';
	db_begin(r->db, &who, r->request_id, false);
	if (db_exec(r->db, &q_record_request, 3, params, DB_COMMIT) == NULL)
		log_event(r->service->name, "error",
			  "an auditor's request could not be recorded");
	db_end(r->db, false);
}

static int
route_request(const struct service *svc, struct request *r,
	      struct response *res, const struct server_io *io,
	      const char *length)
{
	const struct route *rt = NULL;
	enum route_match m;
	unsigned allow = 0;
	char allow_text[64];
	int status;

	m = router_match(builtin_routes,
			 sizeof(builtin_routes) / sizeof(builtin_routes[0]), r,
			 &rt, &allow);
	if (m != ROUTE_FOUND)
		m = router_match(svc->routes, svc->nroutes, r, &rt, &allow);
	if (m == ROUTE_BAD_METHOD) {
		router_allow_header(allow, allow_text, sizeof(allow_text));
		http_header(res, "Allow", "%s", allow_text);
		return http_problem(res, 405, "method-not-allowed",
				    "%s is not allowed here; use %s.",
				    r->method_name, allow_text);
	}
	if (m == ROUTE_NOT_FOUND)
		return http_problem(res, 404, "not-found",
				    "No resource at this path.");
	r->route = rt;
	if ((status = http_parse_query(r, res, rt->query)) != 0)
		return status;
	if (!(rt->flags & ROUTE_PUBLIC) &&
	    (status = authenticate(r, res)) != 0)
		return status;
	if ((status = read_body(r, res, io, length)) != 0)
		return status;
	if ((rt->flags & ROUTE_JSON) && (status = http_parse_json(r, res)) != 0)
		return status;
	return dispatch(r, res);
}

static int
handle(const struct service *svc, struct request *r, struct response *res,
       const struct server_io *io, const char *length)
{
	int status = route_request(svc, r, res, io, length);

	status = confirm_principal(r, res, status);
	record_auditor_request(r, status);
	return status;
}

char *
server_handle(const struct service *svc, struct db *db, struct arena *arena,
	      const struct server_io *io, size_t *len)
{
	struct request r;
	struct response res;
	double t0 = now_ms();
	const char *path;
	char *out;

	request_init(&r, arena);
	response_init(&res, arena);
	r.service = svc;
	r.db = db;
	r.method = http_method_parse(io->param("REQUEST_METHOD", io->ctx));
	r.method_name = http_method_name(r.method);
	path = io->param("DOCUMENT_URI", io->ctx);
	r.path = path ? path : io->param("SCRIPT_NAME", io->ctx);
	r.query_string = io->param("QUERY_STRING", io->ctx);
	r.content_type = io->param("CONTENT_TYPE", io->ctx);
	r.authorization = io->param("HTTP_AUTHORIZATION", io->ctx);
	r.if_match = io->param("HTTP_IF_MATCH", io->ctx);
	r.idempotency_key = io->param("HTTP_IDEMPOTENCY_KEY", io->ctx);
	r.accept = io->param("HTTP_ACCEPT", io->ctx);
	r.request_id = io->param("REQUEST_ID", io->ctx);
	r.remote_addr = io->param("REMOTE_ADDR", io->ctx);
	if (r.request_id != NULL && strlen(r.request_id) > 64)
		r.request_id = NULL;

	res.status = handle(svc, &r, &res, io,
			    io->param("CONTENT_LENGTH", io->ctx));
	out = http_serialize(&r, &res, len);
	log_request(svc->name, &r, &res, now_ms() - t0);
	request_release(&r);
	response_release(&res);
	db_release(db);
	return out;
}

/* ---- the FastCGI side ---- */

struct worker {
	pthread_t thread;
	const struct service *svc;
	struct db *db;
	int listen_fd;
};

static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

static char *
fcgx_param(const char *name, void *ctx)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static int
fcgx_read(char *buf, int n, void *ctx)
{
	return FCGX_GetStr(buf, n, ((FCGX_Request *)ctx)->in);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct server_io io = {fcgx_param, fcgx_read, NULL};
	FCGX_Request req;
	struct arena arena;
	size_t len;
	char *out;
	int rc;

	arena_init(&arena, 16384);
	FCGX_InitRequest(&req, w->listen_fd, 0);
	io.ctx = &req;
	db_connect(w->db);
	for (;;) {
		pthread_mutex_lock(&accept_lock);
		rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&accept_lock);
		if (rc < 0)
			break;
		out = server_handle(w->svc, w->db, &arena, &io, &len);
		if (out != NULL)
			FCGX_PutStr(out, (int)len, req.out);
		free(out);
		FCGX_Finish_r(&req);
		arena_reset(&arena);
	}
	FCGX_Free(&req, 1);
	arena_free(&arena);
	return NULL;
}

static void
ignore_signal(int sig)
{
	(void)sig;
}

/* Appends one entry per method of each route in the table to list. */
static int
routes_json(json_t *list, const struct route *routes, size_t n)
{
	static const enum role roles[] = {ROLE_ADMIN, ROLE_EDITOR, ROLE_VIEWER,
					  ROLE_AUDITOR};
	json_t *names, *entry;
	unsigned bit;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (bit = HTTP_GET; bit <= HTTP_OPTIONS; bit <<= 1) {
			if (!(routes[i].method & bit))
				continue;
			if ((names = json_array()) == NULL)
				return -1;
			for (j = 0; j < sizeof(roles) / sizeof(roles[0]); j++)
				if (routes[i].roles & roles[j])
					json_array_append_new(
						names,
						json_string(auth_role_name(
							roles[j])));
			entry = json_pack("{s:s, s:s, s:b, s:o}", "method",
					  http_method_name(bit), "path",
					  routes[i].pattern, "public",
					  (routes[i].flags & ROUTE_PUBLIC) != 0,
					  "roles", names);
			if (entry == NULL || json_array_append_new(list, entry))
				return -1;
		}
	}
	return 0;
}

/*
 * ISMS_PRINT_ROUTES=1: print the routes this service serves, its built-in
 * probes included, as JSON on stdout and exit, reading no other setting.
 * The contract test (tests/contract/routes.sh) compares them with
 * openapi/openapi.yaml.
 */
static int
print_routes(const struct service *svc)
{
	json_t *list = json_array(), *doc;
	int rc = -1;

	if (list != NULL &&
	    routes_json(list, builtin_routes,
			sizeof(builtin_routes) / sizeof(builtin_routes[0])) ==
		    0 &&
	    routes_json(list, svc->routes, svc->nroutes) == 0) {
		doc = json_pack("{s:s, s:O}", "service", svc->name, "routes",
				list);
		if (doc != NULL)
			rc = json_dumpf(doc, stdout, JSON_INDENT(2));
		json_decref(doc);
	}
	json_decref(list);
	if (rc != 0 || putchar('\n') == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "%s: cannot print the routes\n", svc->name);
		return 1;
	}
	return 0;
}

int
server_main(const struct service *svc)
{
	static struct config cfg;
	static struct auth_keyset ks;
	struct worker *workers;
	struct sigaction sa;
	sigset_t set;
	int i, sig, fd, status = 0;
	char msg[256];
	const char *print = getenv("ISMS_PRINT_ROUTES");

	if (print != NULL && strcmp(print, "1") == 0)
		return print_routes(svc);
	config_load(&cfg, svc->name);
	if (auth_keyset_load(&ks, cfg.keys_dir, svc->signs_tokens) != 0) {
		fprintf(stderr,
			"%s: configuration error: no public keys (*.pub.pem) "
			"in ISMS_JWT_KEYS_DIR=%s\n",
			svc->name, cfg.keys_dir);
		return 2;
	}
	server_set_state(&cfg, &ks);
	password_set_concurrency(cfg.password_concurrency);

	/*
	 * Our own dispositions first, so libfcgi keeps its hands off them;
	 * the signals are then blocked everywhere and taken by sigwait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ignore_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FCGX_Init failed\n", svc->name);
		return 1;
	}
	umask(007);
	fd = FCGX_OpenSocket(cfg.listen, 256);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot listen on %s: %s\n", svc->name,
			cfg.listen, strerror(errno));
		return 1;
	}
	workers = calloc((size_t)cfg.workers, sizeof(*workers));
	if (workers == NULL)
		return 1;
	for (i = 0; i < cfg.workers; i++) {
		workers[i].svc = svc;
		workers[i].listen_fd = fd;
		workers[i].db = db_new(cfg.database_url);
		if (workers[i].db == NULL ||
		    pthread_create(&workers[i].thread, NULL, worker_run,
				   &workers[i]) != 0) {
			fprintf(stderr, "%s: cannot start worker %d\n",
				svc->name, i);
			return 1;
		}
	}
	snprintf(msg, sizeof(msg), "listening on %s with %d workers",
		 cfg.listen, cfg.workers);
	log_event(svc->name, "info", msg);

	sigwait(&set, &sig);
	log_event(svc->name, "info", "stopping: finishing in-flight requests");
	/* Wakes every thread blocked in accept(); busy ones finish first. */
	FCGX_ShutdownPending();
	shutdown(fd, SHUT_RDWR);
	for (i = 0; i < cfg.workers; i++) {
		pthread_join(workers[i].thread, NULL);
		db_free(workers[i].db);
	}
	close(fd);
	if (cfg.listen[0] == '/')
		unlink(cfg.listen);
	free(workers);
	auth_keyset_free(&ks);
	log_event(svc->name, "info", "stopped");
	return status;
}
