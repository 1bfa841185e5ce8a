/*
 * isms-assets: the route table and the entry point. Literal paths come
 * before /api/v1/assets/{id}, which would otherwise match them.
 */
#include "assets.h"
#include "server.h"

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/assets", assets_list, ROLES_READ, assets_list_query,
	 0},
	{HTTP_POST, "/api/v1/assets", assets_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_POST, "/api/v1/assets/import", assets_import, ROLES_WRITE, NULL,
	 ROUTE_BODY | ROUTE_BULK},
	{HTTP_GET, "/api/v1/assets/export", assets_export, ROLES_READ,
	 export_query, 0},
	{HTTP_GET, "/api/v1/assets/settings", asset_settings_get, ROLES_READ,
	 NULL, 0},
	{HTTP_PUT, "/api/v1/assets/settings", asset_settings_put, ROLES_ADMIN,
	 NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/assets/{id}", assets_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/assets/{id}", assets_update, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/assets/{id}", assets_delete, ROLES_WRITE,
	 assets_delete_query, 0},
	{HTTP_GET, "/api/v1/assets/{id}/dependencies", dependencies_list,
	 ROLES_READ, dependencies_list_query, 0},
	{HTTP_POST, "/api/v1/assets/{id}/dependencies", dependencies_create,
	 ROLES_WRITE, NULL, ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/assets/{id}/dependencies/{other_id}",
	 dependencies_delete, ROLES_WRITE, NULL, 0},
};

static const struct service service = {
	"isms-assets",
	routes,
	sizeof(routes) / sizeof(routes[0]),
	false,
};

int
main(void)
{
	return server_main(&service);
}
