# shellcheck shell=bash disable=SC2034
# (SC2034: the constants and PF_* variables here are read by the scripts that source this file.)
# Shared by backup.sh and restore.sh: logging, connection checks, archive inspection and the catalogue
# "facts" both scripts compare (the manifest written at backup time is checked against the same queries after
# a restore). Sourced, never executed.

# File names the scripts own. backup.sh writes only these, and retention deletes only these:
#   pfbackup_<database>_<kind>_<YYYYmmddTHHMMSSZ>.{dump,manifest,roles.sql,sha256}[.partial]
# <database> and <kind> never contain "_" (other characters become "-"), so the pattern is unambiguous.
readonly PF_BACKUP_PREFIX='pfbackup'
readonly PF_BACKUP_FILE_REGEX='^pfbackup_[A-Za-z0-9-]+_[A-Za-z0-9-]+_[0-9]{8}T[0-9]{6}Z\.(dump|manifest|roles\.sql|sha256)(\.partial)?$'
readonly PF_MANIFEST_HEADER='# prospectflow backup manifest v1'

PF_LOG_NAME=${PF_LOG_NAME:-$(basename "$0")}

pf_log() {
  local level=$1
  shift
  printf '%s %s[%d] %-5s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PF_LOG_NAME" "$$" "$level" "$*" >&2
}
pf_info() { pf_log INFO "$@"; }
pf_warn() { pf_log WARN "$@"; }
pf_error() { pf_log ERROR "$@"; }

# Exit codes are part of the scripts' contract (cron alerts on them), so every deliberate exit goes through
# pf_exit, and the EXIT trap turns any other non-zero exit (a command failing under set -e) into 1.
PF_EXPECTED_EXIT=0
pf_exit() {
  PF_EXPECTED_EXIT=1
  exit "$1"
}
pf_die() {
  local code=$1
  shift
  pf_error "$@"
  pf_exit "$code"
}
# Call first thing in the EXIT trap with the status; prints the status the script must end with.
pf_final_status() {
  local status=$1
  if [[ $status != 0 && $PF_EXPECTED_EXIT != 1 ]]; then
    pf_error "unexpected failure (a command exited with status $status); see the messages above"
    printf '1'
  else
    printf '%s' "$status"
  fi
}

# Logs each line of a file (psql or pg_dump stderr) under our timestamped format.
pf_log_file() {
  local level=$1 file=$2 prefix=$3 line
  [[ -s $file ]] || return 0
  while IFS= read -r line; do
    pf_log "$level" "$prefix$line"
  done <"$file"
}

pf_require_tools() {
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]} > 0)); then
    pf_error "missing required tools: ${missing[*]}"
    return 1
  fi
}

# Slug for file names: anything outside [A-Za-z0-9-] becomes "-", so "_" stays a field separator.
pf_slug() {
  local value=$1
  value=${value//[^A-Za-z0-9-]/-}
  printf '%s' "${value:0:60}"
}

pf_is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# --- connection ------------------------------------------------------------------------------------------

# PF_CONN holds the connection arguments every client tool gets: a URL (--url or DATABASE_URL) as --dbname,
# or nothing, in which case libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD (or ~/.pgpass).
PF_CONN=()
PF_CONN_SOURCE=''

pf_conn_init() {
  local url=$1
  if [[ -n $url ]]; then
    PF_CONN=("--dbname=$url")
    PF_CONN_SOURCE='connection URL'
  else
    if [[ -z ${PGDATABASE:-} ]]; then
      return 1
    fi
    PF_CONN=()
    PF_CONN_SOURCE='PG* environment variables'
  fi
}

# -w: never prompt for a password (cron has no terminal); -X: no ~/.psqlrc surprises.
pf_psql() {
  psql -X -w -q -v ON_ERROR_STOP=1 "${PF_CONN[@]}" "$@"
}

# Facts about the session: who we are, where we landed and what the server says its port is.
# Sets PF_DB PF_USER PF_HOST PF_DIALLED_PORT PF_SERVER_PORT PF_IS_SUPERUSER PF_IS_BYPASSRLS PF_SERVER_VERSION.
pf_session_facts() {
  local out first second
  out=$(pf_psql -At -F $'\t' \
    -c "SELECT current_database(), current_user, coalesce(inet_server_port()::text, ''), r.rolsuper, r.rolbypassrls, current_setting('server_version_num') FROM pg_catalog.pg_roles r WHERE r.rolname = current_user" \
    -c '\echo :HOST :PORT') || return 1
  first=$(sed -n 1p <<<"$out")
  second=$(sed -n 2p <<<"$out")
  IFS=$'\t' read -r PF_DB PF_USER PF_SERVER_PORT PF_IS_SUPERUSER PF_IS_BYPASSRLS PF_SERVER_VERSION <<<"$first"
  read -r PF_HOST PF_DIALLED_PORT <<<"$second"
  export PF_DB PF_USER PF_HOST PF_DIALLED_PORT PF_SERVER_PORT PF_IS_SUPERUSER PF_IS_BYPASSRLS PF_SERVER_VERSION
}

# pgBouncer forwards to PostgreSQL's own port, so inet_server_port() differs from the port we dialled. Dumps and
# restores need one real session (snapshots, session settings, long transactions): never through the pooler.
# Returns 0 when direct, 1 when it looks like a pooler (after logging why).
pf_check_direct_connection() {
  local allow_port_mapping=$1
  if [[ -z $PF_SERVER_PORT ]]; then
    pf_info "connected over a Unix socket ($PF_HOST): no port to compare; make sure the socket is PostgreSQL's, not pgBouncer's"
    return 0
  fi
  if [[ $PF_SERVER_PORT == "$PF_DIALLED_PORT" ]]; then
    return 0
  fi
  if [[ $PF_DIALLED_PORT == 6432 ]]; then
    pf_error "dialled port 6432 (pgBouncer's) but the server runs on $PF_SERVER_PORT: this is the pooler; connect to PostgreSQL directly"
    return 1
  fi
  if [[ $allow_port_mapping == 1 ]]; then
    pf_warn "dialled port $PF_DIALLED_PORT but the server reports $PF_SERVER_PORT; accepted because --allow-port-mapping says this is a container port mapping"
    return 0
  fi
  pf_error "dialled port $PF_DIALLED_PORT but the server reports port $PF_SERVER_PORT: this looks like pgBouncer. Connect to PostgreSQL directly, or pass --allow-port-mapping if a container maps the port"
  return 1
}

# --- archives --------------------------------------------------------------------------------------------

# The sidecar files of an archive: <base>.dump -> <base>.manifest, <base>.roles.sql, <base>.sha256.
pf_archive_base() {
  local archive=$1
  printf '%s' "${archive%.dump}"
}

# Reads the whole archive (every compressed block, not just the table of contents) and prints one line
# "<qualified table><TAB><rows>" per table data section. A truncated or corrupted archive makes pg_restore fail,
# and with pipefail so does this function. COPY text format escapes newlines, so one line is one row.
pf_archive_row_counts() {
  local archive=$1
  pg_restore --file=- "$archive" | LC_ALL=C awk '
    /^-- Data for Name: .*; Type: TABLE DATA; / { expect = 1; next }
    expect && /^COPY .* FROM stdin;$/ {
      name = substr($0, 6)
      cut = index(name, " (")
      if (cut == 0) cut = index(name, " FROM stdin;")
      table = substr(name, 1, cut - 1)
      inside = 1; expect = 0; rows = 0
      next
    }
    inside {
      if ($0 == "\\.") { printf "%s\t%d\n", table, rows; inside = 0 } else rows++
      next
    }
    END { if (inside) exit 3 }
  ' | LC_ALL=C sort
}

# Table of contents as "<id><TAB><desc><TAB><namespace><TAB><tag and owner>", from `pg_restore --list`.
# The description can be several words ("TABLE DATA", "FK CONSTRAINT"), which is why this is not a plain split.
pf_archive_toc() {
  local archive=$1
  pg_restore --list "$archive" | LC_ALL=C awk '
    BEGIN {
      n = split("TABLE DATA|SEQUENCE SET|SEQUENCE OWNED BY|FK CONSTRAINT|CHECK CONSTRAINT|ROW SECURITY|DEFAULT ACL|MATERIALIZED VIEW DATA|MATERIALIZED VIEW|FOREIGN TABLE|LARGE OBJECT|BLOB METADATA|BLOBS|EVENT TRIGGER|PUBLICATION TABLES IN SCHEMA|PUBLICATION TABLE|DATABASE PROPERTIES|SHELL TYPE|TABLE ATTACH|INDEX ATTACH|USER MAPPING|FOREIGN SERVER|FOREIGN DATA WRAPPER|PROCEDURAL LANGUAGE|OPERATOR CLASS|OPERATOR FAMILY|ACCESS METHOD|TEXT SEARCH CONFIGURATION|TEXT SEARCH DICTIONARY|TEXT SEARCH PARSER|TEXT SEARCH TEMPLATE", multi, "|")
    }
    /^;/ || /^[[:space:]]*$/ { next }
    {
      id = $0; sub(/;.*/, "", id)
      rest = $0; sub(/^[0-9]+; [0-9]+ [0-9]+ /, "", rest)
      desc = ""
      for (i = 1; i <= n; i++) if (index(rest, multi[i] " ") == 1 && length(multi[i]) > length(desc)) desc = multi[i]
      if (desc == "") { desc = rest; sub(/ .*/, "", desc) }
      rest = substr(rest, length(desc) + 2)
      ns = rest; sub(/ .*/, "", ns)
      rest = substr(rest, length(ns) + 2)
      printf "%s\t%s\t%s\t%s\n", id, desc, ns, rest
    }'
}

# Whether a TOC file (pf_archive_toc's format) has an entry with this description, or with this namespace when
# the first argument is "ns". One awk that stops at the first match: never `awk … | grep -q .` under pipefail,
# where grep leaves at the first line and awk, still writing a large TOC, dies of SIGPIPE and the pipeline
# reports "not found" (that race once skipped the revoke of stale grants in a one-schema restore).
pf_toc_has() {
  local field=2 want=$1 toc=$2
  if [[ $1 == ns ]]; then
    field=3 want=$2 toc=$3
  fi
  LC_ALL=C awk -F '\t' -v f="$field" -v want="$want" '$f == want { found = 1; exit } END { exit !found }' "$toc"
}

# Prints one manifest section (the lines between "[name]" and the next "[...]" line or the end).
pf_manifest_section() {
  local manifest=$1 section=$2
  awk -v want="[$section]" '
    /^\[[a-z_]+\]$/ { on = ($0 == want); next }
    on { print }
  ' "$manifest"
}

# Prints the value of a "key<TAB>value" header line of a manifest.
pf_manifest_value() {
  local manifest=$1 key=$2
  awk -F '\t' -v key="$key" '/^\[/ { exit } $1 == key { print $2; exit }' "$manifest"
}

# --- catalogue facts -------------------------------------------------------------------------------------
# Each query returns text columns only, so COPY TO at backup time and the same query after a restore produce
# strings that compare equal. Both sides run with search_path = '' so pg_get_*def() qualify every name the
# same way. Extension members (citext's functions) are left out: the extension owns them.

# "grantee=privilege[*]" for every entry of an ACL (grantor ignored: a restore re-grants as the owner).
pf_sql_acl() {
  local acl_expr=$1
  printf "coalesce((SELECT pg_catalog.string_agg(s.x, ',' ORDER BY s.x) FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END || '=' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS x FROM pg_catalog.aclexplode(%s) AS a) AS s), '')" "$acl_expr"
}

pf_sql_not_extension_member() {
  local classid=$1 objid=$2
  printf "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '%s'::pg_catalog.regclass AND d.objid = %s AND d.deptype = 'e')" "$classid" "$objid"
}

readonly PF_SQL_USER_SCHEMA="n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"

# Relations: owner, RLS flags, policies, triggers, constraints, indexes and privileges (column grants too).
pf_sql_relation_facts() {
  cat <<SQL
SELECT n.nspname::text AS schema_name,
       c.relname::text AS relation_name,
       c.relkind::text AS kind,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       c.relrowsecurity::text AS rls,
       c.relforcerowsecurity::text AS force_rls,
       coalesce((SELECT pg_catalog.string_agg(p.polname::text, ',' ORDER BY p.polname) FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid), '') AS policy_names,
       pg_catalog.md5(coalesce((SELECT pg_catalog.string_agg(pg_catalog.concat_ws('|', p.polname, p.polcmd, p.polpermissive,
           (SELECT pg_catalog.string_agg(CASE WHEN r.r = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r.r)::text END, ',' ORDER BY CASE WHEN r.r = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(r.r)::text END) FROM pg_catalog.unnest(p.polroles) AS r(r)),
           pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)), E'\n' ORDER BY p.polname)
         FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid), '')) AS policies_md5,
       pg_catalog.md5(coalesce((SELECT pg_catalog.string_agg(t.tgname || '|' || t.tgenabled::text || '|' || pg_catalog.pg_get_triggerdef(t.oid), E'\n' ORDER BY t.tgname)
         FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')) AS triggers_md5,
       pg_catalog.md5(coalesce((SELECT pg_catalog.string_agg(k.conname || '|' || pg_catalog.pg_get_constraintdef(k.oid), E'\n' ORDER BY k.conname)
         FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid), '')) AS constraints_md5,
       pg_catalog.md5(coalesce((SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(i.indexrelid), E'\n' ORDER BY pg_catalog.pg_get_indexdef(i.indexrelid))
         FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid), '')) AS indexes_md5,
       $(pf_sql_acl "coalesce(c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))")
         || coalesce((SELECT pg_catalog.string_agg(s.x, '' ORDER BY s.x) FROM (
              SELECT ';' || att.attname || ':' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END
                     || '=' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END AS x
                FROM pg_catalog.pg_attribute att CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) AS a
               WHERE att.attrelid = c.oid AND att.attacl IS NOT NULL AND NOT att.attisdropped) AS s), '') AS acl
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND $PF_SQL_USER_SCHEMA
   AND $(pf_sql_not_extension_member pg_catalog.pg_class c.oid)
SQL
}

pf_sql_function_facts() {
  cat <<SQL
SELECT n.nspname::text AS schema_name,
       p.oid::pg_catalog.regprocedure::text AS signature,
       pg_catalog.pg_get_userbyid(p.proowner)::text AS owner,
       p.prosecdef::text AS security_definer,
       coalesce(pg_catalog.array_to_string(p.proconfig, ','), '') AS config,
       pg_catalog.md5(coalesce(p.prosrc, '')) AS source_md5,
       $(pf_sql_acl "coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))") AS acl
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE $PF_SQL_USER_SCHEMA
   AND $(pf_sql_not_extension_member pg_catalog.pg_proc p.oid)
SQL
}

pf_sql_schema_facts() {
  cat <<SQL
SELECT n.nspname::text AS schema_name,
       pg_catalog.pg_get_userbyid(n.nspowner)::text AS owner,
       $(pf_sql_acl "coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))") AS acl
  FROM pg_catalog.pg_namespace n
 WHERE $PF_SQL_USER_SCHEMA
   AND $(pf_sql_not_extension_member pg_catalog.pg_namespace n.oid)
SQL
}

# The roles this database depends on: owners, grantees and policy targets recorded in pg_shdepend, the database
# owner and the grantees of database privileges, plus (recursively) the roles those roles are members of.
# Predefined pg_* roles exist in every cluster and are left out.
pf_sql_needed_roles_cte() {
  cat <<'SQL'
WITH RECURSIVE this_db AS (
  SELECT d.oid, d.datdba, d.datacl FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
), seed AS (
  SELECT s.refobjid AS oid FROM pg_catalog.pg_shdepend s, this_db
   WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
     AND (s.dbid = this_db.oid OR (s.classid = 'pg_catalog.pg_database'::pg_catalog.regclass AND s.objid = this_db.oid))
  UNION SELECT this_db.datdba FROM this_db
  UNION SELECT a.grantee FROM this_db, pg_catalog.aclexplode(this_db.datacl) AS a WHERE a.grantee <> 0
), needed AS (
  SELECT seed.oid FROM seed
  UNION
  SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN needed ON m.member = needed.oid
), needed_roles AS (
  SELECT r.* FROM pg_catalog.pg_roles r WHERE r.oid IN (SELECT oid FROM needed) AND r.rolname !~ '^pg_'
)
SQL
}

pf_sql_role_facts() {
  cat <<SQL
$(pf_sql_needed_roles_cte)
SELECT r.rolname::text, r.rolsuper::text, r.rolinherit::text, r.rolcreaterole::text, r.rolcreatedb::text,
       r.rolcanlogin::text, r.rolreplication::text, r.rolbypassrls::text, r.rolconnlimit::text
  FROM needed_roles r
SQL
}

pf_sql_membership_facts() {
  cat <<SQL
$(pf_sql_needed_roles_cte)
SELECT g.rolname::text AS role_name, u.rolname::text AS member_name, m.admin_option::text AS admin_option
  FROM pg_catalog.pg_auth_members m
  JOIN needed_roles g ON g.oid = m.roleid
  JOIN needed_roles u ON u.oid = m.member
SQL
}

pf_sql_database_acl_facts() {
  cat <<'SQL'
SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END AS grantee,
       a.privilege_type::text AS privilege,
       a.is_grantable::text AS grantable
  FROM pg_catalog.pg_database d, pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) AS a
 WHERE d.datname = pg_catalog.current_database()
SQL
}
