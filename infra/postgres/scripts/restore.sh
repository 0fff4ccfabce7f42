#!/usr/bin/env bash
# Restores a backup.sh archive into the database the PG* variables (or the URL) name: verifies the archive
# before touching anything, asks for confirmation, takes a safety backup, then restores and validates in ONE
# transaction, so a failed restore or a failed validation leaves the database exactly as it was.
# See doc/runbooks/backup-restore.md and doc/decisions/0010-backup-role-and-rls.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
# shellcheck source-path=SCRIPTDIR source=lib/backup-common.sh
source "$SCRIPT_DIR/lib/backup-common.sh"

# 1 is what the EXIT trap turns any unplanned failure into (pf_final_status).
readonly EXIT_USAGE=2
readonly EXIT_CONNECTION=3
readonly EXIT_POOLER=4
readonly EXIT_NOT_CONFIRMED=5
readonly EXIT_ARCHIVE=6
readonly EXIT_SAFETY_BACKUP=7
readonly EXIT_RESTORE=8
readonly EXIT_VALIDATION=9
readonly EXIT_PRIVILEGE=10

usage() {
  cat <<'USAGE'
Usage: restore.sh [options] ARCHIVE.dump

Restores a backup.sh archive into the database named by PGHOST, PGPORT, PGUSER, PGDATABASE (PGPASSWORD or
~/.pgpass), or by --url / DATABASE_URL (the URL wins). Connect directly to PostgreSQL (never pgBouncer) as a
superuser. Stop the API and workers (or PAUSE the database in pgBouncer) first.

What it does, in order; nothing is changed before step 5:
  1. verifies the archive: checksums (.sha256, which must list the .dump, .manifest and .roles.sql; a
     .manifest or .roles.sql without it is refused), pg_restore --list, a full read of every data block,
     and the row counts against the manifest (.manifest, if present)
  2. plans the restore against the target and prints the plan (--dry-run stops here)
  3. asks for confirmation: type the database name at the prompt, or pass --yes; without --yes and without
     a terminal on stdin it refuses
  4. takes a safety backup of the target with backup.sh (tag pre-restore)
  5. restores in one transaction and validates inside it (row counts, RLS enabled and forced, policies,
     triggers, constraints, privileges, roles, public.pgmigrations); any failure rolls everything back

What gets restored:
  full archive, no --schema   every schema of the archive is dropped and recreated from it; roles the
                              database needs that are missing from the cluster are created (no password)
  --schema NAME, NAME exists  the data of NAME's tables is replaced (structure kept; foreign keys into
                              and out of NAME are re-checked; triggers, audit ones included, do not fire)
  --schema NAME, NAME absent  NAME is recreated from the archive, with the constraints, triggers and
                              policies of other schemas that the loss of NAME took with it
  data-only archive           like --schema for every schema in the archive
  schema-only archive         only into a database where none of its schemas exist

Options:
  --yes                    do not ask for confirmation
  --dry-run                verify and plan, change nothing
  --schema NAME            restore one schema only
  --url URL                connection URL (default: $DATABASE_URL, else the PG* variables)
  --allow-port-mapping     accept a server port that differs from the dialled one (container port mapping)
  --safety-dir DIR         where the safety backup goes (default: $BACKUP_DIR, else /var/backups/prospectflow)
  --no-safety-backup       skip the safety backup (only for a new, empty target database)
  --lock-timeout DURATION  how long to wait for table locks before giving up (default: 30s)
  -h, --help               this help

Exit codes:
  0  restored and validated (or, with --dry-run, verified and planned)
  1  unexpected failure
  2  usage error (bad option, missing archive, schema not in the archive)
  3  cannot connect, or a required tool is missing
  4  refused: the connection goes through a pooler (pgBouncer)
  5  refused: not confirmed (no --yes and no terminal, or wrong answer); nothing changed
  6  archive rejected: checksum mismatch, a checksum file that leaves a file out, a manifest or roles file
     without checksums, unreadable or truncated, or manifest mismatch; nothing changed
  7  safety backup failed; nothing changed
  8  restore refused by the plan, or failed and rolled back; nothing changed
  9  post-restore validation failed and the restore was rolled back; nothing changed
 10  the connected role may not restore (needs superuser, or at least BYPASSRLS)
USAGE
}

usage_error() {
  pf_die "$EXIT_USAGE" "$1 (see restore.sh --help)"
}

work_dir=''
# shellcheck disable=SC2317 # runs from the EXIT trap
on_exit() {
  local status=$?
  [[ -z $work_dir ]] || rm -rf -- "$work_dir"
  exit "$(pf_final_status "$status")"
}
trap on_exit EXIT

archive=''
schema=''
url=${DATABASE_URL:-}
url_from_option=0
assume_yes=0
dry_run=0
allow_port_mapping=0
safety_backup=1
safety_dir=${BACKUP_DIR:-/var/backups/prospectflow}
lock_timeout=30s

need_value() {
  [[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value"
}

# A COPY ... FROM stdin block that loads lines (COPY text format, tab-separated) into a temporary table.
# Blank lines are dropped: in COPY data they would be rows of empty values.
copy_block() {
  local table=$1 data=$2
  printf 'COPY pg_temp.%s FROM stdin;\n' "$table"
  if [[ -n $data ]]; then
    printf '%s\n' "$data" | grep -v '^$' || true
  fi
  printf '\\.\n'
}

# Backslashes are COPY's escape character.
copy_escape() {
  sed 's/\\/\\\\/g'
}

while (($# > 0)); do
  case $1 in
    --yes | -y) assume_yes=1 ;;
    --dry-run) dry_run=1 ;;
    --schema)
      need_value "$@"
      schema=$2
      shift
      ;;
    --url)
      need_value "$@"
      url=$2
      url_from_option=1
      shift
      ;;
    --safety-dir)
      need_value "$@"
      safety_dir=$2
      shift
      ;;
    --lock-timeout)
      need_value "$@"
      lock_timeout=$2
      shift
      ;;
    --allow-port-mapping) allow_port_mapping=1 ;;
    --no-safety-backup) safety_backup=0 ;;
    -h | --help)
      usage
      pf_exit 0
      ;;
    -*) usage_error "unknown option: $1" ;;
    *)
      [[ -z $archive ]] || usage_error "only one archive may be given"
      archive=$1
      ;;
  esac
  shift
done

[[ -n $archive ]] || usage_error "no archive given"
[[ -f $archive && -r $archive ]] || usage_error "archive $archive does not exist or is not readable"
[[ $lock_timeout =~ ^[0-9]+(ms|s|min)?$ ]] || usage_error "--lock-timeout must look like 30s or 2min"

pf_require_tools psql pg_restore sha256sum awk sort join || pf_exit "$EXIT_CONNECTION"

umask 077
work_dir=$(mktemp -d "${TMPDIR:-/tmp}/pfrestore.XXXXXX")

# --- 1. verify the archive (read only) ---------------------------------------------------------------------

archive_dir=$(cd "$(dirname "$archive")" && pwd)
archive_name=${archive##*/}
archive="$archive_dir/$archive_name"
base=$(pf_archive_base "$archive")
manifest_candidate="$base.manifest"
manifest=''
if [[ $archive == *.dump && -f $manifest_candidate ]]; then
  manifest=$manifest_candidate
fi

checksums="$base.sha256"
roles_file="$base.roles.sql"
# True when the checksum file has exactly one "<sha256>  <name>" line for the name.
checksum_listed() {
  awk -v want="$1" 'substr($0, 1, 64) ~ /^[0-9a-f]+$/ && substr($0, 65, 2) == "  " && substr($0, 67) == want { n++ }
    END { exit n == 1 ? 0 : 1 }' "$checksums"
}
if [[ $archive == *.dump && -f $checksums ]]; then
  # sha256sum checks only the files listed: a checksum file that leaves the manifest or the roles file out
  # would let either be altered unnoticed, so the set backup.sh writes must be listed in full.
  for file in "$archive" "$manifest_candidate" "$roles_file"; do
    if ! checksum_listed "${file##*/}"; then
      pf_die "$EXIT_ARCHIVE" "checksum file $checksums does not cover ${file##*/} (backup.sh lists the .dump, .manifest and .roles.sql): the set was altered or is incomplete. Nothing was touched"
    fi
  done
  if ! (cd "$archive_dir" && sha256sum --check --strict --quiet -- "${checksums##*/}") >"$work_dir/sha.out" 2>&1; then
    pf_log_file ERROR "$work_dir/sha.out" 'sha256sum: '
    pf_die "$EXIT_ARCHIVE" "checksum verification failed for $archive: the archive or its sidecar files changed since they were written. Nothing was touched"
  fi
  pf_info "checksums match ($checksums)"
elif [[ $archive == *.dump && (-f $manifest_candidate || -f $roles_file) ]]; then
  # backup.sh writes the checksums with the sidecars; sidecars without them cannot be told from altered ones.
  pf_die "$EXIT_ARCHIVE" "$archive has a manifest or roles file without its checksum file $checksums: they may have been altered. Recover the .sha256, or move the .manifest and .roles.sql away to restore the .dump alone with fewer checks. Nothing was touched"
else
  pf_warn "no checksum file next to $archive: relying on pg_restore's own checks"
fi

toc="$work_dir/toc.tsv"
if ! pf_archive_toc "$archive" >"$toc" 2>"$work_dir/toc.err"; then
  pf_log_file ERROR "$work_dir/toc.err" 'pg_restore: '
  pf_die "$EXIT_ARCHIVE" "pg_restore --list cannot read $archive. Nothing was touched"
fi
archive_rows="$work_dir/archive-rows.tsv"
if ! pf_archive_row_counts "$archive" >"$archive_rows" 2>"$work_dir/rows.err"; then
  pf_log_file ERROR "$work_dir/rows.err" 'pg_restore: '
  pf_die "$EXIT_ARCHIVE" "$archive cannot be read to the end (truncated or corrupted). Nothing was touched"
fi
pf_info "archive readable to the end: $(wc -l <"$archive_rows") table data sections, $(awk -F '\t' '{ s += $2 } END { print s + 0 }' "$archive_rows") rows"

if [[ -n $manifest ]]; then
  if [[ $(head -n 1 -- "$manifest") != "$PF_MANIFEST_HEADER" ]]; then
    pf_die "$EXIT_ARCHIVE" "$manifest is not a backup.sh manifest. Nothing was touched"
  fi
  if ! diff <(pf_manifest_section "$manifest" rows | LC_ALL=C sort) "$archive_rows" >"$work_dir/rows.diff"; then
    pf_log_file ERROR "$work_dir/rows.diff" 'manifest vs archive: '
    pf_die "$EXIT_ARCHIVE" "row counts in the archive differ from its manifest. Nothing was touched"
  fi
  pf_info "row counts match the manifest ($manifest)"
else
  pf_warn "no manifest next to $archive: validation limited to row counts and row-level security flags"
fi

has_structure=0
has_data=0
has_acl=0
pf_toc_has TABLE "$toc" && has_structure=1
pf_toc_has 'TABLE DATA' "$toc" && has_data=1
pf_toc_has ACL "$toc" && has_acl=1
if [[ $has_structure == 1 ]]; then
  archive_schemas=$(awk -F '\t' '$2 == "SCHEMA" { split($4, w, " "); print w[1] }' "$toc" | LC_ALL=C sort -u)
  # public is created by initdb and never dumped as a SCHEMA entry, but may hold archived objects.
  if pf_toc_has ns public "$toc"; then
    archive_schemas=$(printf '%s\npublic\n' "$archive_schemas" | grep -v '^$' | LC_ALL=C sort -u)
  fi
else
  archive_schemas=$(awk -F '\t' '$2 == "TABLE DATA" { print $3 }' "$toc" | LC_ALL=C sort -u)
fi

manifest_schema=''
[[ -n $manifest ]] && manifest_schema=$(pf_manifest_value "$manifest" schema)
if [[ -n $manifest_schema ]]; then
  if [[ -z $schema ]]; then
    schema=$manifest_schema
    pf_info "the archive holds schema $schema only: restoring that schema"
  elif [[ $schema != "$manifest_schema" ]]; then
    usage_error "the archive holds schema $manifest_schema only, not $schema"
  fi
fi
if [[ -n $schema ]] && ! grep -qxF -- "$schema" <<<"$archive_schemas"; then
  usage_error "schema $schema is not in the archive (it has: $(tr '\n' ' ' <<<"$archive_schemas"))"
fi

# --- 2. connect and plan (read only) -----------------------------------------------------------------------

pf_conn_init "$url" || usage_error "no target database: set PGDATABASE (with PGHOST, PGPORT, PGUSER) or DATABASE_URL, or pass --url"
if ! pf_session_facts 2>"$work_dir/connect.err"; then
  pf_log_file ERROR "$work_dir/connect.err" 'psql: '
  pf_die "$EXIT_CONNECTION" "cannot connect to PostgreSQL using the $PF_CONN_SOURCE"
fi
pf_info "connected to database $PF_DB as $PF_USER on $PF_HOST:$PF_DIALLED_PORT (server port ${PF_SERVER_PORT:-socket})"
pf_check_direct_connection "$allow_port_mapping" || pf_exit "$EXIT_POOLER"
if [[ $PF_IS_SUPERUSER != t ]]; then
  if [[ $PF_IS_BYPASSRLS != t ]]; then
    pf_die "$EXIT_PRIVILEGE" "role $PF_USER is neither superuser nor BYPASSRLS: row-level security would hide or refuse rows. Restore as a superuser"
  fi
  pf_warn "role $PF_USER is not a superuser: the restore needs ownership of every object and CREATEROLE for missing roles, or it will roll back"
fi

target_schemas=$(pf_psql -At <<<"SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'information_schema' AND nspname !~ '^pg_' ORDER BY 1;")
schema_exists() { grep -qxF -- "$1" <<<"$target_schemas"; }

if [[ $has_structure == 0 && $has_data == 0 ]]; then
  pf_die "$EXIT_ARCHIVE" "the archive holds neither tables nor data"
fi
if [[ $has_structure == 0 ]]; then
  strategy=replace-data
  scope=${schema:-$archive_schemas}
elif [[ -n $schema ]]; then
  scope=$schema
  if schema_exists "$schema"; then
    [[ $has_data == 1 ]] || pf_die "$EXIT_RESTORE" "schema-only archive: schema $schema exists in $PF_DB and would be left without data; restore it into a new database instead"
    strategy=replace-data
  else
    strategy=recreate-schema
  fi
else
  scope=$archive_schemas
  strategy=replace-all
  if [[ $has_data == 0 ]]; then
    existing=$(grep -vx public <<<"$archive_schemas" | while IFS= read -r s; do if schema_exists "$s"; then printf '%s ' "$s"; fi; done)
    [[ -z $existing ]] || pf_die "$EXIT_RESTORE" "schema-only archive: schemas ${existing% } exist in $PF_DB and would be replaced by empty tables; restore into a new database instead"
  fi
fi

in_scope() { grep -qxF -- "$1" <<<"$scope"; }

# Tables whose data this restore loads, as "<schema><TAB><table>".
scope_tables="$work_dir/scope-tables.tsv"
awk -F '\t' '$2 == "TABLE DATA" { n = split($4, w, " "); t = w[1]; for (i = 2; i < n; i++) t = t " " w[i]; print $3 "\t" t }' "$toc" |
  while IFS=$'\t' read -r s t; do if in_scope "$s"; then printf '%s\t%s\n' "$s" "$t"; fi; done >"$scope_tables"

# A schema that exists keeps its structure, so every table to load must be there already.
if [[ $strategy == replace-data ]]; then
  missing_tables=$(pf_psql -At -F $'\t' <<SQL
CREATE TEMP TABLE pf_check (schema_name text, table_name text);
$(copy_block pf_check "$(copy_escape <"$scope_tables")")
SELECT schema_name || '.' || table_name FROM pf_check
 WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', schema_name, table_name)) IS NULL ORDER BY 1;
SQL
  )
  if [[ -n $missing_tables ]]; then
    pf_die "$EXIT_RESTORE" "tables to reload are missing from $PF_DB: $(tr '\n' ' ' <<<"$missing_tables"). Restore the whole database, or drop schema $(head -n 1 <<<"$scope") (DROP SCHEMA ... CASCADE) so it is recreated from the archive"
  fi
fi

# Roles the database needs that the cluster lacks (manifest only). Superusers are never created automatically.
missing_roles=''
if [[ -n $manifest ]]; then
  target_roles=$(pf_psql -At <<<"SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1;")
  missing_roles=$(pf_manifest_section "$manifest" roles | while IFS=$'\t' read -r rolname rolsuper _; do
    if ! grep -qxF -- "$rolname" <<<"$target_roles"; then printf '%s\t%s\n' "$rolname" "$rolsuper"; fi
  done)
  if grep -q $'\ttrue$' <<<"$missing_roles"; then
    pf_die "$EXIT_RESTORE" "the archive needs superuser role(s) missing from this cluster: $(awk -F '\t' '$2 == "true" { printf "%s ", $1 }' <<<"$missing_roles"). Create them by hand first"
  fi
fi

# For a recreated schema: the foreign keys, triggers and policies of other schemas that are missing now (the
# schema's DROP ... CASCADE took them) and that the archive can put back.
dependent_ids=''
if [[ $strategy == recreate-schema ]]; then
  dependents=$(awk -F '\t' -v s="$schema" '($2 == "FK CONSTRAINT" || $2 == "TRIGGER" || $2 == "POLICY") && $3 != s && $3 != "-" { split($4, w, " "); print $1 "\t" $2 "\t" $3 "\t" w[1] "\t" w[2] }' "$toc")
  if [[ -n $dependents ]]; then
    dependent_ids=$(pf_psql -At <<SQL
CREATE TEMP TABLE pf_dependents (id text, descr text, schema_name text, table_name text, object_name text);
$(copy_block pf_dependents "$(copy_escape <<<"$dependents")")
SELECT v.id FROM pf_dependents v
 CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) AS rel) r
 WHERE r.rel IS NOT NULL
   AND NOT ((v.descr = 'FK CONSTRAINT' AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = r.rel AND k.conname = v.object_name))
         OR (v.descr = 'TRIGGER' AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = r.rel AND t.tgname = v.object_name))
         OR (v.descr = 'POLICY' AND EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = r.rel AND p.polname = v.object_name)))
 ORDER BY v.id::int;
SQL
    )
  fi
fi

# The pg_restore lists for each strategy (replace-all restores the whole archive with --clean --if-exists).
list_scope="$work_dir/scope.list"
list_dependents="$work_dir/dependents.list"
: >"$list_scope"
: >"$list_dependents"
toc_ids_to_list() {
  # Keeps the archive's own order: pg_restore restores a list in the order given.
  local ids_file=$1
  pg_restore --list "$archive" | awk 'NR == FNR { want[$1] = 1; next } { id = $0; sub(/;.*/, "", id) } !/^;/ && (id in want)' "$ids_file" -
}
case $strategy in
  recreate-schema)
    awk -F '\t' -v s="$schema" '$3 == s || ($3 == "-" && ($2 == "SCHEMA" && $4 ~ "^" s " " || ($2 == "ACL" || $2 == "COMMENT") && index($4, "SCHEMA " s " ") == 1)) { print $1 }' "$toc" >"$work_dir/ids"
    toc_ids_to_list "$work_dir/ids" >"$list_scope"
    if [[ -n $dependent_ids ]]; then
      printf '%s\n' "$dependent_ids" >"$work_dir/dep-ids"
      toc_ids_to_list "$work_dir/dep-ids" >"$list_dependents"
    fi
    ;;
  replace-data)
    awk -F '\t' 'NR == FNR { s[$0] = 1; next }
      ($2 == "TABLE DATA" || $2 == "SEQUENCE SET" || $2 == "ACL") && ($3 in s) { print $1; next }
      $3 == "-" && $2 == "ACL" { split($4, w, " "); if (w[1] == "SCHEMA" && (w[2] in s)) print $1 }' <(printf '%s\n' "$scope") "$toc" >"$work_dir/ids"
    toc_ids_to_list "$work_dir/ids" >"$list_scope"
    ;;
esac

# Current row counts of the tables to load, for the plan (read by this superuser, so RLS does not hide rows).
live_rows=$(pf_psql -At -F $'\t' <<SQL
CREATE TEMP TABLE pf_check (schema_name text, table_name text);
$(copy_block pf_check "$(copy_escape <"$scope_tables")")
SELECT pg_catalog.format('%I.%I', schema_name, table_name),
       CASE WHEN pg_catalog.to_regclass(pg_catalog.format('%I.%I', schema_name, table_name)) IS NULL THEN 'absent'
            ELSE (pg_catalog.xpath('/row/n/text()', pg_catalog.query_to_xml(
                   pg_catalog.format('SELECT count(*) AS n FROM %I.%I', schema_name, table_name), false, true, '')))[1]::text END
  FROM pf_check ORDER BY 1;
SQL
)

print_plan() {
  local line
  printf 'Restore plan\n'
  printf '  archive:        %s\n' "$archive"
  printf '  target:         database %s on %s:%s as %s\n' "$PF_DB" "$PF_HOST" "$PF_DIALLED_PORT" "$PF_USER"
  printf '  strategy:       %s\n' "$strategy"
  case $strategy in
    replace-all)
      printf '  drop+recreate:  %s\n' "$(grep -vx public <<<"$scope" | tr '\n' ' ')"
      if grep -qx public <<<"$scope"; then
        printf '  public:         kept; its archived objects are dropped and recreated (--clean --if-exists)\n'
      fi
      ;;
    recreate-schema) printf '  recreate:       schema %s (%s archive entries), %s missing dependent object(s) in other schemas\n' "$schema" "$(grep -cv '^;' "$list_scope" || true)" "$(grep -cv '^;' "$list_dependents" || true)" ;;
    replace-data) printf '  replace data:   %s (structure kept)\n' "$(tr '\n' ' ' <<<"$scope")" ;;
  esac
  if [[ -n $missing_roles ]]; then
    printf '  create roles:   %s(no password; set one for LOGIN roles)\n' "$(cut -f 1 <<<"$missing_roles" | tr '\n' ' ')"
  fi
  if [[ $safety_backup == 1 ]]; then
    printf '  safety backup:  full backup of %s into %s first\n' "$PF_DB" "$safety_dir"
  else
    printf '  safety backup:  SKIPPED (--no-safety-backup)\n'
  fi
  printf '  tables (rows now -> rows after):\n'
  LC_ALL=C join -t $'\t' -a 2 -e absent -o 0,1.2,2.2 <(LC_ALL=C sort <<<"$live_rows") "$archive_rows" |
    while IFS=$'\t' read -r table now after; do
      if grep -qxF -- "$table" <<<"$(cut -f 1 <<<"$live_rows")"; then
        printf '    %-55s %8s -> %s\n' "$table" "$now" "$after"
      fi
    done
  if [[ -s $list_dependents ]]; then
    printf '  dependent objects put back:\n'
    while IFS= read -r line; do printf '    %s\n' "$line"; done < <(grep -v '^;' "$list_dependents")
  fi
}
print_plan

if [[ $dry_run == 1 ]]; then
  pf_info "dry run: nothing was changed"
  pf_exit 0
fi

# --- 3. confirmation ---------------------------------------------------------------------------------------

if [[ $assume_yes == 1 ]]; then
  pf_info "confirmed by --yes"
elif [[ -t 0 ]]; then
  printf 'This replaces data in database %s on %s:%s. Type the database name to continue: ' "$PF_DB" "$PF_HOST" "$PF_DIALLED_PORT" >&2
  answer=''
  read -r answer || true
  [[ $answer == "$PF_DB" ]] || pf_die "$EXIT_NOT_CONFIRMED" "not confirmed: nothing was changed"
else
  pf_die "$EXIT_NOT_CONFIRMED" "refusing to restore without confirmation: pass --yes (stdin is not a terminal). Nothing was changed"
fi

# --- 4. safety backup --------------------------------------------------------------------------------------

if [[ $safety_backup == 1 ]]; then
  safety_args=(full --dir "$safety_dir" --tag pre-restore --retention-days 0 --lock-wait 600)
  [[ $url_from_option == 1 ]] && safety_args+=(--url "$url")
  [[ $allow_port_mapping == 1 ]] && safety_args+=(--allow-port-mapping)
  pf_info "taking a safety backup of $PF_DB before restoring"
  safety_status=0
  safety_output=$("$SCRIPT_DIR/backup.sh" "${safety_args[@]}") || safety_status=$?
  if [[ $safety_status != 0 ]]; then
    pf_die "$EXIT_SAFETY_BACKUP" "safety backup failed (backup.sh exit code $safety_status): nothing was changed"
  fi
  safety_archive=$(tail -n 1 <<<"$safety_output")
  pf_info "safety backup: $safety_archive"
else
  safety_archive=''
  pf_warn "no safety backup taken (--no-safety-backup)"
fi

# --- 5. restore and validate in one transaction ------------------------------------------------------------

# Loads a manifest section (already COPY text, as backup.sh wrote it) into a temporary table.
copy_section() {
  local table=$1 section=$2 data=''
  [[ -n $manifest ]] && data=$(pf_manifest_section "$manifest" "$section")
  copy_block "$table" "$data"
}

# pg_restore's script header resets lock_timeout to 0 (wait forever); keep ours instead.
restore_stream() {
  pg_restore "$@" --file=- "$archive" | awk -v lt="$lock_timeout" 'NR <= 40 && $0 == "SET lock_timeout = 0;" { print "SET lock_timeout = '\''" lt "'\'';"; next } { print }'
}

has_manifest_sql=false
[[ -n $manifest ]] && has_manifest_sql=true
relation_columns='schema_name text, relation_name text, kind text, owner text, rls text, force_rls text, policy_names text, policies_md5 text, triggers_md5 text, constraints_md5 text, indexes_md5 text, acl text'

generate_script() {
  cat <<SQL
BEGIN;
SET LOCAL lock_timeout = '$lock_timeout';
SET LOCAL statement_timeout = 0;
SET LOCAL client_min_messages = warning;
SET search_path = '';
CREATE TEMP TABLE pf_actions (message text NOT NULL);
CREATE TEMP TABLE pf_settings (strategy text NOT NULL, has_manifest boolean NOT NULL);
INSERT INTO pg_temp.pf_settings VALUES ('$strategy', $has_manifest_sql);
CREATE TEMP TABLE pf_scope (schema_name text NOT NULL);
$(copy_block pf_scope "$(copy_escape <<<"$scope")")
CREATE TEMP TABLE pf_expect_rows (qualified text NOT NULL, n bigint NOT NULL);
$(copy_block pf_expect_rows "$(copy_escape <"$archive_rows")")
CREATE TEMP TABLE pf_expect_rls (schema_name text NOT NULL, table_name text NOT NULL, force_rls boolean NOT NULL);
$(copy_block pf_expect_rls "$(copy_escape <"$work_dir/archive-rls.tsv")")
CREATE TEMP TABLE pf_expect_roles (rolname text, rolsuper text, rolinherit text, rolcreaterole text, rolcreatedb text, rolcanlogin text, rolreplication text, rolbypassrls text, rolconnlimit text);
$(copy_section pf_expect_roles roles)
CREATE TEMP TABLE pf_expect_memberships (role_name text, member_name text, admin_option text);
$(copy_section pf_expect_memberships memberships)
CREATE TEMP TABLE pf_expect_database_acl (grantee text, privilege text, grantable text);
$(copy_section pf_expect_database_acl database_acl)
CREATE TEMP TABLE pf_expect_schemas (schema_name text, owner text, acl text);
$(copy_section pf_expect_schemas schemas)
CREATE TEMP TABLE pf_expect_relations ($relation_columns);
$(copy_section pf_expect_relations relations)
CREATE TEMP TABLE pf_expect_functions (schema_name text, signature text, owner text, security_definer text, config text, source_md5 text, acl text);
$(copy_section pf_expect_functions functions)
CREATE FUNCTION pg_temp.pf_in_scope(p_schema text) RETURNS boolean LANGUAGE sql STABLE
  AS \$\$ SELECT (SELECT strategy FROM pg_temp.pf_settings) = 'replace-all' OR p_schema IN (SELECT schema_name FROM pg_temp.pf_scope) \$\$;

-- Roles the database needs (owners, grantees, policy roles) that this cluster lacks, and their memberships.
DO \$\$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT e.* FROM pg_temp.pf_expect_roles e
            WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = e.rolname) AND e.rolsuper = 'false' LOOP
    EXECUTE pg_catalog.format('CREATE ROLE %I WITH %s %s %s %s %s %s CONNECTION LIMIT %s', r.rolname,
      CASE WHEN r.rolinherit = 'true' THEN 'INHERIT' ELSE 'NOINHERIT' END,
      CASE WHEN r.rolcreaterole = 'true' THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END,
      CASE WHEN r.rolcreatedb = 'true' THEN 'CREATEDB' ELSE 'NOCREATEDB' END,
      CASE WHEN r.rolcanlogin = 'true' THEN 'LOGIN' ELSE 'NOLOGIN' END,
      CASE WHEN r.rolreplication = 'true' THEN 'REPLICATION' ELSE 'NOREPLICATION' END,
      CASE WHEN r.rolbypassrls = 'true' THEN 'BYPASSRLS' ELSE 'NOBYPASSRLS' END,
      r.rolconnlimit::int);
    INSERT INTO pg_temp.pf_actions VALUES (pg_catalog.format('created role %s (no password)', r.rolname));
  END LOOP;
  FOR r IN SELECT m.* FROM pg_temp.pf_expect_memberships m
            WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = m.role_name)
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = m.member_name)
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members am
                                JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
                                JOIN pg_catalog.pg_roles u ON u.oid = am.member
                               WHERE g.rolname = m.role_name AND u.rolname = m.member_name) LOOP
    EXECUTE pg_catalog.format('GRANT %I TO %I%s', r.role_name, r.member_name,
      CASE WHEN r.admin_option = 'true' THEN ' WITH ADMIN OPTION' ELSE '' END);
    INSERT INTO pg_temp.pf_actions VALUES (pg_catalog.format('granted role %s to %s', r.role_name, r.member_name));
  END LOOP;
END
\$\$;
SQL

  case $strategy in
    replace-all)
      cat <<'SQL'
-- Drop every schema of the archive (public excepted: initdb owns it and --clean handles its objects), with
-- CASCADE so objects created after the backup do not block the restore. DROP does not fire the audit log's
-- append-only triggers (those guard UPDATE, DELETE and TRUNCATE); the archived audit rows come back by COPY
-- before any trigger exists again.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT s.schema_name FROM pg_temp.pf_scope s
            WHERE s.schema_name <> 'public'
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = s.schema_name) LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA %I CASCADE', r.schema_name);
    INSERT INTO pg_temp.pf_actions VALUES (pg_catalog.format('dropped schema %s', r.schema_name));
  END LOOP;
END
$$;
SQL
      restore_stream --clean --if-exists || exit 1
      cat <<'SQL'
SET search_path = '';
-- Database-level privileges live outside pg_dump's archive (without --create): grant back what the manifest had,
-- except the archived database owner's own (the target may have another owner).
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT e.grantee, e.privilege FROM pg_temp.pf_expect_database_acl e
            WHERE e.grantee IS DISTINCT FROM (SELECT pg_catalog.pg_get_userbyid(d.datdba)::text FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
              AND (e.grantee = 'PUBLIC' OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = e.grantee))
              AND NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_database d,
                       pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
                 WHERE d.datname = pg_catalog.current_database() AND a.privilege_type = e.privilege
                   AND CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END = e.grantee) LOOP
    EXECUTE pg_catalog.format('GRANT %s ON DATABASE %I TO %s', r.privilege, pg_catalog.current_database(),
      CASE WHEN r.grantee = 'PUBLIC' THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.grantee) END);
    INSERT INTO pg_temp.pf_actions VALUES (pg_catalog.format('granted %s on database to %s', r.privilege, r.grantee));
  END LOOP;
END
$$;
SQL
      ;;
    recreate-schema)
      restore_stream --use-list="$list_scope" || exit 1
      if [[ -s $list_dependents ]]; then
        restore_stream --use-list="$list_dependents" || exit 1
      fi
      printf "SET search_path = '';\n"
      ;;
    replace-data)
      cat <<SQL
CREATE TEMP TABLE pf_scope_tables (schema_name text NOT NULL, table_name text NOT NULL);
$(copy_block pf_scope_tables "$(copy_escape <"$scope_tables")")
CREATE TEMP TABLE pf_scope_oids AS
  SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', schema_name, table_name)) AS rel FROM pg_temp.pf_scope_tables;
SQL
      cat <<'SQL'
DO $$
DECLARE
  r record;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_temp.pf_scope_oids WHERE rel IS NULL) THEN
    RAISE EXCEPTION 'a table to reload disappeared since the plan was made';
  END IF;
  FOR r IN SELECT rel FROM pg_temp.pf_scope_oids LOOP
    EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', r.rel);
  END LOOP;
END
$$;
-- Foreign keys into and out of the reloaded tables are dropped and added back afterwards: adding them back
-- re-checks every row, so a reload that breaks a reference from another schema fails and rolls back.
CREATE TEMP TABLE pf_saved_fks AS
  SELECT k.conrelid::pg_catalog.regclass::text AS rel, k.conname::text AS conname, pg_catalog.pg_get_constraintdef(k.oid) AS def
    FROM pg_catalog.pg_constraint k
   WHERE k.contype = 'f'
     AND (k.conrelid IN (SELECT rel FROM pg_temp.pf_scope_oids) OR k.confrelid IN (SELECT rel FROM pg_temp.pf_scope_oids));
-- User triggers (the audit capture, the audit log's append-only guard, the one-owner check) stay off while
-- the archived rows go back: a reload is not a change to audit, and the archived audit rows are the record.
CREATE TEMP TABLE pf_saved_triggers AS
  SELECT t.tgrelid::pg_catalog.regclass::text AS rel, t.tgname::text AS tgname, t.tgenabled::text AS enabled
    FROM pg_catalog.pg_trigger t
   WHERE t.tgrelid IN (SELECT rel FROM pg_temp.pf_scope_oids) AND NOT t.tgisinternal AND t.tgenabled <> 'D';
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM pg_temp.pf_saved_fks LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
  END LOOP;
  FOR r IN SELECT * FROM pg_temp.pf_saved_triggers LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', r.rel, r.tgname);
  END LOOP;
  EXECUTE 'TRUNCATE TABLE ' || (SELECT pg_catalog.string_agg(rel::text, ', ') FROM pg_temp.pf_scope_oids);
  INSERT INTO pg_temp.pf_actions
    SELECT pg_catalog.format('emptied %s tables for reload', count(*)) FROM pg_temp.pf_scope_oids;
END
$$;
SQL
      if [[ $has_acl == 1 ]]; then
        cat <<'SQL'
-- Privileges of the schema, its tables and sequences go back to exactly the archived ones: revoke every
-- grant except the owner's, then the archive's ACL entries grant what was there.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass::text AS rel, CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
            WHERE n.nspname IN (SELECT schema_name FROM pg_temp.pf_scope) AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
              AND a.grantee <> c.relowner LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON %s %s FROM %s CASCADE', r.kind, r.rel, r.grantee);
  END LOOP;
  FOR r IN SELECT DISTINCT c.oid::pg_catalog.regclass::text AS rel, att.attname::text AS col,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
             FROM pg_catalog.pg_class c
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
            CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
            WHERE n.nspname IN (SELECT schema_name FROM pg_temp.pf_scope) AND a.grantee <> c.relowner LOOP
    EXECUTE pg_catalog.format('REVOKE ALL (%I) ON TABLE %s FROM %s CASCADE', r.col, r.rel, r.grantee);
  END LOOP;
  FOR r IN SELECT n.nspname::text AS nsp,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
             FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
            WHERE n.nspname IN (SELECT schema_name FROM pg_temp.pf_scope) AND a.grantee <> n.nspowner LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA %I FROM %s CASCADE', r.nsp, r.grantee);
  END LOOP;
END
$$;
SQL
      fi
      restore_stream --use-list="$list_scope" || exit 1
      cat <<'SQL'
SET search_path = '';
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM pg_temp.pf_saved_triggers LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE %s TRIGGER %I', r.rel,
      CASE r.enabled WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END, r.tgname);
  END LOOP;
  FOR r IN SELECT * FROM pg_temp.pf_saved_fks LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.rel, r.conname, r.def);
  END LOOP;
  INSERT INTO pg_temp.pf_actions
    SELECT pg_catalog.format('re-enabled %s triggers, re-checked %s foreign keys',
                             (SELECT count(*) FROM pg_temp.pf_saved_triggers), (SELECT count(*) FROM pg_temp.pf_saved_fks));
END
$$;
SQL
      ;;
  esac

  cat <<SQL
CREATE TEMP TABLE pf_actual_relations AS $(pf_sql_relation_facts);
CREATE TEMP TABLE pf_actual_functions AS $(pf_sql_function_facts);
CREATE TEMP TABLE pf_actual_schemas AS $(pf_sql_schema_facts);
SQL
  cat <<'SQL'
CREATE TEMP TABLE pf_actual_rows (qualified text NOT NULL, n bigint);
DO $$
DECLARE
  r record;
  v_count bigint;
BEGIN
  FOR r IN SELECT e.qualified FROM pg_temp.pf_expect_rows e
            WHERE pg_temp.pf_in_scope((pg_catalog.parse_ident(e.qualified))[1]) LOOP
    IF pg_catalog.to_regclass(r.qualified) IS NULL THEN
      INSERT INTO pg_temp.pf_actual_rows VALUES (r.qualified, NULL);
    ELSE
      EXECUTE 'SELECT count(*) FROM ' || r.qualified INTO v_count;
      INSERT INTO pg_temp.pf_actual_rows VALUES (r.qualified, v_count);
    END IF;
  END LOOP;
END
$$;

-- Every difference from the archive and its manifest. hard = rolls the restore back. Inside the restored
-- scope everything must match; outside it (a one-schema restore) only row-level security is non-negotiable.
CREATE TEMP TABLE pf_problems (hard boolean NOT NULL, message text NOT NULL);
INSERT INTO pg_temp.pf_problems
SELECT true, pg_catalog.format('%s: %s rows after restore, %s in the archive', e.qualified, coalesce(a.n::text, 'table missing'), e.n)
  FROM pg_temp.pf_expect_rows e JOIN pg_temp.pf_actual_rows a USING (qualified)
 WHERE a.n IS DISTINCT FROM e.n;
INSERT INTO pg_temp.pf_problems
SELECT true, pg_catalog.format('%I.%I: row-level security %s', e.schema_name, e.table_name,
         CASE WHEN c.oid IS NULL THEN 'table missing' WHEN NOT c.relrowsecurity THEN 'not enabled' ELSE 'not forced' END)
  FROM pg_temp.pf_expect_rls e
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = e.schema_name
  LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = e.table_name
 WHERE (c.oid IS NULL AND pg_temp.pf_in_scope(e.schema_name))
    OR (c.oid IS NOT NULL AND (NOT c.relrowsecurity OR (e.force_rls AND NOT c.relforcerowsecurity)));
INSERT INTO pg_temp.pf_problems
SELECT pg_temp.pf_in_scope(e.schema_name), pg_catalog.format('relation %I.%I is missing', e.schema_name, e.relation_name)
  FROM pg_temp.pf_expect_relations e
  LEFT JOIN pg_temp.pf_actual_relations a USING (schema_name, relation_name)
 WHERE a.relation_name IS NULL;
INSERT INTO pg_temp.pf_problems
SELECT CASE WHEN d.what IN ('row-level security weakened', 'policies missing') THEN true ELSE pg_temp.pf_in_scope(e.schema_name) END,
       pg_catalog.format('%I.%I: %s', e.schema_name, e.relation_name, d.what)
  FROM pg_temp.pf_expect_relations e
  JOIN pg_temp.pf_actual_relations a USING (schema_name, relation_name)
 CROSS JOIN LATERAL (VALUES
   (CASE WHEN e.kind <> a.kind THEN 'kind differs' END),
   (CASE WHEN e.owner <> a.owner THEN pg_catalog.format('owner %s, expected %s', a.owner, e.owner) END),
   (CASE WHEN (e.rls = 'true' AND a.rls = 'false') OR (e.force_rls = 'true' AND a.force_rls = 'false') THEN 'row-level security weakened'
         WHEN e.rls <> a.rls OR e.force_rls <> a.force_rls THEN 'row-level security flags differ' END),
   (CASE WHEN NOT pg_catalog.string_to_array(e.policy_names, ',') <@ pg_catalog.string_to_array(a.policy_names, ',') THEN 'policies missing'
         WHEN e.policies_md5 <> a.policies_md5 THEN 'policies differ' END),
   (CASE WHEN e.triggers_md5 <> a.triggers_md5 THEN 'triggers differ' END),
   (CASE WHEN e.constraints_md5 <> a.constraints_md5 THEN 'constraints differ' END),
   (CASE WHEN e.indexes_md5 <> a.indexes_md5 THEN 'indexes differ' END),
   (CASE WHEN e.acl <> a.acl THEN pg_catalog.format('privileges differ: now %s, archived %s', a.acl, e.acl) END)
 ) AS d(what)
 WHERE d.what IS NOT NULL;
INSERT INTO pg_temp.pf_problems
SELECT false, pg_catalog.format('relation %I.%I is not in the archive (left as it was)', a.schema_name, a.relation_name)
  FROM pg_temp.pf_actual_relations a
  LEFT JOIN pg_temp.pf_expect_relations e USING (schema_name, relation_name)
 WHERE e.relation_name IS NULL AND (SELECT has_manifest FROM pg_temp.pf_settings) AND pg_temp.pf_in_scope(a.schema_name);
INSERT INTO pg_temp.pf_problems
SELECT pg_temp.pf_in_scope(e.schema_name),
       pg_catalog.format('function %s: %s', e.signature, CASE WHEN a.signature IS NULL THEN 'missing'
         WHEN e.owner <> a.owner THEN 'owner differs' WHEN e.security_definer <> a.security_definer THEN 'SECURITY DEFINER differs'
         WHEN e.config <> a.config THEN 'settings differ' WHEN e.source_md5 <> a.source_md5 THEN 'body differs'
         ELSE pg_catalog.format('privileges differ: now %s, archived %s', a.acl, e.acl) END)
  FROM pg_temp.pf_expect_functions e
  LEFT JOIN pg_temp.pf_actual_functions a USING (schema_name, signature)
 WHERE a.signature IS NULL OR (e.owner, e.security_definer, e.config, e.source_md5, e.acl) IS DISTINCT FROM (a.owner, a.security_definer, a.config, a.source_md5, a.acl);
INSERT INTO pg_temp.pf_problems
SELECT pg_temp.pf_in_scope(e.schema_name),
       pg_catalog.format('schema %I: %s', e.schema_name, CASE WHEN a.schema_name IS NULL THEN 'missing'
         WHEN e.owner <> a.owner THEN 'owner differs' ELSE pg_catalog.format('privileges differ: now %s, archived %s', a.acl, e.acl) END)
  FROM pg_temp.pf_expect_schemas e
  LEFT JOIN pg_temp.pf_actual_schemas a USING (schema_name)
 WHERE a.schema_name IS NULL OR (e.owner, e.acl) IS DISTINCT FROM (a.owner, a.acl);
INSERT INTO pg_temp.pf_problems
SELECT CASE WHEN r.rolname IS NULL OR (e.rolsuper = 'false' AND r.rolsuper) OR (e.rolbypassrls = 'false' AND r.rolbypassrls) THEN true ELSE false END,
       pg_catalog.format('role %s: %s', e.rolname, CASE WHEN r.rolname IS NULL THEN 'missing'
         WHEN e.rolsuper = 'false' AND r.rolsuper THEN 'is now SUPERUSER (row-level security would not apply to it)'
         WHEN e.rolbypassrls = 'false' AND r.rolbypassrls THEN 'is now BYPASSRLS (row-level security would not apply to it)'
         ELSE 'attributes differ from the archive' END)
  FROM pg_temp.pf_expect_roles e
  LEFT JOIN pg_catalog.pg_roles r ON r.rolname = e.rolname
 WHERE r.rolname IS NULL
    OR (e.rolsuper, e.rolinherit, e.rolcreaterole, e.rolcreatedb, e.rolcanlogin, e.rolreplication, e.rolbypassrls, e.rolconnlimit)
       IS DISTINCT FROM (r.rolsuper::text, r.rolinherit::text, r.rolcreaterole::text, r.rolcreatedb::text, r.rolcanlogin::text,
                         r.rolreplication::text, r.rolbypassrls::text, r.rolconnlimit::text);
INSERT INTO pg_temp.pf_problems
SELECT true, pg_catalog.format('role %s is no longer granted to %s', m.role_name, m.member_name)
  FROM pg_temp.pf_expect_memberships m
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members am
                     JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
                     JOIN pg_catalog.pg_roles u ON u.oid = am.member
                    WHERE g.rolname = m.role_name AND u.rolname = m.member_name);
INSERT INTO pg_temp.pf_problems
SELECT EXISTS (SELECT 1 FROM pg_temp.pf_expect_rows WHERE qualified = 'public.pgmigrations'),
       'the migrations table public.pgmigrations is missing'
 WHERE pg_catalog.to_regclass('public.pgmigrations') IS NULL;

DO $$
DECLARE
  r record;
  v_hard int := 0;
  v_message text := '';
BEGIN
  FOR r IN SELECT * FROM pg_temp.pf_problems ORDER BY hard DESC, message LOOP
    IF r.hard THEN
      v_hard := v_hard + 1;
      IF v_hard <= 30 THEN
        v_message := v_message || E'\n  - ' || r.message;
      END IF;
    ELSE
      RAISE WARNING 'restore validation (not blocking): %', r.message;
    END IF;
  END LOOP;
  IF v_hard > 0 THEN
    RAISE EXCEPTION 'restore validation failed: % problem(s), rolling back%', v_hard, v_message USING ERRCODE = 'PF900';
  END IF;
END
$$;
SELECT 'pf-action: ' || message FROM pg_temp.pf_actions;
SELECT 'pf-checked: ' || pg_catalog.format('%s tables with row counts, %s relations, %s functions, %s schemas, %s roles',
  (SELECT count(*) FROM pg_temp.pf_actual_rows), (SELECT count(*) FROM pg_temp.pf_expect_relations),
  (SELECT count(*) FROM pg_temp.pf_expect_functions), (SELECT count(*) FROM pg_temp.pf_expect_schemas),
  (SELECT count(*) FROM pg_temp.pf_expect_roles));
COMMIT;
SQL
}

# Row-level security as the archive itself declares it (independent of the manifest): ENABLE and FORCE lines.
pg_restore --schema-only --file=- "$archive" | LC_ALL=C awk '
  /^ALTER TABLE .* ENABLE ROW LEVEL SECURITY;$/ { t = $3; if (t == "ONLY") t = $4; rls[t] = 1 }
  /^ALTER TABLE .* FORCE ROW LEVEL SECURITY;$/ { t = $3; if (t == "ONLY") t = $4; force[t] = 1 }
  END { for (t in rls) { split(t, p, "."); gsub(/"/, "", p[1]); gsub(/"/, "", p[2]); print p[1] "\t" p[2] "\t" ((t in force) ? "true" : "false") } }
' >"$work_dir/archive-rls.tsv"

pf_info "restoring ($strategy) in one transaction"
started=$SECONDS
set +e
generate_script | pf_psql -At >"$work_dir/psql.out" 2>"$work_dir/psql.err"
statuses=("${PIPESTATUS[@]}")
set -e
if [[ ${statuses[1]} != 0 ]] || [[ ${statuses[0]} != 0 ]] || ! grep -q '^pf-checked: ' "$work_dir/psql.out"; then
  pf_log_file ERROR "$work_dir/psql.err" 'psql: '
  if grep -q 'restore validation failed' "$work_dir/psql.err"; then
    pf_die "$EXIT_VALIDATION" "post-restore validation failed: the transaction was rolled back and $PF_DB is unchanged${safety_archive:+ (safety backup: $safety_archive)}"
  fi
  pf_die "$EXIT_RESTORE" "restore failed: the transaction was rolled back and $PF_DB is unchanged${safety_archive:+ (safety backup: $safety_archive)}"
fi
pf_log_file WARN "$work_dir/psql.err" 'psql: '
while IFS= read -r line; do
  case $line in
    pf-action:*) pf_info "${line#pf-action: }" ;;
    pf-checked:*) pf_info "validated: ${line#pf-checked: }" ;;
  esac
done <"$work_dir/psql.out"

summary=$(pf_psql -At -F ' ' <<<"SELECT count(*) FILTER (WHERE c.relrowsecurity AND c.relforcerowsecurity), count(*) FILTER (WHERE c.relkind IN ('r', 'p') AND NOT c.relforcerowsecurity) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_';")
read -r forced unforced <<<"$summary"
restored_rows=$(awk -F '\t' 'NR == FNR { s[$1] = 1; next } { split($1, q, "."); gsub(/"/, "", q[1]); if (q[1] in s) n += $2 } END { print n + 0 }' <(printf '%s\n' "$scope") "$archive_rows")
pf_info "restored $archive into $PF_DB in $((SECONDS - started))s: $restored_rows rows; validation passed; $forced tables with row-level security enabled and forced, $unforced without"
[[ -n $safety_archive ]] && pf_info "the state before the restore is in $safety_archive"
printf 'restored %s into %s (%s)\n' "$archive" "$PF_DB" "$strategy"
pf_exit 0
