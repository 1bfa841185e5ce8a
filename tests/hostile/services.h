/*
 * The route tables of every service (service_routes.c), for the hostile
 * sweep and the fuzz targets.
 */
#ifndef ISMS_TEST_SERVICES_H
#define ISMS_TEST_SERVICES_H

#include <stddef.h>

#include "server.h"

/* The services, in the order of ISMS_SERVICES; NULL past the last. */
const struct service *test_service(size_t i);
size_t test_service_count(void);

#endif
