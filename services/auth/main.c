/*
 * isms-auth: the route table and the entry point.
 */
#include "auth.h"
#include "server.h"

static const char *const page_query[] = {"limit", "cursor", NULL};

static const struct route routes[] = {
	{HTTP_POST, "/api/v1/auth/login", sessions_login, 0, NULL,
	 ROUTE_PUBLIC | ROUTE_JSON},
	{HTTP_POST, "/api/v1/auth/refresh", sessions_refresh, 0, NULL,
	 ROUTE_PUBLIC | ROUTE_JSON},
	{HTTP_POST, "/api/v1/auth/logout", sessions_logout, ROLES_READ, NULL,
	 ROUTE_RW},
	{HTTP_GET, "/api/v1/auth/me", sessions_me, ROLES_READ, NULL, 0},
	{HTTP_GET, "/api/v1/auth/jwks", jwks_get, 0, NULL,
	 ROUTE_PUBLIC | ROUTE_NO_DB},
	{HTTP_GET, "/.well-known/jwks.json", jwks_get, 0, NULL,
	 ROUTE_PUBLIC | ROUTE_NO_DB},
	{HTTP_GET, "/api/v1/users", users_list, ROLES_ADMIN, page_query, 0},
	{HTTP_POST, "/api/v1/users", users_create, ROLES_ADMIN, NULL,
	 ROUTE_JSON},
	{HTTP_GET, "/api/v1/users/{id}", users_get, ROLES_ADMIN, NULL, 0},
	{HTTP_PATCH, "/api/v1/users/{id}", users_update, ROLES_ADMIN, NULL,
	 ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/users/{id}", users_delete, ROLES_ADMIN, NULL, 0},
	{HTTP_GET, "/api/v1/api-keys", api_keys_list, ROLES_ADMIN, page_query,
	 0},
	{HTTP_POST, "/api/v1/api-keys", api_keys_create, ROLES_ADMIN, NULL,
	 ROUTE_JSON},
	{HTTP_GET, "/api/v1/api-keys/{id}", api_keys_get, ROLES_ADMIN, NULL,
	 0},
	{HTTP_DELETE, "/api/v1/api-keys/{id}", api_keys_delete, ROLES_ADMIN,
	 NULL, 0},
};

static const struct service service = {
	"isms-auth", routes, sizeof(routes) / sizeof(routes[0]), true,
};

int
main(void)
{
	return server_main(&service);
}
