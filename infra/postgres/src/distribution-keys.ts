import { readCatalog, type Catalog, type Queryable } from './catalog.js';

/** The distribution column: every tenant table carries it, and Citus shards tenant tables by it. */
export const TENANT_COLUMN = 'organisation_id';
const TENANT_COLUMN_TYPE = 'uuid';

/**
 * Tables without `organisation_id`, on purpose, and what each would be on Citus. A table missing from this list
 * and without the column is a finding: a new table is either a tenant table or a decision written here.
 */
export const GLOBAL_TABLES: Readonly<Record<string, string>> = {
  'iam.organisations':
    'reference table: the tenants themselves (their id is the tenant key) with slugs unique across tenants; ' +
    'replicated to every node, so the foreign key of every tenant table to it stays local',
  'iam.users':
    'reference table: one person may belong to several organisations, found at sign-in by cognito_sub and ' +
    'e-mail (unique across tenants)',
  'public.pgmigrations': "local table on the coordinator: node-pg-migrate's record of applied migrations",
};

const SET_NULL_ON_DELETE =
  'ADR 0080: becomes NO ACTION, the delete nulling the reference itself, before Citus';

/**
 * Findings present in the schema today and recorded, with the way out, in ADR 0080. Each is reported as
 * accepted rather than failing the check; one that no longer occurs is itself a finding, so this list stays
 * true. Keys: `table constraint`.
 */
export const ACCEPTED_FINDINGS: Readonly<Record<string, string>> = {
  'crm.imports imports_campaign_fkey': SET_NULL_ON_DELETE,
  'outreach.campaign_enrollments campaign_enrollments_position_fkey': SET_NULL_ON_DELETE,
  'outreach.campaign_enrollments campaign_enrollments_step_fkey': SET_NULL_ON_DELETE,
  'outreach.messages messages_enrollment_fkey': SET_NULL_ON_DELETE,
  'outreach.messages messages_task_fkey': SET_NULL_ON_DELETE,
  'tracking.pixels pixels_campaign_fkey': SET_NULL_ON_DELETE,
};

const ACTIONS: Readonly<Record<string, string>> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

export interface DistributionFinding {
  table: string;
  /** The key, index or constraint at fault, or the column. */
  object: string;
  problem: string;
}

export interface GlobalTableReference {
  table: string;
  constraint: string;
  columns: string[];
  references: string;
  referencedColumns: string[];
}

export interface DistributionReport {
  tenantTables: string[];
  /** Tables without `organisation_id`, each with the reason it is global (from GLOBAL_TABLES). */
  globalTables: { table: string; reason: string }[];
  /** Foreign keys from tenant tables to global tables: allowed, since those become reference tables. */
  referencesToGlobalTables: GlobalTableReference[];
  /** Findings listed in ACCEPTED_FINDINGS (ADR 0080): reported, not failing. */
  accepted: DistributionFinding[];
  /** Everything else: the check fails when this is not empty. */
  findings: DistributionFinding[];
}

const list = (columns: readonly (string | null)[]) => columns.map((c) => c ?? '<expression>').join(', ');

/**
 * Checks the property Citus needs to distribute every tenant table by `organisation_id` with the schema as it
 * is: each tenant table's primary key, unique indexes (constraints or not, partial or not) and exclusion
 * constraints include `organisation_id` as a plain key column; each foreign key between tenant tables pairs
 * `organisation_id` with `organisation_id`; tenant tables refer to no other table than declared global ones
 * (reference tables), and those never refer to a tenant table.
 */
export function checkDistribution(catalog: Catalog): DistributionReport {
  const findings: DistributionFinding[] = [];
  const tenant = new Set<string>();
  const globalTables: DistributionReport['globalTables'] = [];
  for (const table of catalog.tables) {
    const column = table.columns.find((c) => c.name === TENANT_COLUMN);
    const declared = GLOBAL_TABLES[table.name];
    if (column === undefined) {
      if (declared === undefined)
        findings.push({
          table: table.name,
          object: TENANT_COLUMN,
          problem: 'no organisation_id column, and not declared in GLOBAL_TABLES (distribution-keys.ts)',
        });
      else globalTables.push({ table: table.name, reason: declared });
      continue;
    }
    tenant.add(table.name);
    if (declared !== undefined)
      findings.push({
        table: table.name,
        object: TENANT_COLUMN,
        problem: 'declared global in GLOBAL_TABLES but has an organisation_id column',
      });
    if (!column.notNull)
      findings.push({ table: table.name, object: TENANT_COLUMN, problem: 'organisation_id is nullable' });
    if (column.type !== TENANT_COLUMN_TYPE)
      findings.push({
        table: table.name,
        object: TENANT_COLUMN,
        problem: `organisation_id is ${column.type}, not ${TENANT_COLUMN_TYPE} (co-located tables need one type)`,
      });
    if (!catalog.uniqueIndexes.some((index) => index.table === table.name && index.primary))
      findings.push({ table: table.name, object: '(primary key)', problem: 'no primary key' });
  }

  for (const index of catalog.uniqueIndexes) {
    if (!tenant.has(index.table) || index.columns.includes(TENANT_COLUMN)) continue;
    findings.push({
      table: index.table,
      object: index.name,
      problem: `${index.primary ? 'primary key' : 'unique index'} (${list(index.columns)}) does not include organisation_id`,
    });
  }
  for (const exclusion of catalog.exclusions) {
    if (!tenant.has(exclusion.table) || exclusion.columns.includes(TENANT_COLUMN)) continue;
    findings.push({
      table: exclusion.table,
      object: exclusion.name,
      problem: `exclusion constraint (${list(exclusion.columns)}) does not include organisation_id`,
    });
  }

  const referencesToGlobalTables: GlobalTableReference[] = [];
  for (const fk of catalog.foreignKeys) {
    // Citus refuses actions that would write the distribution column of the referencing rows.
    if (tenant.has(fk.table) && fk.columns.includes(TENANT_COLUMN)) {
      const onDelete = ACTIONS[fk.onDelete] ?? fk.onDelete;
      const onUpdate = ACTIONS[fk.onUpdate] ?? fk.onUpdate;
      if (fk.onDelete === 'n' || fk.onDelete === 'd')
        findings.push({
          table: fk.table,
          object: fk.name,
          problem: `foreign key on organisation_id with ON DELETE ${onDelete}, which Citus refuses`,
        });
      if (fk.onUpdate === 'n' || fk.onUpdate === 'd' || fk.onUpdate === 'c')
        findings.push({
          table: fk.table,
          object: fk.name,
          problem: `foreign key on organisation_id with ON UPDATE ${onUpdate}, which Citus refuses`,
        });
    }
    const from = tenant.has(fk.table);
    const to = tenant.has(fk.references);
    const shape = `(${list(fk.columns)}) -> ${fk.references} (${list(fk.referencedColumns)})`;
    if (from && to) {
      const paired = fk.columns.some(
        (column, i) => column === TENANT_COLUMN && fk.referencedColumns[i] === TENANT_COLUMN,
      );
      if (!paired)
        findings.push({
          table: fk.table,
          object: fk.name,
          problem: `foreign key ${shape} does not pair organisation_id with organisation_id`,
        });
    } else if (from) {
      if (GLOBAL_TABLES[fk.references] === undefined)
        findings.push({
          table: fk.table,
          object: fk.name,
          problem: `foreign key ${shape} points at a table that is neither a tenant table nor a declared global one`,
        });
      else
        referencesToGlobalTables.push({
          table: fk.table,
          constraint: fk.name,
          columns: fk.columns,
          references: fk.references,
          referencedColumns: fk.referencedColumns,
        });
    } else if (to) {
      findings.push({
        table: fk.table,
        object: fk.name,
        problem: `foreign key ${shape} from a global table to a tenant table (a reference table cannot point into a distributed one)`,
      });
    }
  }

  for (const name of Object.keys(GLOBAL_TABLES)) {
    if (!catalog.tables.some((table) => table.name === name))
      findings.push({
        table: name,
        object: '(table)',
        problem: 'declared in GLOBAL_TABLES but does not exist',
      });
  }

  const accepted = findings.filter((f) => ACCEPTED_FINDINGS[`${f.table} ${f.object}`] !== undefined);
  const open = findings.filter((f) => ACCEPTED_FINDINGS[`${f.table} ${f.object}`] === undefined);
  for (const key of Object.keys(ACCEPTED_FINDINGS)) {
    if (!accepted.some((f) => `${f.table} ${f.object}` === key)) {
      const [table = key, object = ''] = key.split(' ');
      open.push({
        table,
        object,
        problem: 'listed in ACCEPTED_FINDINGS but no longer found: remove it from the list and from ADR 0080',
      });
    }
  }
  return { tenantTables: [...tenant], globalTables, referencesToGlobalTables, accepted, findings: open };
}

/** Reads the catalog of the database behind `db` and checks it (see checkDistribution). */
export async function checkDistributionKeys(db: Queryable): Promise<DistributionReport> {
  return checkDistribution(await readCatalog(db));
}

/** The report as text: what was checked, the global tables and why, the references to them, the findings. */
export function formatDistributionReport(report: DistributionReport): string {
  const lines = [
    `Distribution by organisation_id: ${report.tenantTables.length} tenant tables checked ` +
      '(primary keys, unique indexes, exclusion constraints, foreign keys).',
    'Global tables (no organisation_id):',
    ...report.globalTables.map((g) => `  ${g.table}: ${g.reason}`),
    'Foreign keys from tenant tables to global tables (allowed: distributed to reference table):',
    ...report.referencesToGlobalTables.map(
      (r) =>
        `  ${r.table} ${r.constraint} (${r.columns.join(', ')}) -> ${r.references} (${r.referencedColumns.join(', ')})`,
    ),
  ];
  if (report.accepted.length > 0) {
    lines.push(`Accepted findings (ADR 0080): ${report.accepted.length}`);
    for (const f of report.accepted)
      lines.push(
        `  ${f.table} | ${f.object} | ${f.problem} (${ACCEPTED_FINDINGS[`${f.table} ${f.object}`] ?? ''})`,
      );
  }
  if (report.findings.length === 0) lines.push('Findings: none.');
  else {
    lines.push(`Findings: ${report.findings.length}`);
    for (const f of report.findings) lines.push(`  ${f.table} | ${f.object} | ${f.problem}`);
  }
  return `${lines.join('\n')}\n`;
}
