/*
 * isms-audits: the route table and the entry point. Literal paths come
 * before the patterns that would otherwise match them
 * (/api/v1/audits/programme before /api/v1/audits/{id}).
 *
 * Reads are open to every role; a certification-body auditor sees only
 * the audits it is on (the engagement policy of 0008). Writes are for
 * admins and editors. The activity log is for admins and auditors.
 */
#include "audits.h"
#include "server.h"

#define ROLES_ACTIVITY (ROLE_ADMIN | ROLE_AUDITOR)

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/audits", audits_list, ROLES_READ, audits_list_query,
	 0},
	{HTTP_POST, "/api/v1/audits", audits_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_POST, "/api/v1/audits/programme", programme_propose, ROLES_WRITE,
	 NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/audits/{id}", audits_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/audits/{id}", audits_update, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/audits/{id}", audits_delete, ROLES_WRITE, NULL,
	 0},
	{HTTP_GET, "/api/v1/audits/{id}/checklist", checklist_list, ROLES_READ,
	 checklist_list_query, 0},
	{HTTP_GET, "/api/v1/audits/{id}/checklist/{item_id}", checklist_get,
	 ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/audits/{id}/checklist/{item_id}",
	 checklist_update, ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/audits/{id}/findings", findings_list, ROLES_READ,
	 findings_list_query, 0},
	{HTTP_POST, "/api/v1/audits/{id}/findings", findings_create,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/audits/{id}/baseline", baseline_get, ROLES_READ,
	 NULL, 0},
	{HTTP_POST, "/api/v1/audits/{id}/baseline", baseline_create,
	 ROLES_WRITE, NULL, 0},
	{HTTP_GET, "/api/v1/audits/{id}/report", report_get, ROLES_READ,
	 report_query, 0},

	{HTTP_GET, "/api/v1/findings/{id}", findings_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/findings/{id}", findings_update, ROLES_WRITE,
	 NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/findings/{id}/corrective-actions",
	 corrective_actions_list, ROLES_READ, audits_page_query, 0},
	{HTTP_POST, "/api/v1/findings/{id}/corrective-actions",
	 corrective_actions_create, ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/corrective-actions/{id}", corrective_actions_get,
	 ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/corrective-actions/{id}",
	 corrective_actions_update, ROLES_WRITE, NULL, ROUTE_JSON},

	{HTTP_GET, "/api/v1/activity", activity_list, ROLES_ACTIVITY,
	 activity_list_query, 0},
	{HTTP_GET, "/api/v1/activity/verify", activity_verify, ROLES_ACTIVITY,
	 NULL, 0},
};

static const struct service service = {
	"isms-audits",
	routes,
	sizeof(routes) / sizeof(routes[0]),
	false,
};

int
main(void)
{
	return server_main(&service);
}
