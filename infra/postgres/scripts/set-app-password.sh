#!/usr/bin/env bash
# Sets prospectflow_app's password from PROSPECTFLOW_APP_PASSWORD over DATABASE_MIGRATION_URL (the owner, which
# has CREATEROLE). The password travels as a psql variable on stdin, never on a command line or in a log.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "Usage: PROSPECTFLOW_APP_PASSWORD=... DATABASE_MIGRATION_URL=... set-app-password.sh"
  exit 0
fi
: "${DATABASE_MIGRATION_URL:?set DATABASE_MIGRATION_URL (owner role, direct connection)}"
: "${PROSPECTFLOW_APP_PASSWORD:?set PROSPECTFLOW_APP_PASSWORD}"
printf '%s\n' "ALTER ROLE prospectflow_app PASSWORD :'password';" |
  psql "$DATABASE_MIGRATION_URL" -X -q -v ON_ERROR_STOP=1 -v password="$PROSPECTFLOW_APP_PASSWORD"
echo "prospectflow_app password set"
