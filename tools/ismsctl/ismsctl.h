/*
 * ismsctl: the platform operator's command line. Each subcommand lives in
 * its own file and connects as the owner role (ISMS_ADMIN_DATABASE_URL).
 */
#ifndef ISMSCTL_H
#define ISMSCTL_H

#include <libpq-fe.h>

/* Opens the owner connection or prints why not; NULL on failure. */
PGconn *ctl_connect(void);

int ctl_migrate(int argc, char **argv);

#endif
