/*
 * Handlers of the assets service, one file per resource.
 */
#ifndef ISMS_ASSETS_H
#define ISMS_ASSETS_H

#include "http.h"

extern const char *const assets_list_query[];

int assets_list(struct request *r, struct response *res);
int assets_create(struct request *r, struct response *res);

#endif
