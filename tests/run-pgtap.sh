#!/usr/bin/env bash
# Runs the pgTAP suites in sql/tests against the test stack's database as
# the superuser (the suites switch to the service role themselves).
set -euo pipefail
tests_dir=$1
# shellcheck disable=SC1090
source "${ISMS_ENV_FILE:?}"
exec pg_prove --failures --dbname "$ISMS_SUPER_DATABASE_URL" "$tests_dir"/*.sql
