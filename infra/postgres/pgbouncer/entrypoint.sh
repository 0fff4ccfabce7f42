#!/usr/bin/env bash
# Container entrypoint: renders pgbouncer.ini from the template and the environment, writes the userlist,
# then runs pgBouncer in the foreground.
set -euo pipefail
: "${PGBOUNCER_DATABASES:?set PGBOUNCER_DATABASES, e.g. prospectflow = host=postgres port=5432 dbname=prospectflow}"
export DATABASES=$PGBOUNCER_DATABASES
export LISTEN_ADDR=${PGBOUNCER_LISTEN_ADDR:-0.0.0.0}
export LISTEN_PORT=${PGBOUNCER_LISTEN_PORT:-6432}
export DEFAULT_POOL_SIZE=${PGBOUNCER_DEFAULT_POOL_SIZE:-25}
export MAX_CLIENT_CONN=${PGBOUNCER_MAX_CLIENT_CONN:-100}
export QUERY_WAIT_TIMEOUT=${PGBOUNCER_QUERY_WAIT_TIMEOUT:-30}
export AUTH_FILE=/etc/pgbouncer/userlist.txt
/etc/pgbouncer/write-userlist.sh "$AUTH_FILE" >/dev/null
# Only the template's own placeholders are substituted, so a dollar sign elsewhere survives.
# shellcheck disable=SC2016 # the list names variables for envsubst; it must not be expanded here
envsubst '${DATABASES} ${LISTEN_ADDR} ${LISTEN_PORT} ${DEFAULT_POOL_SIZE} ${MAX_CLIENT_CONN} ${QUERY_WAIT_TIMEOUT} ${AUTH_FILE}' \
  </etc/pgbouncer/pgbouncer.ini.template >/etc/pgbouncer/pgbouncer.ini
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
