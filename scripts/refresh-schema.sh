#!/usr/bin/env bash
# Rewrites infra/postgres/schema.sql and the generated diagrams of doc/erd.md from a scratch database
# migrated from zero on the local server.
# Needs a superuser connection in PF_TEST_ADMIN_URL (default: postgres@127.0.0.1:5432) and the owner role
# prospectflow_owner (the test harness creates it).
set -euo pipefail
admin=${PF_TEST_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="pf_schema_snapshot_$$"
psql "$admin" -qXc "CREATE DATABASE $db OWNER prospectflow_owner"
trap 'psql "$admin" -qXc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
url=$(node -e 'const u = new URL(process.argv[1]); u.username = "prospectflow_owner"; u.password = ""; u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$admin" "$db")
DATABASE_MIGRATION_URL=$url pnpm exec tsx infra/postgres/src/cli.ts up >/dev/null
DATABASE_MIGRATION_URL=$url pnpm exec tsx infra/postgres/src/cli.ts schema
DATABASE_MIGRATION_URL=$url pnpm exec tsx infra/postgres/src/cli.ts erd
