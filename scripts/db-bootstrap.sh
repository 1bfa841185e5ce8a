#!/usr/bin/env bash
# Creates, idempotently, what the migrations cannot create for themselves:
# the owner role isms_owner, the service role isms_app (no superuser, no
# BYPASSRLS, nothing owned; the migrations grant it what it may do) and the
# database isms owned by isms_owner. Passwords are (re)set on every run so
# the roles always match the stack's secrets.
# Runs as a PostgreSQL superuser over libpq's environment (PGHOST, PGPORT,
# PGUSER, PGPASSWORD), so the same script serves scripts/stack.sh and the
# postgres container's /docker-entrypoint-initdb.d.
# Environment: ISMS_OWNER_PASSWORD, ISMS_APP_PASSWORD (required),
#   ISMS_WITH_PGTAP=1 also installs the pgTAP extension (tests), PSQL (psql).
set -euo pipefail

: "${ISMS_OWNER_PASSWORD:?ISMS_OWNER_PASSWORD is not set}"
: "${ISMS_APP_PASSWORD:?ISMS_APP_PASSWORD is not set}"
psql=${PSQL:-psql}

# Passwords reach psql through its environment (\getenv), never argv.
"$psql" -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
\getenv owner_password ISMS_OWNER_PASSWORD
\getenv app_password ISMS_APP_PASSWORD
SELECT 'CREATE ROLE isms_owner'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isms_owner') \gexec
ALTER ROLE isms_owner WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
  PASSWORD :'owner_password';
SELECT 'CREATE ROLE isms_app'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isms_app') \gexec
ALTER ROLE isms_app WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
  PASSWORD :'app_password';
SELECT 'CREATE DATABASE isms OWNER isms_owner TEMPLATE template0 ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'isms') \gexec
ALTER DATABASE isms OWNER TO isms_owner;
SQL

if [[ ${ISMS_WITH_PGTAP:-0} == 1 ]]; then
	"$psql" -X -q -v ON_ERROR_STOP=1 -d isms \
		-c 'SET client_min_messages = warning' \
		-c 'CREATE EXTENSION IF NOT EXISTS pgtap'
fi
