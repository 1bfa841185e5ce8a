/*
 * isms-audits: the route table and the entry point.
 */
#include "server.h"

static const struct service service = {
	"isms-audits", NULL, 0, false,
};

int
main(void)
{
	return server_main(&service);
}
