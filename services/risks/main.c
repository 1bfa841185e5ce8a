/*
 * isms-risks: the route table and the entry point.
 */
#include "server.h"

static const struct service service = {
	"isms-risks", NULL, 0, false,
};

int
main(void)
{
	return server_main(&service);
}
