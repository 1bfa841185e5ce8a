/*
 * fault_load: a bounded mixed load on isms-assets through nginx while a
 * fault is injected, then a check in the database that nothing
 * acknowledged was lost and nothing was written twice.
 *
 * Clients (threads) each run a fixed number of requests, alternating
 * GET /api/v1/assets (a page) and POST /api/v1/assets with an
 * Idempotency-Key of its own. A request that fails in a way a client
 * should retry (no connection, 502, 503, 504, or 409 "in progress") is
 * sent again, same key and body, with backoff, for up to --retry-for
 * seconds; one refused by the rate limit (429) is sent again after its
 * Retry-After and counted apart (throttled), not as a failure. Once a quarter
 * of the requests are done, the main thread runs the fault command (kill a
 * service, restart PostgreSQL) with /bin/sh.
 *
 * Then, as the database owner in the tenant's context: every id a 2xx
 * answer named exists, no name (one per key) has two rows, and every
 * acknowledged key has its row. Prints the counts and one line per check,
 * last "N passed, N failed"; exits 1 if any check failed.
 *
 * With --idle-action, that command (a database restart) then runs with
 * no load at all, and --idle-requests requests follow one at a time,
 * each sent once (again only when the rate limit refuses it): a read
 * of an acknowledged asset (200) and a create (201). Every service worker whose
 * connection died while idle must reconnect and run its next request in its
 * tenant's transaction.
 *
 * Usage: fault_load --action CMD [--clients N] [--requests N]
 *                   [--at FRACTION] [--max-failed-attempts N]
 *                   [--retry-for SECONDS] [--max-outage SECONDS]
 *                   [--idle-action CMD] [--idle-requests N]
 * --max-failed-attempts bounds the attempts that failed (a second process
 * behind nginx should leave only the requests in flight in the killed
 * one); --max-outage bounds the time from the first failed attempt to the
 * last one. Environment: ISMS_ENV_FILE (tests/support/client.c).
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define MAX_CLIENTS 32

static struct {
	int clients;
	int requests;
	double at;
	long max_failed_attempts; /* -1: no bound */
	double retry_for;
	double max_outage; /* seconds; <= 0: no bound */
	const char *action;
	const char *idle_action;
	int idle_requests;
} opt = {4, 200, 0.25, -1, 30.0, 0.0, NULL, NULL, 24};

static struct t_tenant tenant;
static const char *token;
static char run_id[32];

static atomic_int done_requests;

/* What one POST came to. */
struct create {
	char key[64];
	char id[40]; /* from the 2xx answer; empty if none */
	long status;
	int attempts;
};

struct client {
	pthread_t thread;
	int n;
	struct create *creates;
	int ncreates;
	long requests, ok, retried, failed, failed_attempts, throttled;
	double first_fail, last_fail; /* monotonic seconds; 0: none */
	char last_error[256];
};

static struct client clients[MAX_CLIENTS];

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *data;
	size_t len;
};

/* The Retry-After of the last answer on this thread, in seconds. */
static _Thread_local long retry_after;

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	(void)ctx;
	if (n * size > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		retry_after = strtol(p + 12, NULL, 10);
	return size * n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	char *grown = realloc(b->data, b->len + size * n + 1);

	if (grown == NULL)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

/*
 * One attempt. Returns the HTTP status, or 0 when there was no answer
 * (connection refused or reset, timeout); the body in *body (malloc'ed).
 */
static long
attempt(CURL *c, const char *method, const char *path, const char *key,
	const char *json, char **body)
{
	struct curl_slist *headers = NULL;
	struct buf b = {NULL, 0};
	char url[512], line[8400];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", t_env("ISMS_HTTP_URL"), path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	retry_after = 0;
	snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
	headers = curl_slist_append(headers, line);
	headers = curl_slist_append(headers, "Expect:");
	if (key != NULL) {
		snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
		headers = curl_slist_append(headers, line);
	}
	if (json != NULL) {
		headers = curl_slist_append(headers,
					    "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	*body = b.data;
	return status;
}

/* One attempt, sent again only while the rate limit refuses it (429). */
static long
attempt_unthrottled(CURL *c, const char *method, const char *path,
		    const char *key, const char *json, char **body)
{
	long status;
	int i;

	for (i = 0;; i++) {
		status = attempt(c, method, path, key, json, body);
		if (status != 429 || i == 30)
			return status;
		free(*body);
		sleep(retry_after > 0 && retry_after < 5 ? (unsigned)retry_after
							 : 1);
	}
}

/*
 * Worth sending again: the service or the database was away, or the
 * first attempt with this key is still being answered (409 "in
 * progress"), or a conflict that says to retry.
 */
static int
retriable(long status, const char *body)
{
	return status == 0 || status == 502 || status == 503 || status == 504 ||
	       (status == 409 && body != NULL &&
		(strstr(body, "in progress") || strstr(body, "retry")));
}

/* Sends until an answer that is not retriable, or time runs out. */
static long
request(struct client *cl, CURL *c, const char *method, const char *path,
	const char *key, const char *json, char **body, int *attempts)
{
	double start = now_s(), t;
	useconds_t backoff = 20000;
	long status;

	for (*attempts = 1;; (*attempts)++) {
		*body = NULL;
		status = attempt(c, method, path, key, json, body);
		if (status == 429 && now_s() - start <= opt.retry_for) {
			/* The rate limit: wait as told, it is no failure. */
			cl->throttled++;
			(*attempts)--;
			free(*body);
			usleep((useconds_t)(retry_after > 0 && retry_after < 5
						    ? retry_after * 1000000
						    : 1000000));
			continue;
		}
		if (!retriable(status, *body))
			return status;
		t = now_s();
		cl->failed_attempts++;
		if (cl->first_fail == 0)
			cl->first_fail = t;
		cl->last_fail = t;
		snprintf(cl->last_error, sizeof(cl->last_error),
			 "%s %s: %ld %.200s", method, path, status,
			 *body ? *body : "");
		if (t - start > opt.retry_for)
			return status;
		free(*body);
		usleep(backoff);
		if (backoff < 400000)
			backoff *= 2;
	}
}

static void *
client_run(void *arg)
{
	struct client *cl = arg;
	CURL *c = curl_easy_init();
	char json[256], *body;
	const char *id;
	json_t *doc;
	long status;
	int i, attempts;

	for (i = 0; i < opt.requests; i++) {
		if (i % 2 == 0) {
			status = request(cl, c, "GET", "/api/v1/assets?limit=5",
					 NULL, NULL, &body, &attempts);
		} else {
			struct create *cr = &cl->creates[cl->ncreates++];

			snprintf(cr->key, sizeof(cr->key), "fault-%s-%d-%d",
				 run_id, cl->n, i);
			snprintf(json, sizeof(json),
				 "{\"name\":\"%s\",\"type\":\"hardware\"}",
				 cr->key);
			status = request(cl, c, "POST", "/api/v1/assets",
					 cr->key, json, &body, &attempts);
			cr->status = status;
			cr->attempts = attempts;
			doc = body ? json_loads(body, 0, NULL) : NULL;
			id = json_string_value(json_object_get(doc, "id"));
			if (status / 100 == 2 && id != NULL)
				snprintf(cr->id, sizeof(cr->id), "%s", id);
			json_decref(doc);
		}
		cl->requests++;
		if (attempts > 1)
			cl->retried++;
		if (status / 100 == 2) {
			cl->ok++;
		} else {
			cl->failed++;
			snprintf(cl->last_error, sizeof(cl->last_error),
				 "request %d: %ld %.200s", i, status,
				 body ? body : "");
		}
		free(body);
		atomic_fetch_add(&done_requests, 1);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static int passed, failed;

static void
check(int ok, const char *what)
{
	printf("%s  %s\n", ok ? "ok  " : "FAIL", what);
	if (ok)
		passed++;
	else
		failed++;
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* Every service answers /readyz through nginx. */
static int
all_ready(void)
{
	static const char *const names[] = {"auth", "assets", "risks",
					    "controls", "audits"};
	CURL *c = curl_easy_init();
	char url[256];
	long status;
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(url, sizeof(url), "%s/readyz/%s",
			 t_env("ISMS_HTTP_URL"), names[i]);
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200) {
			printf("      /readyz/%s answered %ld\n", names[i],
			       status);
			ok = 0;
		}
	}
	curl_easy_cleanup(c);
	return ok;
}

/* Runs a count query in the tenant's context; -1 on a bad answer. */
static long
db_count(const char *sql)
{
	const char *v = t_db_value(tenant.id, sql);
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	return errno != 0 || end == v || *end != '\0' ? -1 : n;
}

/* The SQL array literal of the acknowledged ids, or NULL when none. */
static char *
acked_ids(long *n)
{
	size_t cap = 64, len = 0;
	char *out = malloc(cap);
	int i, k;

	*n = 0;
	len = (size_t)snprintf(out, cap, "'{");
	for (i = 0; i < opt.clients; i++)
		for (k = 0; k < clients[i].ncreates; k++) {
			const char *id = clients[i].creates[k].id;

			if (id[0] == '\0')
				continue;
			if (len + strlen(id) + 8 > cap) {
				cap = cap * 2 + strlen(id) + 8;
				out = realloc(out, cap);
			}
			len += (size_t)snprintf(out + len, cap - len, "%s%s",
						*n ? "," : "", id);
			(*n)++;
		}
	snprintf(out + len, cap - len, "}'");
	return out;
}

static void
verify(double fault_at, double fault_s, int action_status)
{
	long requests = 0, ok = 0, retried = 0, bad = 0, attempts_failed = 0;
	long throttled = 0;
	long acked = 0, present, dups, keyed, rows;
	double first = 0, last = 0, outage;
	char sql[1024], *ids, *big;
	int i;

	for (i = 0; i < opt.clients; i++) {
		struct client *cl = &clients[i];

		requests += cl->requests;
		ok += cl->ok;
		retried += cl->retried;
		bad += cl->failed;
		attempts_failed += cl->failed_attempts;
		throttled += cl->throttled;
		if (cl->first_fail != 0 &&
		    (first == 0 || cl->first_fail < first))
			first = cl->first_fail;
		if (cl->last_fail > last)
			last = cl->last_fail;
		if (cl->failed > 0 || cl->failed_attempts > 0)
			printf("      client %d, last failure: %s\n", i,
			       cl->last_error);
	}
	outage = first != 0 ? last - first : 0;

	ids = acked_ids(&acked);
	big = malloc(strlen(ids) + 256);
	sprintf(big,
		"SELECT count(DISTINCT id) FROM assets WHERE id = "
		"ANY(%s::uuid[])",
		ids);
	present = acked > 0 ? db_count(big) : 0;
	free(big);
	free(ids);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM (SELECT name FROM assets"
		 " WHERE name LIKE 'fault-%s-%%' GROUP BY name"
		 " HAVING count(*) > 1) d",
		 run_id);
	dups = db_count(sql);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM assets WHERE name LIKE 'fault-%s-%%'",
		 run_id);
	rows = db_count(sql);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM idempotency_keys"
		 " WHERE key LIKE 'fault-%s-%%' AND status BETWEEN 200 AND 299",
		 run_id);
	keyed = db_count(sql);

	printf("fault: %s (at %.2f s, took %.2f s, exit %d)\n", opt.action,
	       fault_at, fault_s, action_status);
	printf("requests %ld, 2xx %ld, retried %ld, failed %ld, "
	       "failed attempts %ld, throttled (429) %ld, outage %.2f s\n",
	       requests, ok, retried, bad, attempts_failed, throttled, outage);
	printf("creates acknowledged %ld, present %ld, lost %ld, rows %ld, "
	       "duplicated %ld, keys stored %ld\n",
	       acked, present, acked - present, rows, dups, keyed);

	check(action_status == 0, "the fault command succeeded");
	check(requests == (long)opt.clients * opt.requests,
	      "every request was made");
	check(bad == 0, "no request failed for good (after retries)");
	check(present == acked, "every acknowledged create is stored (lost=0)");
	check(dups == 0, "no Idempotency-Key wrote two rows (duplicated=0)");
	check(rows == acked, "one row per acknowledged create, no stray rows");
	check(keyed == acked, "every acknowledged key stores its answer");
	if (opt.max_failed_attempts >= 0) {
		snprintf(sql, sizeof(sql),
			 "failed attempts %ld within %ld (the requests in "
			 "flight)",
			 attempts_failed, opt.max_failed_attempts);
		check(attempts_failed <= opt.max_failed_attempts, sql);
	}
	if (opt.max_outage > 0) {
		snprintf(sql, sizeof(sql),
			 "failures stopped within %.0f s (%.2f s)",
			 opt.max_outage, outage);
		check(outage <= opt.max_outage, sql);
	}
	check(all_ready(), "every service answers /readyz afterwards");
}

/* The first acknowledged id of the load, or NULL. */
static const char *
some_acked_id(void)
{
	int i, k;

	for (i = 0; i < opt.clients; i++)
		for (k = 0; k < clients[i].ncreates; k++)
			if (clients[i].creates[k].id[0] != '\0')
				return clients[i].creates[k].id;
	return NULL;
}

/*
 * The idle fault: no request in flight, every connection idle when it
 * dies. Then requests one at a time, each sent once.
 */
static void
idle_fault(void)
{
	const char *id = some_acked_id();
	char path[128], json[256], key[64], *body, what[256];
	int i, rc, wrong = 0;
	long status;
	CURL *c;

	printf("idle fault: running '%s' with no load\n", opt.idle_action);
	fflush(stdout);
	rc = system(opt.idle_action);
	check(rc == 0, "the idle fault command succeeded");
	if (id == NULL) {
		check(0, "an acknowledged asset to read after the idle fault");
		return;
	}
	c = curl_easy_init();
	snprintf(path, sizeof(path), "/api/v1/assets/%s", id);
	for (i = 0; i < opt.idle_requests; i++) {
		if (i % 2 == 0) {
			status = attempt_unthrottled(c, "GET", path, NULL, NULL,
						     &body);
			if (status != 200)
				wrong++;
		} else {
			snprintf(key, sizeof(key), "fault-%s-idle-%d", run_id,
				 i);
			snprintf(json, sizeof(json),
				 "{\"name\":\"%s\",\"type\":\"hardware\"}",
				 key);
			status = attempt_unthrottled(
				c, "POST", "/api/v1/assets", key, json, &body);
			if (status != 201)
				wrong++;
		}
		if (status != (i % 2 == 0 ? 200 : 201))
			printf("      request %d after the idle fault: %s %ld "
			       "%.200s\n",
			       i, i % 2 == 0 ? "GET" : "POST", status,
			       body ? body : "");
		free(body);
	}
	curl_easy_cleanup(c);
	snprintf(what, sizeof(what),
		 "after the idle fault every worker served its tenant at once "
		 "(%d of %d requests wrong)",
		 wrong, opt.idle_requests);
	check(wrong == 0, what);
}

START_TEST(load_under_fault)
{
	char editor[37];
	double t0, fault_at, fault_s;
	int i, action_status, total;

	t_setup();
	t_tenant_create(&tenant, "fault");
	t_member_create(&tenant, "editor", editor);
	token = t_token(tenant.id, editor, "editor");
	snprintf(run_id, sizeof(run_id), "%lx%lx", (unsigned long)time(NULL),
		 (unsigned long)getpid());
	ck_assert_msg(all_ready(), "the stack is not ready before the load");

	total = opt.clients * opt.requests;
	t0 = now_s();
	for (i = 0; i < opt.clients; i++) {
		clients[i].n = i;
		clients[i].creates = calloc((size_t)opt.requests,
					    sizeof(*clients[i].creates));
		ck_assert_ptr_nonnull(clients[i].creates);
		ck_assert_int_eq(pthread_create(&clients[i].thread, NULL,
						client_run, &clients[i]),
				 0);
	}
	while (atomic_load(&done_requests) < (int)(total * opt.at))
		usleep(2000);
	fault_at = now_s() - t0;
	printf("fault: running '%s' after %d of %d requests\n", opt.action,
	       atomic_load(&done_requests), total);
	fflush(stdout);
	action_status = system(opt.action);
	fault_s = now_s() - t0 - fault_at;
	for (i = 0; i < opt.clients; i++)
		pthread_join(clients[i].thread, NULL);
	printf("load: %d requests by %d clients in %.2f s\n", total,
	       opt.clients, now_s() - t0);
	/* The fixtures' connection may not have survived the fault. */
	t_db_close();
	verify(fault_at, fault_s,
	       WIFEXITED(action_status) ? WEXITSTATUS(action_status) : -1);
	if (opt.idle_action != NULL)
		idle_fault();
	for (i = 0; i < opt.clients; i++)
		free(clients[i].creates);
	ck_assert_msg(failed == 0, "%d check(s) failed", failed);
}
END_TEST

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --action CMD [--clients N] [--requests N] "
		"[--at FRACTION] [--max-failed-attempts N] "
		"[--retry-for SECONDS] [--max-outage SECONDS] "
		"[--idle-action CMD] [--idle-requests N]\n",
		argv0);
	exit(2);
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage(argv[0]);
		if (strcmp(a, "--action") == 0)
			opt.action = v;
		else if (strcmp(a, "--clients") == 0)
			opt.clients = atoi(v);
		else if (strcmp(a, "--requests") == 0)
			opt.requests = atoi(v);
		else if (strcmp(a, "--at") == 0)
			opt.at = atof(v);
		else if (strcmp(a, "--max-failed-attempts") == 0)
			opt.max_failed_attempts = atol(v);
		else if (strcmp(a, "--retry-for") == 0)
			opt.retry_for = atof(v);
		else if (strcmp(a, "--max-outage") == 0)
			opt.max_outage = atof(v);
		else if (strcmp(a, "--idle-action") == 0)
			opt.idle_action = v;
		else if (strcmp(a, "--idle-requests") == 0)
			opt.idle_requests = atoi(v);
		else
			usage(argv[0]);
		i++;
	}
	if (opt.action == NULL || opt.clients < 1 ||
	    opt.clients > MAX_CLIENTS || opt.requests < 2 || opt.at < 0 ||
	    opt.at > 1)
		usage(argv[0]);
	s = suite_create("faults");
	tc = tcase_create("load");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, load_under_fault);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	/* In this process: the counts and checks are printed from here. */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	i = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("%d passed, %d failed\n", passed, failed + (i > 0 && !failed));
	return i == 0 ? 0 : 1;
}
