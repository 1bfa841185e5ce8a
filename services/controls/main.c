/*
 * isms-controls: the route table and the entry point. Literal paths come
 * before the patterns that would otherwise match them
 * (/api/v1/frameworks/import before /api/v1/frameworks/{slug},
 * /api/v1/soa/export and /api/v1/soa/versions before
 * /api/v1/soa/{requirement_id}).
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "controls.h"
#include "server.h"

static const struct route routes[] = {
	{HTTP_GET, "/api/v1/frameworks", frameworks_list, ROLES_READ,
	 frameworks_list_query, 0},
	{HTTP_POST, "/api/v1/frameworks", frameworks_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_POST, "/api/v1/frameworks/import", oscal_import, ROLES_WRITE,
	 oscal_import_query, ROUTE_JSON | ROUTE_BULK},
	{HTTP_GET, "/api/v1/frameworks/{slug}", frameworks_get, ROLES_READ,
	 NULL, 0},
	{HTTP_DELETE, "/api/v1/frameworks/{slug}", frameworks_delete,
	 ROLES_WRITE, NULL, 0},
	{HTTP_GET, "/api/v1/frameworks/{slug}/requirements", requirements_list,
	 ROLES_READ, requirements_list_query, 0},
	{HTTP_GET, "/api/v1/frameworks/{slug}/mappings", mappings_list,
	 ROLES_READ, mappings_list_query, 0},
	{HTTP_GET, "/api/v1/frameworks/{slug}/export", oscal_export, ROLES_READ,
	 oscal_export_query, 0},

	{HTTP_GET, "/api/v1/controls", controls_list, ROLES_READ,
	 controls_list_query, 0},
	{HTTP_POST, "/api/v1/controls", controls_create, ROLES_WRITE, NULL,
	 ROUTE_JSON},
	{HTTP_GET, "/api/v1/controls/{id}", controls_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/controls/{id}", controls_update, ROLES_WRITE,
	 NULL, ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/controls/{id}", controls_delete, ROLES_WRITE,
	 NULL, 0},

	{HTTP_GET, "/api/v1/evidence", evidence_list, ROLES_READ,
	 evidence_list_query, 0},
	/* A link as JSON, or a file as the raw body of its own type. */
	{HTTP_POST, "/api/v1/evidence", evidence_create, ROLES_WRITE,
	 evidence_create_query, ROUTE_BODY | ROUTE_BULK},
	{HTTP_GET, "/api/v1/evidence/{id}", evidence_get, ROLES_READ, NULL, 0},
	{HTTP_PATCH, "/api/v1/evidence/{id}", evidence_update, ROLES_WRITE,
	 NULL, ROUTE_JSON},
	{HTTP_DELETE, "/api/v1/evidence/{id}", evidence_delete, ROLES_WRITE,
	 NULL, 0},
	{HTTP_GET, "/api/v1/evidence/{id}/content", evidence_content,
	 ROLES_READ, NULL, 0},

	{HTTP_GET, "/api/v1/soa", soa_get, ROLES_READ, soa_get_query, 0},
	{HTTP_GET, "/api/v1/soa/export", soa_export, ROLES_READ,
	 soa_export_query, 0},
	{HTTP_GET, "/api/v1/soa/versions", soa_versions_list, ROLES_READ,
	 soa_versions_list_query, 0},
	{HTTP_POST, "/api/v1/soa/versions", soa_versions_create, ROLES_ADMIN,
	 NULL, ROUTE_JSON},
	{HTTP_GET, "/api/v1/soa/versions/{number}", soa_versions_get,
	 ROLES_READ, NULL, 0},
	{HTTP_GET, "/api/v1/soa/versions/{number}/diff", soa_versions_diff,
	 ROLES_READ, soa_diff_query, 0},
	{HTTP_GET, "/api/v1/soa/{requirement_id}", soa_entry_get, ROLES_READ,
	 NULL, 0},
	{HTTP_PUT, "/api/v1/soa/{requirement_id}", soa_entry_put, ROLES_WRITE,
	 NULL, ROUTE_JSON},
};

static const struct service service = {
	"isms-controls",
	routes,
	sizeof(routes) / sizeof(routes[0]),
	false,
};

/* ISMS_EVIDENCE_MAX_BYTES: 1 byte to the bulk body limit (16 MiB). */
static void
load_evidence_limit(void)
{
	const char *text = getenv("ISMS_EVIDENCE_MAX_BYTES");
	char err[256];
	long n;

	if (text == NULL || *text == '\0')
		return;
	if (config_int("ISMS_EVIDENCE_MAX_BYTES", text, 1,
		       (long)ROUTE_BULK_MAX_BODY, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "isms-controls: configuration error: %s\n",
			err);
		exit(2);
	}
	evidence_set_max_bytes((size_t)n);
}

int
main(void)
{
	load_evidence_limit();
	return server_main(&service);
}
