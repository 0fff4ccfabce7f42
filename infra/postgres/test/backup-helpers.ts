import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureDebianTool, which, withAdmin } from '@prospectflow/test-harness';

export const scriptsDir = fileURLToPath(new URL('../scripts/', import.meta.url));

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs backup.sh or restore.sh the way cron does: stdin is /dev/null (not a terminal), and the environment
 * holds only what the test passes, never a DATABASE_URL or PG* variable inherited from the test process.
 */
export function runScript(
  script: 'backup.sh' | 'restore.sh',
  args: readonly string[],
  env: Record<string, string>,
): Promise<ScriptResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^(PG|DATABASE_URL$|BACKUP_)/.test(entry[0]),
    ),
  );
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(scriptsDir, script), ...args], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The libpq variables for a connection URL (the scripts' standard configuration). */
export function pgEnv(url: string): Record<string, string> {
  const parsed = new URL(url);
  const env: Record<string, string> = {
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
  };
  if (parsed.password) env['PGPASSWORD'] = decodeURIComponent(parsed.password);
  return env;
}

export function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

/** A one-off connection (the harness's helper). */
export const withClient = withAdmin;

export { which };

/** shellcheck, installed from Debian's packages when missing (as root); never skipped. */
export function ensureShellcheck(): Promise<string> {
  return ensureDebianTool({ binary: 'shellcheck', debianPackage: 'shellcheck' });
}

export interface SeededOrganisation {
  organisationId: string;
  userId: string;
}

/**
 * One organisation with rows in every tenant table of every schema, written as the superuser in one
 * transaction (the one-owner rule is checked at commit). The audit triggers add audit.audit_log rows.
 * Values include a tab, a newline and a backslash so the COPY round trip is exercised.
 */
export async function seedOrganisation(adminUrl: string, label: string): Promise<SeededOrganisation> {
  const organisationId = randomUUID();
  const userId = randomUUID();
  await withClient(adminUrl, async (client) => {
    await client.query('BEGIN');
    await client.query(
      "SELECT set_config('app.user_id', $1, true), set_config('app.correlation_id', $2, true)",
      [userId, `seed-${label}`],
    );
    await client.query(
      'INSERT INTO iam.users (id, cognito_sub, email, first_name, last_name) VALUES ($1, $2, $3, $4, $5)',
      [userId, `sub-${label}`, `owner-${label}@example.com`, 'Owner', `Of ${label}`],
    );
    await client.query('INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)', [
      organisationId,
      `Organisation ${label}`,
      `org-${label}`,
    ]);
    await client.query(
      "INSERT INTO iam.organisation_users (organisation_id, user_id, role, status) VALUES ($1, $2, 'owner', 'active')",
      [organisationId, userId],
    );
    const statements = [
      `INSERT INTO crm.companies (organisation_id, name, siren, domain)
         SELECT $1::uuid, 'Company ' || g, lpad((g * 7919)::text, 9, '0'), 'c' || g || '.example.com' FROM generate_series(1, 5) g`,
      `INSERT INTO crm.people (organisation_id, first_name, last_name)
         SELECT $1::uuid, 'First' || g, E'Last\\t' || g FROM generate_series(1, 6) g`,
      `INSERT INTO crm.positions (organisation_id, person_id, company_id, job_title, email)
         SELECT p.organisation_id, p.id, c.id, 'CEO', 'p' || row_number() OVER () || '@c.example.com'
           FROM crm.people p JOIN crm.companies c ON c.organisation_id = p.organisation_id
          WHERE p.organisation_id = $1::uuid LIMIT 4`,
      `INSERT INTO outreach.campaigns (organisation_id, name, created_by) SELECT $1::uuid, 'Campaign', id FROM iam.users WHERE cognito_sub = 'sub-${label}'`,
      `INSERT INTO outreach.prompts (organisation_id, name, body) VALUES ($1::uuid, 'Prompt', E'Hello\\nworld \\\\ o/')`,
      `INSERT INTO outreach.workflow_steps (organisation_id, campaign_id, step_order, prompt_id)
         SELECT $1::uuid, c.id, 1, p.id FROM outreach.campaigns c JOIN outreach.prompts p ON p.organisation_id = c.organisation_id WHERE c.organisation_id = $1::uuid`,
      `INSERT INTO outreach.step_experiments (organisation_id, step_id, name) SELECT $1::uuid, id, 'Experiment' FROM outreach.workflow_steps WHERE organisation_id = $1::uuid`,
      `INSERT INTO outreach.step_experiment_variants (organisation_id, experiment_id, name) SELECT $1::uuid, id, 'A' FROM outreach.step_experiments WHERE organisation_id = $1::uuid`,
      `INSERT INTO outreach.campaign_enrollments (organisation_id, campaign_id, person_id, current_step_id)
         SELECT $1::uuid, c.id, p.id, s.id FROM outreach.campaigns c
           JOIN crm.people p ON p.organisation_id = c.organisation_id
           JOIN outreach.workflow_steps s ON s.organisation_id = c.organisation_id
          WHERE c.organisation_id = $1::uuid`,
      `INSERT INTO outreach.enrollment_step_variant_assignments (organisation_id, enrollment_id, step_id, variant_id)
         SELECT $1::uuid, e.id, e.current_step_id, v.id FROM outreach.campaign_enrollments e
           JOIN outreach.step_experiment_variants v ON v.organisation_id = e.organisation_id WHERE e.organisation_id = $1::uuid`,
      `INSERT INTO outreach.tasks (organisation_id, enrollment_id, step_id, due_at, status)
         SELECT $1::uuid, id, current_step_id, now(), 'sent' FROM outreach.campaign_enrollments WHERE organisation_id = $1::uuid`,
      `INSERT INTO outreach.messages (organisation_id, enrollment_id, task_id, direction, status, subject)
         SELECT $1::uuid, enrollment_id, id, 'outbound', 'sent', 'Hi' FROM outreach.tasks WHERE organisation_id = $1::uuid`,
      `INSERT INTO tracking.pixels (organisation_id, message_id, campaign_id, token)
         SELECT $1::uuid, m.id, c.id, tracking.new_pixel_token($1::uuid) FROM outreach.messages m
           JOIN outreach.campaigns c ON c.organisation_id = m.organisation_id WHERE m.organisation_id = $1::uuid`,
      `INSERT INTO tracking.pixel_opens (organisation_id, message_id, visitor_hash) SELECT $1::uuid, id, 'visitor' FROM outreach.messages WHERE organisation_id = $1::uuid`,
      `INSERT INTO tracking.message_open_stats (organisation_id, message_id, first_open_at, last_open_at, total_opens, unique_opens)
         SELECT $1::uuid, id, now(), now(), 2, 1 FROM outreach.messages WHERE organisation_id = $1::uuid`,
      `INSERT INTO tracking.campaign_open_buckets (organisation_id, campaign_id, bucket_start, verdict, opens, unique_opens)
         SELECT $1::uuid, id, date_bin('15 minutes', now(), timestamptz '2000-01-01 00:00:00+00'), 'human', 3, 2
           FROM outreach.campaigns WHERE organisation_id = $1::uuid`,
      `INSERT INTO crm.imports (organisation_id, file_name, created_by, campaign_id)
         SELECT $1::uuid, 'file.csv', u.id, c.id FROM outreach.campaigns c, iam.users u WHERE c.organisation_id = $1::uuid AND u.cognito_sub = 'sub-${label}'`,
      `INSERT INTO crm.import_rows (organisation_id, import_id, row_number, raw)
         SELECT $1::uuid, i.id, g, ARRAY['a', E'b\\\\c'] FROM crm.imports i, generate_series(1, 3) g WHERE i.organisation_id = $1::uuid`,
      `INSERT INTO crm.import_errors (organisation_id, import_id, row_number, code, message)
         SELECT $1::uuid, id, 2, 'bad_siren', 'SIREN must have 9 digits' FROM crm.imports WHERE organisation_id = $1::uuid`,
      `UPDATE crm.companies SET brand_name = 'Brand' WHERE organisation_id = $1::uuid`,
    ];
    for (const statement of statements) await client.query(statement, [organisationId]);
    await client.query('COMMIT');
  });
  return { organisationId, userId };
}

export interface DatabaseSnapshot {
  /** "schema.table" -> row count and md5 of every row's text, ordered by primary key. */
  tables: Record<string, { rows: number; checksum: string; owner: string; rls: string }>;
  policies: string[];
  privileges: string[];
  triggers: string[];
  constraints: string[];
  indexes: string[];
  functions: string[];
  sequences: string[];
  roles: string[];
}

async function column(client: pg.Client, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await client.query<{ v: string }>(sql, params);
  return rows.map((row) => row.v);
}

const userSchema = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

/**
 * Privileges are compared as effective grants (a NULL ACL is its default), grantor ignored.
 * Everything the round trip must bring back, read independently of the scripts' own manifest: every table's
 * rows (count and content checksum), RLS flags, policies, privileges of relations, columns, functions,
 * schemas and the database, triggers, constraints, indexes, functions, sequence positions, and the given
 * roles with their attributes and memberships.
 */
export async function snapshot(adminUrl: string, roleNames: readonly string[]): Promise<DatabaseSnapshot> {
  return withClient(adminUrl, async (client) => {
    const { rows: relations } = await client.query<{
      qualified: string;
      oid: number;
      owner: string;
      rls: string;
    }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS qualified, c.oid::int AS oid,
              pg_get_userbyid(c.relowner) AS owner,
              c.relrowsecurity::text || '/' || c.relforcerowsecurity::text AS rls
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND ${userSchema} ORDER BY 1`,
    );
    const tables: DatabaseSnapshot['tables'] = {};
    for (const relation of relations) {
      const keys = await column(
        client,
        `SELECT a.attname AS v FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
        [relation.oid],
      );
      const orderBy =
        keys.length > 0
          ? keys.map((key) => `snapshot_row.${pg.escapeIdentifier(key)}`).join(', ')
          : 'snapshot_row::text';
      const { rows } = await client.query<{ rows: number; checksum: string }>(
        `SELECT count(*)::int AS rows, md5(coalesce(string_agg(snapshot_row::text, E'\\n' ORDER BY ${orderBy}), '')) AS checksum
           FROM ${relation.qualified} AS snapshot_row`,
      );
      const measured = rows[0];
      if (!measured) throw new Error(`no count for ${relation.qualified}`);
      tables[relation.qualified] = { ...measured, owner: relation.owner, rls: relation.rls };
    }
    const grantee = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END";
    const privilege = `${grantee} || ':' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END`;
    return {
      tables,
      policies: await column(
        client,
        `SELECT concat_ws('|', schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check) AS v
           FROM pg_policies WHERE schemaname !~ '^pg_' ORDER BY 1`,
      ),
      privileges: [
        ...(await column(
          client,
          `SELECT 'relation ' || c.oid::regclass || ' ' || ${privilege} AS v
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                  aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
            WHERE ${userSchema} ORDER BY 1`,
        )),
        ...(await column(
          client,
          `SELECT 'column ' || c.oid::regclass || '.' || att.attname || ' ' || ${privilege} AS v
             FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
                  aclexplode(att.attacl) a
            WHERE ${userSchema} ORDER BY 1`,
        )),
        ...(await column(
          client,
          `SELECT 'function ' || p.oid::regprocedure || ' ' || ${privilege} AS v
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            WHERE ${userSchema} ORDER BY 1`,
        )),
        ...(await column(
          client,
          `SELECT 'schema ' || n.nspname || ' ' || ${privilege} AS v
             FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE ${userSchema} ORDER BY 1`,
        )),
        ...(await column(
          client,
          `SELECT 'database ' || ${privilege} AS v
             FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = current_database() ORDER BY 1`,
        )),
      ],
      triggers: await column(
        client,
        `SELECT t.tgrelid::regclass || '|' || t.tgname || '|' || t.tgenabled::text || '|' || pg_get_triggerdef(t.oid) AS v
           FROM pg_trigger t WHERE NOT t.tgisinternal ORDER BY 1`,
      ),
      constraints: await column(
        client,
        `SELECT k.conrelid::regclass || '|' || k.conname || '|' || pg_get_constraintdef(k.oid) AS v
           FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE ${userSchema} ORDER BY 1`,
      ),
      indexes: await column(
        client,
        `SELECT schemaname || '|' || indexname || '|' || indexdef AS v FROM pg_indexes WHERE schemaname !~ '^pg_' ORDER BY 1`,
      ),
      functions: await column(
        client,
        `SELECT p.oid::regprocedure || '|' || pg_get_userbyid(p.proowner) || '|' || p.prosecdef || '|' ||
                coalesce(array_to_string(p.proconfig, ','), '') || '|' || md5(p.prosrc) AS v
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE ${userSchema}
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
          ORDER BY 1`,
      ),
      sequences: await column(
        client,
        `SELECT schemaname || '.' || sequencename || '=' || coalesce(last_value::text, 'unused') AS v FROM pg_sequences ORDER BY 1`,
      ),
      roles: await column(
        client,
        `SELECT r.rolname || '|' || concat_ws(',', r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
                r.rolreplication, r.rolbypassrls) || '|member of ' ||
                coalesce((SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m
                            JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '') AS v
           FROM pg_roles r WHERE r.rolname = ANY ($1) ORDER BY 1`,
        [roleNames],
      ),
    };
  });
}
