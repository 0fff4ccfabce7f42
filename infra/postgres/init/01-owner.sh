#!/usr/bin/env bash
# First start of the postgres container only: the owner role that runs migrations (not a superuser) and the
# database it owns. Passwords come from the environment of the container, never from this repository.
set -euo pipefail
: "${PROSPECTFLOW_OWNER_PASSWORD:?set PROSPECTFLOW_OWNER_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$PROSPECTFLOW_OWNER_PASSWORD" <<'SQL'
CREATE ROLE prospectflow_owner LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS PASSWORD :'owner_password';
CREATE DATABASE prospectflow OWNER prospectflow_owner;
SQL
