/*
 * isms-auth: the route table and the entry point.
 */
#include "server.h"

static const struct service service = {
	"isms-auth", NULL, 0, true,
};

int
main(void)
{
	return server_main(&service);
}
