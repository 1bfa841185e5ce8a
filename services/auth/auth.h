/*
 * Handlers of the identity service, one file per resource: sessions
 * (login, refresh, logout, me), the key set, members, API keys.
 */
#ifndef ISMS_AUTH_SERVICE_H
#define ISMS_AUTH_SERVICE_H

#include "http.h"

int sessions_login(struct request *r, struct response *res);
int sessions_refresh(struct request *r, struct response *res);
int sessions_logout(struct request *r, struct response *res);
int sessions_me(struct request *r, struct response *res);

int jwks_get(struct request *r, struct response *res);

int users_list(struct request *r, struct response *res);
int users_create(struct request *r, struct response *res);
int users_get(struct request *r, struct response *res);
int users_update(struct request *r, struct response *res);
int users_delete(struct request *r, struct response *res);

int api_keys_list(struct request *r, struct response *res);
int api_keys_create(struct request *r, struct response *res);
int api_keys_get(struct request *r, struct response *res);
int api_keys_delete(struct request *r, struct response *res);

#endif
