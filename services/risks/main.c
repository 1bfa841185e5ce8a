/*
 * isms-risks: the route table and the entry point. /api/v1/risks/heatmap
 * comes before /api/v1/risks/{id}, which would otherwise match it.
 */
#include "risks.h"
#include "server.h"

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/risk-matrix", risk_matrix_get, ROLES_READ, NULL, 0},
	{HTTP_PUT, "/api/v1/risk-matrix", risk_matrix_put, ROLES_ADMIN, NULL,
	 ROUTE_JSON},

	{HTTP_GET, "/api/v1/threats", threats_list, ROLES_READ,
	 risk_catalog_query, 0},
	{HTTP_POST, "/api/v1/threats", threats_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_GET, "/api/v1/threats/{id}", threats_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/threats/{id}", threats_update, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/threats/{id}", threats_delete, ROLES_WRITE, NULL,
	 0},
	{HTTP_GET, "/api/v1/vulnerabilities", vulnerabilities_list, ROLES_READ,
	 risk_catalog_query, 0},
	{HTTP_POST, "/api/v1/vulnerabilities", vulnerabilities_create,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/vulnerabilities/{id}", vulnerabilities_get,
	 ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/vulnerabilities/{id}", vulnerabilities_update,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/vulnerabilities/{id}", vulnerabilities_delete,
	 ROLES_WRITE, NULL, 0},

	{HTTP_GET, "/api/v1/risks", risks_list, ROLES_READ, risks_list_query,
	 0},
	{HTTP_POST, "/api/v1/risks", risks_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_GET, "/api/v1/risks/heatmap", risk_heatmap_get, ROLES_READ,
	 risk_heatmap_query, 0},
	{HTTP_GET, "/api/v1/risks/{id}", risks_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/risks/{id}", risks_update, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/risks/{id}", risks_delete, ROLES_ADMIN, NULL, 0},

	{HTTP_GET, "/api/v1/risks/{id}/treatments", risk_treatments_list,
	 ROLES_READ, risks_page_query, 0},
	{HTTP_POST, "/api/v1/risks/{id}/treatments", risk_treatments_create,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/risks/{id}/treatments/{tid}", risk_treatments_get,
	 ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/risks/{id}/treatments/{tid}",
	 risk_treatments_update, ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/risks/{id}/treatments/{tid}",
	 risk_treatments_delete, ROLES_WRITE, NULL, 0},

	{HTTP_GET, "/api/v1/risks/{id}/acceptance", risk_acceptance_list,
	 ROLES_READ, risks_page_query, 0},
	{HTTP_POST, "/api/v1/risks/{id}/acceptance", risk_acceptance_request,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_POST, "/api/v1/risks/{id}/acceptance/decision",
	 risk_acceptance_decide, ROLES_ADMIN, NULL, ROUTE_JSON},
};

static const struct service service = {
	"isms-risks",
	routes,
	sizeof(routes) / sizeof(routes[0]),
	false,
};

int
main(void)
{
	return server_main(&service);
}
