#!/usr/bin/env bash
# Runs the pgTAP suites in sql/tests against the test stack's database as
# the superuser (the suites switch to the service role themselves).
# pg_prove passes only host/port/user/dbname on to psql, so the
# superuser's connection string is handed over through libpq's PG* vars.
set -euo pipefail
tests_dir=$1
# shellcheck disable=SC1090
source "${ISMS_ENV_FILE:?}"
conninfo_get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$ISMS_SUPER_DATABASE_URL"; }
PGHOST=$(conninfo_get host) PGPORT=$(conninfo_get port) \
	PGUSER=$(conninfo_get user) PGPASSWORD=$(conninfo_get password) \
	PGDATABASE=$(conninfo_get dbname) \
	exec pg_prove --failures "$tests_dir"/*.sql
