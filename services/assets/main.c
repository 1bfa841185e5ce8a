/*
 * isms-assets: the route table and the entry point.
 */
#include "assets.h"
#include "server.h"

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/assets", assets_list, ROLES_READ,
	 assets_list_query, 0},
	{HTTP_POST, "/api/v1/assets", assets_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
};

static const struct service service = {
	"isms-assets", routes, sizeof(routes) / sizeof(routes[0]), false,
};

int
main(void)
{
	return server_main(&service);
}
