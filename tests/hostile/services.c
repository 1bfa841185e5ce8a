/*
 * The list of route tables: ISMS_SERVICES is X(name) for every service
 * the build has (tests/hostile/ServiceRoutes.cmake).
 */
#include "services.h"

#define X(name) const struct service *isms_routes_##name(void);
ISMS_SERVICES
#undef X

#define X(name) isms_routes_##name,
static const struct service *(*const getters[])(void) = {ISMS_SERVICES};
#undef X

size_t
test_service_count(void)
{
	return sizeof(getters) / sizeof(getters[0]);
}

const struct service *
test_service(size_t i)
{
	return i < test_service_count() ? getters[i]() : NULL;
}
