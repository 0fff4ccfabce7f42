#!/usr/bin/env bash
# Backs up the ProspectFlow database: custom-format pg_dump archive, the cluster roles it needs, a manifest of
# what was in the database, and a checksum file. Verifies what it wrote, refuses archives emptied by row-level
# security, and prunes its own old files. See doc/runbooks/backup-restore.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=lib/backup-common.sh
source "$SCRIPT_DIR/lib/backup-common.sh"

readonly EXIT_FAILURE=1
readonly EXIT_USAGE=2
readonly EXIT_CONNECTION=3
readonly EXIT_POOLER=4
readonly EXIT_PRIVILEGE=5
readonly EXIT_STORAGE=6
readonly EXIT_DUMP=7
readonly EXIT_VERIFY=8
readonly EXIT_EMPTY=9
readonly EXIT_RETENTION=10
readonly EXIT_LOCKED=11

usage() {
  cat <<'USAGE'
Usage: backup.sh [MODE] [options]

Modes (default: full):
  full          structure and data of the whole database
  schema-only   structure only
  data-only     data only
  prune         only apply the retention policy to BACKUP_DIR; no database needed
  With --schema NAME, full, schema-only and data-only are limited to that one schema.

Options:
  --schema NAME             back up one schema only (e.g. crm)
  --dir DIR                 where to write (default: $BACKUP_DIR, else /var/backups/prospectflow)
  --url URL                 connection URL (default: $DATABASE_URL, else the PG* variables)
  --retention-days N        delete this script's files older than N days after a successful backup
                            (default: $BACKUP_RETENTION_DAYS, else 30; 0 keeps everything)
  --min-free-mb N           required free space in DIR, instead of the estimate (the database size)
  --allow-port-mapping      accept a server port that differs from the dialled one (container port
                            mapping); never accepted for port 6432 (pgBouncer)
  --include-role-passwords  keep role password hashes in the roles file (needs a superuser; default: no)
  --lock-wait SECONDS       wait this long for another backup.sh run on DIR to finish (default: 0, fail fast)
  --dump-lock-timeout DUR   how long pg_dump waits for a table lock, e.g. 60s (default: 5min)
  --tag TAG                 appended to the kind in the file name ([a-z0-9-], e.g. pre-restore)
  -h, --help                this help

Connection: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD (or ~/.pgpass), or a URL from --url or
DATABASE_URL (the URL wins). Connect to PostgreSQL directly, never through pgBouncer, as a role that reads
every row: a superuser or a BYPASSRLS role (see the runbook for prospectflow_backup).

Files written in DIR, all mode 0600, named pfbackup_<database>_<kind>_<UTC timestamp>:
  .dump       pg_dump custom-format archive (compressed)
  .roles.sql  pg_dumpall --roles-only (no passwords unless --include-role-passwords)
  .manifest   roles, privileges, RLS flags, policies and row counts at backup time (read by restore.sh)
  .sha256     checksums of the three files above
The path of the .dump file is the last line of standard output; logs go to standard error.

Exit codes:
  0  backup written and verified (and old files pruned)
  1  unexpected failure
  2  usage error (bad option, no database named, unknown schema)
  3  cannot connect, or a required tool is missing
  4  refused: the connection goes through a pooler (pgBouncer)
  5  refused: the role cannot read every row (subject to row-level security, or lacks SELECT)
  6  backup directory unusable, or not enough free space
  7  pg_dump or pg_dumpall failed
  8  verification of the written archive failed (pg_restore --list, full read, checksum)
  9  the archive is empty where the database has rows (the row-level security trap)
 10  backup succeeded but retention failed
 11  another backup.sh run holds the lock on DIR
USAGE
}

usage_error() {
  pf_die "$EXIT_USAGE" "$1 (see backup.sh --help)"
}

work_dir=''
partials=()
# shellcheck disable=SC2317 # runs from the EXIT trap
on_exit() {
  local status=$? file
  for file in "${partials[@]}"; do
    rm -f -- "$file"
  done
  [[ -z $work_dir ]] || rm -rf -- "$work_dir"
  exit "$(pf_final_status "$status")"
}
trap on_exit EXIT

mode=''
schema=''
backup_dir=${BACKUP_DIR:-/var/backups/prospectflow}
url=${DATABASE_URL:-}
retention_days=${BACKUP_RETENTION_DAYS:-30}
min_free_mb=''
allow_port_mapping=0
include_role_passwords=0
lock_wait=0
dump_lock_timeout=5min
tag=''

need_value() {
  [[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value"
}

while (($# > 0)); do
  case $1 in
    full | schema-only | data-only | prune)
      [[ -z $mode ]] || usage_error "only one mode may be given (got $mode and $1)"
      mode=$1
      ;;
    --schema)
      need_value "$@"
      schema=$2
      shift
      ;;
    --dir)
      need_value "$@"
      backup_dir=$2
      shift
      ;;
    --url)
      need_value "$@"
      url=$2
      shift
      ;;
    --retention-days)
      need_value "$@"
      retention_days=$2
      shift
      ;;
    --min-free-mb)
      need_value "$@"
      min_free_mb=$2
      shift
      ;;
    --lock-wait)
      need_value "$@"
      lock_wait=$2
      shift
      ;;
    --dump-lock-timeout)
      need_value "$@"
      dump_lock_timeout=$2
      shift
      ;;
    --tag)
      need_value "$@"
      tag=$2
      shift
      ;;
    --allow-port-mapping) allow_port_mapping=1 ;;
    --include-role-passwords) include_role_passwords=1 ;;
    -h | --help)
      usage
      pf_exit 0
      ;;
    *) usage_error "unknown argument: $1" ;;
  esac
  shift
done

mode=${mode:-full}
pf_is_uint "$retention_days" || usage_error "--retention-days must be a whole number of days, got '$retention_days'"
pf_is_uint "$lock_wait" || usage_error "--lock-wait must be a whole number of seconds, got '$lock_wait'"
[[ -z $min_free_mb ]] || pf_is_uint "$min_free_mb" || usage_error "--min-free-mb must be a whole number, got '$min_free_mb'"
[[ -z $tag || $tag =~ ^[a-z0-9-]{1,32}$ ]] || usage_error "--tag must match [a-z0-9-]{1,32}, got '$tag'"
[[ $dump_lock_timeout =~ ^[0-9]+(ms|s|min|h)?$ ]] || usage_error "--dump-lock-timeout must look like 60s or 5min"
if [[ $mode == prune && -n $schema ]]; then
  usage_error "prune takes no --schema"
fi

umask 077

prepare_dir() {
  if ! mkdir -p -- "$backup_dir" 2>/dev/null; then
    pf_die "$EXIT_STORAGE" "cannot create backup directory $backup_dir"
  fi
  if [[ ! -w $backup_dir ]]; then
    pf_die "$EXIT_STORAGE" "backup directory $backup_dir is not writable by $(id -un)"
  fi
}

# Deletes files of this script's naming pattern older than the retention period, directly in BACKUP_DIR (no
# recursion, no symlinks, nothing else). Returns non-zero if a deletion failed.
apply_retention() {
  local days=$1 path name failed=0 deleted=0
  if [[ $days == 0 ]]; then
    pf_info "retention disabled (0 days): nothing deleted"
    return 0
  fi
  while IFS= read -r -d '' path; do
    name=${path##*/}
    [[ $name =~ $PF_BACKUP_FILE_REGEX ]] || continue
    if rm -f -- "$path"; then
      pf_info "retention: deleted $name (older than $days days)"
      deleted=$((deleted + 1))
    else
      pf_error "retention: could not delete $path"
      failed=1
    fi
  done < <(find "$backup_dir" -mindepth 1 -maxdepth 1 -type f -name "${PF_BACKUP_PREFIX}_*" -mmin "+$((days * 1440))" -print0)
  pf_info "retention: $deleted file(s) deleted from $backup_dir"
  return "$failed"
}

prepare_dir

if [[ $mode == prune ]]; then
  apply_retention "$retention_days" || pf_exit "$EXIT_RETENTION"
  pf_exit 0
fi

# One backup.sh at a time per directory: two runs would race on retention and on disk space.
lock_file="$backup_dir/.pfbackup.lock"
if command -v flock >/dev/null 2>&1; then
  exec {lock_fd}>"$lock_file"
  if [[ $lock_wait == 0 ]]; then
    flock -n "$lock_fd" || pf_die "$EXIT_LOCKED" "another backup.sh run holds $lock_file"
  else
    flock -w "$lock_wait" "$lock_fd" || pf_die "$EXIT_LOCKED" "another backup.sh run still holds $lock_file after ${lock_wait}s"
  fi
else
  pf_warn "flock not found: running without the per-directory lock"
fi

pf_require_tools psql pg_dump pg_dumpall pg_restore sha256sum df awk find || pf_exit "$EXIT_CONNECTION"
pf_conn_init "$url" || usage_error "no database named: set PGDATABASE (with PGHOST, PGPORT, PGUSER) or DATABASE_URL, or pass --url"

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/pfbackup.XXXXXX")

if ! pf_session_facts 2>"$work_dir/connect.err"; then
  pf_log_file ERROR "$work_dir/connect.err" 'psql: '
  pf_die "$EXIT_CONNECTION" "cannot connect to PostgreSQL using the $PF_CONN_SOURCE"
fi
pf_info "connected to database $PF_DB as $PF_USER on $PF_HOST:$PF_DIALLED_PORT (server port ${PF_SERVER_PORT:-socket}, version $PF_SERVER_VERSION)"
pf_check_direct_connection "$allow_port_mapping" || pf_exit "$EXIT_POOLER"

if [[ -n $schema ]]; then
  exists=$(pf_psql -At -v schema="$schema" <<<"SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = :'schema';")
  [[ $exists == 1 ]] || usage_error "schema '$schema' does not exist in database $PF_DB"
fi

with_data=1
[[ $mode == schema-only ]] && with_data=0
bypasses_rls=0
[[ $PF_IS_SUPERUSER == t || $PF_IS_BYPASSRLS == t ]] && bypasses_rls=1

# The relations the dump will read, as pg_dump names them in COPY statements.
scope_filter="n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
[[ -n $schema ]] && scope_filter="n.nspname = :'schema'"

# pg_dump run by a role subject to forced RLS either fails ("query would be affected by row-level security
# policy") or, with --enable-row-security, silently writes only the rows the policies show: none here, since
# the tenant helper fails closed. Refuse up front, with the reason, rather than after a long dump.
unreadable=$(pf_psql -At -F $'\t' -v schema="$schema" -v bypass="$bypasses_rls" -v with_data="$with_data" 2>"$work_dir/privileges.err" <<SQL
SELECT CASE WHEN NOT pg_catalog.has_table_privilege(c.oid, 'SELECT') THEN 'no SELECT privilege'
            ELSE 'row-level security applies to ' || current_user END,
       pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'm', 'S')
   AND $scope_filter
   AND (NOT pg_catalog.has_table_privilege(c.oid, 'SELECT')
        OR (:with_data = 1 AND :bypass = 0 AND c.relrowsecurity
            AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(c.relowner, 'USAGE'))))
 ORDER BY 2
SQL
) || {
  pf_log_file ERROR "$work_dir/privileges.err" 'psql: '
  pf_die "$EXIT_CONNECTION" "cannot read the catalogue"
}
if [[ -n $unreadable ]]; then
  pf_error "role $PF_USER cannot read every row it must back up ($(wc -l <<<"$unreadable") relations), for example:"
  head -n 10 <<<"$unreadable" | while IFS=$'\t' read -r reason relation; do pf_error "  $relation: $reason"; done
  pf_die "$EXIT_PRIVILEGE" "run backups as a superuser or a BYPASSRLS role with pg_read_all_data (doc/runbooks/backup-restore.md)"
fi

# Which relations hold rows right now, read by this same role: the reference for the empty-archive check.
live_nonempty="$work_dir/live-nonempty.tsv"
if [[ $with_data == 1 ]]; then
  pf_psql -At -F $'\t' -v schema="$schema" >"$live_nonempty" <<SQL
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),
       (pg_catalog.xpath('/row/e/text()', pg_catalog.query_to_xml(
          pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %I.%I) AS e', n.nspname, c.relname), false, true, '')))[1]::text
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND $scope_filter
   AND $(pf_sql_not_extension_member pg_catalog.pg_class c.oid)
 ORDER BY 1
SQL
fi

# Disk space: the database size is a safe upper bound for a compressed archive without indexes.
case $mode in
  schema-only) estimate_kb=16384 ;;
  *)
    if [[ -n $schema ]]; then
      estimate_kb=$(pf_psql -At -v schema="$schema" <<<"SELECT (coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0) / 1024)::bigint FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'm');")
    else
      estimate_kb=$(pf_psql -At <<<"SELECT pg_catalog.pg_database_size(pg_catalog.current_database()) / 1024;")
    fi
    ;;
esac
required_kb=$estimate_kb
[[ -n $min_free_mb ]] && required_kb=$((min_free_mb * 1024))
available_kb=$(df -Pk -- "$backup_dir" | awk 'NR == 2 { print $4 }')
pf_is_uint "$available_kb" || pf_die "$EXIT_STORAGE" "cannot read free space of $backup_dir"
if ((available_kb < required_kb)); then
  pf_die "$EXIT_STORAGE" "not enough free space in $backup_dir: ${available_kb} KiB available, ${required_kb} KiB required (estimate ${estimate_kb} KiB; override with --min-free-mb)"
fi
pf_info "free space in $backup_dir: ${available_kb} KiB (required ${required_kb} KiB)"

kind=$mode
[[ -n $schema ]] && kind="$(pf_slug "$schema")-$mode"
[[ $mode == full && -n $schema ]] && kind="schema-$(pf_slug "$schema")"
[[ -n $tag ]] && kind="$kind-$tag"
for attempt in 1 2 3; do
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="${PF_BACKUP_PREFIX}_$(pf_slug "$PF_DB")_${kind}_${stamp}"
  base="$backup_dir/$name"
  [[ -e $base.dump || -e $base.dump.partial ]] || break
  [[ $attempt == 3 ]] && pf_die "$EXIT_FAILURE" "$base.dump already exists"
  sleep 1
done
archive="$base.dump"
manifest="$base.manifest"
roles_file="$base.roles.sql"
checksums="$base.sha256"
partials=("$archive.partial" "$manifest.partial" "$roles_file.partial" "$checksums.partial")

# Manifest first (what the database looks like), then the dump: a restore compares against both.
{
  printf '%s\n' "$PF_MANIFEST_HEADER"
  printf 'created_at\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'database\t%s\n' "$PF_DB"
  printf 'mode\t%s\n' "$mode"
  printf 'schema\t%s\n' "$schema"
  printf 'archive\t%s\n' "${archive##*/}"
  printf 'backup_role\t%s\n' "$PF_USER"
  printf 'server_version_num\t%s\n' "$PF_SERVER_VERSION"
  printf 'pg_dump_version\t%s\n' "$(pg_dump --version)"
  pf_psql -At <<SQL
SELECT 'database_owner' || E'\t' || pg_catalog.pg_get_userbyid(d.datdba) FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database();
SET search_path = '';
\echo [roles]
COPY ($(pf_sql_role_facts) ORDER BY 1) TO STDOUT;
\echo [memberships]
COPY ($(pf_sql_membership_facts) ORDER BY 1, 2) TO STDOUT;
\echo [database_acl]
COPY ($(pf_sql_database_acl_facts) ORDER BY 1, 2) TO STDOUT;
\echo [schemas]
COPY ($(pf_sql_schema_facts) ORDER BY 1) TO STDOUT;
\echo [relations]
COPY ($(pf_sql_relation_facts) ORDER BY 1, 2) TO STDOUT;
\echo [functions]
COPY ($(pf_sql_function_facts) ORDER BY 1, 2) TO STDOUT;
SQL
} >"$manifest.partial" 2>"$work_dir/manifest.err" || {
  pf_log_file ERROR "$work_dir/manifest.err" 'psql: '
  pf_die "$EXIT_DUMP" "could not read the catalogue for the manifest"
}

dump_args=(--format=custom --compress=6 --no-password "--lock-wait-timeout=$dump_lock_timeout" "--file=$archive.partial")
[[ $mode == schema-only ]] && dump_args+=(--schema-only)
[[ $mode == data-only ]] && dump_args+=(--data-only)
# -n takes a pattern; a double-quoted name matches literally.
[[ -n $schema ]] && dump_args+=("--schema=\"${schema//\"/\"\"}\"")
pf_info "pg_dump ($mode${schema:+, schema $schema}) to $archive"
started=$SECONDS
if ! pg_dump "${PF_CONN[@]}" "${dump_args[@]}" 2>"$work_dir/pg_dump.err"; then
  pf_log_file ERROR "$work_dir/pg_dump.err" 'pg_dump: '
  pf_die "$EXIT_DUMP" "pg_dump failed"
fi
pf_log_file WARN "$work_dir/pg_dump.err" 'pg_dump: '
pf_info "pg_dump finished in $((SECONDS - started))s, $(du -k -- "$archive.partial" | awk '{print $1}') KiB"

roles_args=(--roles-only --no-password "--database=$PF_DB" "--file=$roles_file.partial")
[[ $include_role_passwords == 0 ]] && roles_args+=(--no-role-passwords)
if ! pg_dumpall "${PF_CONN[@]}" "${roles_args[@]}" 2>"$work_dir/pg_dumpall.err"; then
  pf_log_file ERROR "$work_dir/pg_dumpall.err" 'pg_dumpall: '
  pf_die "$EXIT_DUMP" "pg_dumpall --roles-only failed"
fi
if [[ $include_role_passwords == 1 ]]; then
  pf_warn "the roles file contains password hashes: store it like a secret"
fi

# Verification: the table of contents, then every data block (pg_restore --list alone reads only the TOC).
if ! pg_restore --list "$archive.partial" >/dev/null 2>"$work_dir/verify.err"; then
  pf_log_file ERROR "$work_dir/verify.err" 'pg_restore: '
  pf_die "$EXIT_VERIFY" "pg_restore --list cannot read the archive just written"
fi
archive_rows="$work_dir/archive-rows.tsv"
if ! pf_archive_row_counts "$archive.partial" >"$archive_rows" 2>"$work_dir/verify.err"; then
  pf_log_file ERROR "$work_dir/verify.err" 'pg_restore: '
  pf_die "$EXIT_VERIFY" "the archive just written cannot be read to the end"
fi
tables_in_archive=$(wc -l <"$archive_rows")
rows_in_archive=$(awk -F '\t' '{ s += $2 } END { print s + 0 }' "$archive_rows")
pf_info "archive verified: $tables_in_archive table data sections, $rows_in_archive rows"

# The RLS trap, whatever its cause: a relation with rows in the database must have rows in the archive.
if [[ $with_data == 1 ]]; then
  emptied=$(LC_ALL=C join -t $'\t' -a 1 -e MISSING -o 0,1.2,2.2 \
    <(LC_ALL=C sort "$live_nonempty") "$archive_rows" | awk -F '\t' '$2 == "true" && ($3 == "0" || $3 == "MISSING") { print $1 }')
  if [[ -n $emptied ]]; then
    pf_error "these tables have rows in the database but none in the archive:"
    while IFS= read -r relation; do pf_error "  $relation"; done <<<"$emptied"
    pf_die "$EXIT_EMPTY" "archive rejected: it is missing data (row-level security or a filtering role?). Nothing was kept"
  fi
  live_count=$(awk -F '\t' '$2 == "true"' "$live_nonempty" | wc -l)
  pf_info "non-empty check passed: all $live_count tables with rows in the database have rows in the archive"
fi

printf '[rows]\n' >>"$manifest.partial"
cat "$archive_rows" >>"$manifest.partial"

for file in "$archive" "$manifest" "$roles_file"; do
  printf '%s  %s\n' "$(sha256sum <"$file.partial" | awk '{print $1}')" "${file##*/}"
done >"$checksums.partial"

# The .dump appears last, so a visible archive always has its manifest, roles and checksums next to it.
mv -f -- "$manifest.partial" "$manifest"
mv -f -- "$roles_file.partial" "$roles_file"
mv -f -- "$checksums.partial" "$checksums"
mv -f -- "$archive.partial" "$archive"
partials=()
if ! (cd "$backup_dir" && sha256sum --check --status --strict -- "${checksums##*/}"); then
  pf_die "$EXIT_VERIFY" "checksums of the files just written do not match"
fi
pf_info "wrote $archive (+ .manifest, .roles.sql, .sha256)"

status=0
apply_retention "$retention_days" || status=$EXIT_RETENTION
printf '%s\n' "$archive"
pf_exit "$status"
