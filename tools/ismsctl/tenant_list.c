/*
 * ismsctl tenant list: every tenant, by slug, with its member count.
 */
#include <stdio.h>

#include "db.h"
#include "ismsctl.h"

/* tenants has an owner policy: the owner sees them all. */
static const char q_tenants[] =
	"SELECT id, slug, name, created_at FROM tenants ORDER BY slug";

/*
 * memberships has only the tenant policy, and FORCE ROW LEVEL SECURITY
 * holds the owner to it, so each tenant is counted under its own context,
 * set before (never in) the statement that counts.
 */
static const char q_context[] = "SELECT set_config('app.tenant_id', $1, true)";
static const char q_members[] =
	"SELECT count(*) FROM memberships WHERE tenant_id = $1::uuid";

int
ctl_tenant_list(int argc, char **argv)
{
	PGresult *tenants = NULL, *res = NULL;
	json_t *list = NULL, *row;
	const char *params[1];
	PGconn *conn = NULL;
	int rc, i;

	rc = ctl_options(argc, argv, NULL, 0);
	if (rc != 0)
		return rc;
	rc = 1;
	conn = ctl_connect();
	if (conn == NULL)
		goto out;
	/* One snapshot for the list and every count. */
	res = PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	if (!ctl_ok(res)) {
		ctl_db_error(conn, res, "begin");
		goto out;
	}
	tenants = PQexec(conn, q_tenants);
	if (!ctl_ok(tenants)) {
		ctl_db_error(conn, tenants, "list tenants");
		goto out;
	}
	list = json_array();
	if (list == NULL)
		goto out;
	for (i = 0; i < PQntuples(tenants); i++) {
		params[0] = PQgetvalue(tenants, i, 0);
		PQclear(res);
		res = PQexecParams(conn, q_context, 1, NULL, params, NULL, NULL,
				   0);
		if (ctl_ok(res)) {
			PQclear(res);
			res = PQexecParams(conn, q_members, 1, NULL, params,
					   NULL, NULL, 0);
		}
		if (!ctl_ok(res)) {
			ctl_db_error(conn, res, "count members");
			goto out;
		}
		/* The list owns the row from here; row is borrowed. */
		row = db_row_json(tenants, i);
		if (json_array_append_new(list, row) != 0 ||
		    json_object_set_new(row, "members",
					db_value_json(res, 0, 0)) != 0) {
			fprintf(stderr, "ismsctl: out of memory\n");
			goto out;
		}
	}
	rc = ctl_print_json(list);
	list = NULL;
out:
	json_decref(list);
	PQclear(res);
	PQclear(tenants);
	/* Read only: closing the connection ends the transaction. */
	PQfinish(conn);
	return rc;
}
