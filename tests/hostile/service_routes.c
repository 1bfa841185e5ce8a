/*
 * One service's route table as the service itself compiles it: this file
 * is built once per service with SERVICE_MAIN naming its main.c and
 * SERVICE_ROUTES the accessor to define, so the hostile sweep and the fuzz
 * targets walk exactly the routes that are served, and a route added to a
 * service cannot be left out of either.
 */
#include <stdio.h>
#include <stdlib.h>

#include "server.h"

const struct service *SERVICE_ROUTES(void);

/* The service's entry point is compiled under another name, never run. */
#define main SERVICE_ROUTES_MAIN
int main(void);
#include SERVICE_MAIN
#undef main

const struct service *
SERVICE_ROUTES(void)
{
	return &service;
}
