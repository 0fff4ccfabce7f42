#!/usr/bin/env bash
# Writes pgBouncer's auth file from environment variables, so no password or SCRAM secret is ever committed.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: write-userlist.sh OUTPUT_FILE

Writes a pgBouncer userlist (mode 0600) from these environment variables:
  PROSPECTFLOW_APP_SCRAM_SECRET   SCRAM-SHA-256 secret of prospectflow_app (preferred: from
                                  SELECT rolpassword FROM pg_authid WHERE rolname = 'prospectflow_app')
  PROSPECTFLOW_APP_PASSWORD       or its plain password (used when no SCRAM secret is given)
  PROSPECTFLOW_READONLY_PASSWORD  optional, adds prospectflow_readonly
  PGBOUNCER_ADMIN_PASSWORD        optional, adds pgbouncer_admin for the SHOW/RELOAD console
Never add a superuser: the pooler is for the application.

Exit codes: 0 written, 2 usage or missing variable.
USAGE
}

if [[ $# -ne 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  usage
  [[ $# -eq 1 ]] && exit 0
  exit 2
fi

output=$1
app_secret=${PROSPECTFLOW_APP_SCRAM_SECRET:-${PROSPECTFLOW_APP_PASSWORD:-}}
if [[ -z "$app_secret" ]]; then
  echo "write-userlist.sh: set PROSPECTFLOW_APP_SCRAM_SECRET or PROSPECTFLOW_APP_PASSWORD" >&2
  exit 2
fi

# userlist.txt quotes each field with double quotes; a double quote inside a value is written twice.
entry() {
  local user=$1 secret=$2
  printf '"%s" "%s"\n' "${user//\"/\"\"}" "${secret//\"/\"\"}"
}

umask 077
tmp=$(mktemp "${output}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
  entry prospectflow_app "$app_secret"
  if [[ -n "${PROSPECTFLOW_READONLY_PASSWORD:-}" ]]; then
    entry prospectflow_readonly "$PROSPECTFLOW_READONLY_PASSWORD"
  fi
  if [[ -n "${PGBOUNCER_ADMIN_PASSWORD:-}" ]]; then
    entry pgbouncer_admin "$PGBOUNCER_ADMIN_PASSWORD"
  fi
} >"$tmp"
mv "$tmp" "$output"
trap - EXIT
echo "wrote $output"
