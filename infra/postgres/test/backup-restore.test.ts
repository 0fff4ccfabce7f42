import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, harnessEnv, type TestDatabase } from '@prospectflow/test-harness';
import {
  ensureShellcheck,
  lastLine,
  pgEnv,
  runScript,
  scriptsDir,
  seedOrganisation,
  snapshot,
  which,
  withClient,
  type DatabaseSnapshot,
  type SeededOrganisation,
} from './backup-helpers.js';

const run = promisify(execFile);
const ident = (name: string) => pg.escapeIdentifier(name);

let db: TestDatabase;
let workDir: string;
let organisations: SeededOrganisation[];
let baselineArchive: string;
// Roles are cluster-wide and shared with test files running in parallel: this file only ever drops roles it
// created under its own random names, never the prospectflow_* roles.
const suffix = randomBytes(4).toString('hex');
const extraRole = `pf_bk_extra_${suffix}`;
const groupRole = `pf_bk_group_${suffix}`;
const backupRole = `pf_bk_backup_${suffix}`;
const trackedRoles = [
  extraRole,
  groupRole,
  'prospectflow_app',
  'prospectflow_readonly',
  'prospectflow_definer',
];

const admin = (sql: string) => withClient(db.adminUrl, (client) => client.query(sql));
const take = (): Promise<DatabaseSnapshot> => snapshot(db.adminUrl, trackedRoles);

async function backup(dir: string, args: readonly string[] = [], env = pgEnv(db.adminUrl)) {
  return runScript('backup.sh', ['full', '--dir', dir, ...args], env);
}

async function backupFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter((name) => name.startsWith('pfbackup_')).sort();
}

beforeAll(async () => {
  db = await createTestDatabase();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'pf-backup-test-'));
  // A clone does not inherit its template's database privileges; production gets these from the first
  // migration, so grant them here as well.
  await admin(`GRANT CONNECT ON DATABASE ${ident(db.name)} TO prospectflow_app, prospectflow_readonly;
               CREATE ROLE ${ident(groupRole)} NOLOGIN;
               CREATE ROLE ${ident(extraRole)} NOLOGIN;
               GRANT ${ident(groupRole)} TO ${ident(extraRole)};
               GRANT SELECT ON crm.companies TO ${ident(extraRole)};
               GRANT SELECT (first_name, last_name) ON crm.people TO ${ident(groupRole)};`);
  organisations = [];
  for (const label of [`a${suffix}`, `b${suffix}`, `c${suffix}`]) {
    organisations.push(await seedOrganisation(db.adminUrl, label));
  }
  const result = await backup(path.join(workDir, 'baseline'));
  expect(result.code, result.stderr).toBe(0);
  baselineArchive = lastLine(result.stdout);
}, 120_000);

afterAll(async () => {
  await db?.drop();
  const env = harnessEnv();
  await withClient(env.adminUrl, async (client) => {
    for (const role of [extraRole, groupRole, backupRole]) {
      await client.query(`DROP ROLE IF EXISTS ${ident(role)}`);
    }
  });
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('backup.sh and restore.sh', () => {
  it('pass shellcheck', async () => {
    const shellcheck = await ensureShellcheck();
    const files = ['backup.sh', 'restore.sh', 'lib/backup-common.sh'].map((file) =>
      path.join(scriptsDir, file),
    );
    const result = await run(shellcheck, ['--external-sources', ...files], { cwd: scriptsDir }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? '' }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('find an entry kind in a large table of contents every time (no early-exit reader under pipefail)', async () => {
    // A full archive's TOC has thousands of ACL lines. `awk … | grep -q .` under pipefail lost this race most
    // of the time at this size (grep leaves at the first line, awk dies of SIGPIPE, the pipeline "finds
    // nothing"), and a one-schema restore then skipped revoking grants the archive does not have.
    const toc = path.join(workDir, 'large.toc');
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `${i + 1}\tACL\tcrm\tTABLE table_with_a_long_name_${i} prospectflow_owner`,
    );
    await writeFile(toc, [...lines, `3001\tTABLE DATA\tpublic\tkeep prospectflow_owner`, ''].join('\n'));
    const script = `set -euo pipefail
      source ${JSON.stringify(path.join(scriptsDir, 'lib/backup-common.sh'))}
      for round in $(seq 1 20); do
        pf_toc_has ACL "$1" || { echo "ACL not found in round $round"; exit 1; }
        pf_toc_has 'TABLE DATA' "$1" || { echo 'TABLE DATA not found'; exit 1; }
        pf_toc_has ns public "$1" || { echo 'namespace public not found'; exit 1; }
        ! pf_toc_has TABLE "$1" || { echo 'TABLE found where there is none'; exit 1; }
        ! pf_toc_has ns tracking "$1" || { echo 'namespace tracking found where there is none'; exit 1; }
      done
      echo ok`;
    const result = await run('bash', ['-c', script, 'toc-test', toc]).then(
      ({ stdout }) => stdout.trim(),
      (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(result).toBe('ok');
    // And no script pipes into an early-exit reader where this helper belongs.
    for (const file of ['backup.sh', 'restore.sh', 'lib/backup-common.sh']) {
      const code = (await readFile(path.join(scriptsDir, file), 'utf8'))
        .split('\n')
        .filter((line) => !/^\s*#/.test(line));
      expect(
        code.filter((line) => /\|\s*(grep\s+-[a-zA-Z]*q|head\b)/.test(line)),
        file,
      ).toEqual([]);
    }
  });

  it('print --help with the exit codes and exit 0', async () => {
    for (const script of ['backup.sh', 'restore.sh'] as const) {
      const result = await runScript(script, ['--help'], {});
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Exit codes:/);
    }
  });

  it('write a verified archive with manifest, roles and checksums, and print its path last', async () => {
    const dir = path.dirname(baselineArchive);
    expect(baselineArchive).toMatch(/\/pfbackup_pf-test-[0-9a-z-]+_full_\d{8}T\d{6}Z\.dump$/);
    const base = baselineArchive.replace(/\.dump$/, '');
    for (const file of [baselineArchive, `${base}.manifest`, `${base}.roles.sql`, `${base}.sha256`]) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
    await run('sha256sum', ['--check', '--strict', path.basename(`${base}.sha256`)], { cwd: dir });
    const roles = await readFile(`${base}.roles.sql`, 'utf8');
    expect(roles).toMatch(/CREATE ROLE prospectflow_app;/);
    expect(roles).not.toMatch(/PASSWORD/);
    const manifest = await readFile(`${base}.manifest`, 'utf8');
    expect(manifest).toMatch(new RegExp(`^${extraRole}\\t`, 'm'));
    expect(manifest).toMatch(/^crm\.companies\t15$/m);
  });

  it('refuse a role subject to row-level security (exit 5) and a connection through pgBouncer (exit 4)', async () => {
    const dir = path.join(workDir, 'refused');
    const asOwner = await backup(dir, [], pgEnv(db.ownerUrl));
    expect(asOwner.code, asOwner.stderr).toBe(5);
    expect(asOwner.stderr).toMatch(/crm\.companies: row-level security applies to prospectflow_owner/);

    const throughPooler = await backup(dir, [], pgEnv(db.appUrl));
    expect(throughPooler.code, throughPooler.stderr).toBe(4);
    expect(throughPooler.stderr).toMatch(/pgBouncer/);

    const viaUrl = await runScript('backup.sh', ['full', '--dir', dir, '--url', db.appUrl], {});
    expect(viaUrl.code, viaUrl.stderr).toBe(4);
    expect(await backupFiles(dir)).toEqual([]);
  });

  it('reject an archive that row-level security emptied (exit 9) and keep nothing', async () => {
    // The trap for real: pg_dump runs as the owner, who is subject to FORCE ROW LEVEL SECURITY, with
    // --enable-row-security and a tenant that owns nothing. pg_dump exits 0 with empty tenant tables.
    const realPgDump = await which('pg_dump');
    if (!realPgDump) throw new Error('pg_dump is not on PATH');
    const shimDir = path.join(workDir, 'shim');
    await mkdir(shimDir, { recursive: true });
    const shim = path.join(shimDir, 'pg_dump');
    await writeFile(
      shim,
      [
        '#!/usr/bin/env bash',
        'export PGUSER=prospectflow_owner PGOPTIONS="-c app.organisation_id=00000000-0000-0000-0000-000000000000"',
        `exec ${realPgDump} "$@" --enable-row-security`,
        '',
      ].join('\n'),
    );
    await chmod(shim, 0o755);
    const dir = path.join(workDir, 'trap');
    const result = await backup(dir, [], {
      ...pgEnv(db.adminUrl),
      PATH: `${shimDir}:${process.env['PATH'] ?? ''}`,
    });
    expect(result.code, result.stderr).toBe(9);
    expect(result.stderr).toMatch(/rows in the database but none in the archive/);
    expect(result.stderr).toMatch(/crm\.companies/);
    expect(await backupFiles(dir)).toEqual([]);
  });

  it('back up as a dedicated BYPASSRLS role with pg_read_all_data, as the runbook recommends', async () => {
    await admin(`CREATE ROLE ${ident(backupRole)} LOGIN NOSUPERUSER BYPASSRLS IN ROLE pg_read_all_data`);
    const env: Record<string, string> = { ...pgEnv(db.adminUrl), PGUSER: backupRole };
    delete env['PGPASSWORD'];
    const result = await backup(path.join(workDir, 'backup-role'), [], env);
    expect(result.code, result.stderr).toBe(0);
    const manifest = await readFile(lastLine(result.stdout).replace(/\.dump$/, '.manifest'), 'utf8');
    expect(manifest).toMatch(/^crm\.companies\t15$/m);
    expect(manifest).toMatch(/^audit\.audit_log\t[1-9]\d*$/m);
  });

  it('back up, survive damage to every schema, roles and grants, and restore every table, policy and grant', async () => {
    const before = await take();
    expect(Object.keys(before.tables).length).toBeGreaterThanOrEqual(24);
    for (const table of [
      'iam.organisations',
      'crm.companies',
      'outreach.messages',
      'tracking.pixels',
      'audit.audit_log',
    ]) {
      expect(before.tables[table]?.rows, table).toBeGreaterThan(0);
    }
    expect(before.roles.find((role) => role.startsWith(`${extraRole}|`))).toMatch(
      new RegExp(`member of ${groupRole}$`),
    );

    const dir = path.join(workDir, 'round-trip');
    const backedUp = await backup(dir);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const archive = lastLine(backedUp.stdout);

    const [first] = organisations;
    if (!first) throw new Error('no seeded organisation');
    await admin(`DROP SCHEMA tracking CASCADE;
                 DELETE FROM crm.companies WHERE organisation_id = '${first.organisationId}';
                 UPDATE outreach.campaigns SET name = 'tampered';
                 DROP POLICY tenant_isolation ON outreach.tasks;
                 ALTER TABLE crm.people NO FORCE ROW LEVEL SECURITY;
                 REVOKE ALL ON ALL TABLES IN SCHEMA outreach FROM prospectflow_app;
                 REVOKE CONNECT ON DATABASE ${ident(db.name)} FROM prospectflow_app;
                 DROP OWNED BY ${ident(extraRole)};
                 DROP ROLE ${ident(extraRole)};`);
    const damaged = await take();
    expect(damaged).not.toEqual(before);
    expect(damaged.roles.some((role) => role.startsWith(`${extraRole}|`))).toBe(false);

    const safetyDir = path.join(workDir, 'round-trip-safety');
    const restored = await runScript('restore.sh', ['--yes', archive], {
      ...pgEnv(db.adminUrl),
      BACKUP_DIR: safetyDir,
    });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/created role pf_bk_extra_/);
    expect(restored.stderr).toMatch(/validation passed/);

    const after = await take();
    expect(after.tables).toEqual(before.tables);
    expect(after.policies).toEqual(before.policies);
    expect(after.privileges).toEqual(before.privileges);
    expect(after.triggers).toEqual(before.triggers);
    expect(after.constraints).toEqual(before.constraints);
    expect(after.indexes).toEqual(before.indexes);
    expect(after.functions).toEqual(before.functions);
    expect(after.sequences).toEqual(before.sequences);
    expect(after.roles).toEqual(before.roles);

    // The safety backup holds the damaged state and is a complete backup.sh set.
    const safety = await backupFiles(safetyDir);
    expect(safety).toHaveLength(4);
    expect(safety.every((name) => /_full-pre-restore_\d{8}T\d{6}Z\./.test(name))).toBe(true);

    // The restored database still isolates tenants for the application, through pgBouncer.
    await withClient(db.appUrl, async (client) => {
      await client.query('BEGIN');
      await client.query("SELECT set_config('app.organisation_id', $1, true)", [first.organisationId]);
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM crm.companies');
      const pixels = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM tracking.pixels');
      await client.query('COMMIT');
      expect(rows[0]?.n).toBe(5);
      expect(pixels.rows[0]?.n).toBe(6);
      await expect(client.query('SELECT count(*) FROM crm.companies')).rejects.toThrow(
        /tenant context missing/,
      );
    });
  });

  it('restore one schema: reload the data of a damaged one and recreate a dropped one', async () => {
    const before = await take();
    const dir = path.join(workDir, 'one-schema');
    const backedUp = await backup(dir);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const archive = lastLine(backedUp.stdout);

    // Damage without the audit triggers (replica mode), so the audit log itself is not part of the damage.
    await admin(`SET session_replication_role = replica;
                 DELETE FROM crm.people WHERE first_name IN ('First1', 'First2');
                 UPDATE crm.companies SET name = 'tampered';
                 GRANT SELECT ON crm.imports TO PUBLIC;
                 REVOKE SELECT ON crm.positions FROM prospectflow_readonly;
                 RESET session_replication_role;
                 DROP SCHEMA tracking CASCADE;`);
    expect(await take()).not.toEqual(before);

    const env = { BACKUP_DIR: path.join(workDir, 'one-schema-safety') };
    const crm = await runScript('restore.sh', ['--yes', '--schema', 'crm', archive], {
      ...env,
      ...pgEnv(db.adminUrl),
    });
    expect(crm.code, crm.stderr).toBe(0);
    expect(crm.stdout).toMatch(/strategy: +replace-data/);
    // The same through DATABASE_URL instead of the PG* variables.
    const tracking = await runScript('restore.sh', ['--yes', '--schema', 'tracking', archive], {
      ...env,
      DATABASE_URL: db.adminUrl,
    });
    expect(tracking.code, tracking.stderr).toBe(0);
    expect(tracking.stdout).toMatch(/strategy: +recreate-schema/);

    expect(await take()).toEqual(before);
  });

  it('refuse a truncated or corrupted archive before touching anything (exit 6)', async () => {
    const before = await take();
    const safetyDir = path.join(workDir, 'corrupt-safety');
    const source = baselineArchive.replace(/\.dump$/, '');
    const size = (await stat(baselineArchive)).size;

    const copySet = async (name: string, withSidecars: boolean): Promise<string> => {
      const dir = path.join(workDir, name);
      await mkdir(dir, { recursive: true });
      const extensions = withSidecars ? ['.dump', '.manifest', '.roles.sql', '.sha256'] : ['.dump'];
      for (const extension of extensions) {
        await copyFile(`${source}${extension}`, path.join(dir, path.basename(`${source}${extension}`)));
      }
      return path.join(dir, path.basename(baselineArchive));
    };
    const corrupt = async (file: string, offsetFromEnd: number) => {
      const data = await readFile(file);
      randomBytes(64).copy(data, data.length - offsetFromEnd);
      await writeFile(file, data);
    };

    const cases: { name: string; prepare: () => Promise<string>; reason: RegExp }[] = [
      {
        name: 'truncated, with checksums',
        prepare: async () => {
          const file = await copySet('truncated-checked', true);
          await truncate(file, Math.floor(size * 0.6));
          return file;
        },
        reason: /checksum verification failed/,
      },
      {
        name: 'truncated, archive alone',
        prepare: async () => {
          const file = await copySet('truncated-alone', false);
          await truncate(file, Math.floor(size * 0.6));
          return file;
        },
        reason: /cannot read|cannot be read to the end/,
      },
      {
        name: 'corrupted data block, with checksums',
        prepare: async () => {
          const file = await copySet('corrupt-checked', true);
          await corrupt(file, 1000);
          return file;
        },
        reason: /checksum verification failed/,
      },
      {
        name: 'corrupted data block, archive alone',
        prepare: async () => {
          const file = await copySet('corrupt-alone', false);
          await corrupt(file, 1000);
          return file;
        },
        reason: /cannot be read to the end/,
      },
    ];
    for (const testCase of cases) {
      const archive = await testCase.prepare();
      const result = await runScript('restore.sh', ['--yes', archive], {
        ...pgEnv(db.adminUrl),
        BACKUP_DIR: safetyDir,
      });
      expect(result.code, `${testCase.name}: ${result.stderr}`).toBe(6);
      expect(result.stderr, testCase.name).toMatch(testCase.reason);
      expect(result.stderr, testCase.name).toMatch(/Nothing was touched/);
    }
    expect(await backupFiles(safetyDir)).toEqual([]);
    expect(await take()).toEqual(before);
  });

  it('refuse an archive whose manifest or roles file was altered, its data intact (exit 6), touching nothing', async () => {
    const before = await take();
    const safetyDir = path.join(workDir, 'tampered-safety');
    const source = baselineArchive.replace(/\.dump$/, '');
    const name = path.basename(source);

    const copySet = async (dirName: string): Promise<string> => {
      const dir = path.join(workDir, dirName);
      await mkdir(dir, { recursive: true });
      for (const extension of ['.dump', '.manifest', '.roles.sql', '.sha256']) {
        await copyFile(`${source}${extension}`, path.join(dir, `${name}${extension}`));
      }
      return path.join(dir, `${name}.dump`);
    };
    const edit = async (file: string, change: (text: string) => string) => {
      const text = await readFile(file, 'utf8');
      const changed = change(text);
      expect(changed, `${file} was not changed`).not.toBe(text);
      await writeFile(file, changed);
    };
    // The manifest's line for a role gains LOGIN: row counts untouched, so only the checksums can tell.
    const tamperManifest = (archive: string) =>
      edit(archive.replace(/\.dump$/, '.manifest'), (text) =>
        text.replace(new RegExp(`^(${extraRole}(?:\t[^\t\n]*){4}\t)false`, 'm'), '$1true'),
      );
    const tamperRoles = (archive: string) =>
      edit(
        archive.replace(/\.dump$/, '.roles.sql'),
        (text) => `${text}\nALTER ROLE ${extraRole} BYPASSRLS;\n`,
      );
    const dropChecksumOf = (archive: string, extension: string) =>
      edit(archive.replace(/\.dump$/, '.sha256'), (text) =>
        text
          .split('\n')
          .filter((line) => !line.endsWith(`  ${name}${extension}`))
          .join('\n'),
      );
    const removeChecksums = (archive: string) => rm(archive.replace(/\.dump$/, '.sha256'));

    // Another file under the manifest's name, checksummed as if backup.sh had written it: only its header tells.
    const foreignManifest = async (archive: string) => {
      const manifest = archive.replace(/\.dump$/, '.manifest');
      await edit(manifest, (text) => text.replace(/^[^\n]*/, '# some other tool v1'));
      const { stdout } = await run('sha256sum', [path.basename(manifest)], { cwd: path.dirname(manifest) });
      await edit(archive.replace(/\.dump$/, '.sha256'), (text) =>
        text.replace(new RegExp(`^[0-9a-f]+  ${path.basename(manifest)}$`, 'm'), stdout.trim()),
      );
    };

    const cases: { name: string; prepare: (archive: string) => Promise<unknown>; reason: RegExp }[] = [
      { name: 'manifest altered', prepare: tamperManifest, reason: /checksum verification failed/ },
      { name: 'not a backup.sh manifest', prepare: foreignManifest, reason: /is not a backup\.sh manifest/ },
      { name: 'roles file altered', prepare: tamperRoles, reason: /checksum verification failed/ },
      {
        name: 'manifest altered and dropped from the checksums',
        prepare: async (archive) => {
          await tamperManifest(archive);
          await dropChecksumOf(archive, '.manifest');
        },
        reason: /does not cover .*\.manifest/,
      },
      {
        name: 'roles file altered and dropped from the checksums',
        prepare: async (archive) => {
          await tamperRoles(archive);
          await dropChecksumOf(archive, '.roles.sql');
        },
        reason: /does not cover .*\.roles\.sql/,
      },
      {
        name: 'manifest altered and the checksum file removed',
        prepare: async (archive) => {
          await tamperManifest(archive);
          await removeChecksums(archive);
        },
        reason: /without its checksum file/,
      },
      {
        name: 'roles file altered and the checksum file removed',
        prepare: async (archive) => {
          await tamperRoles(archive);
          await removeChecksums(archive);
        },
        reason: /without its checksum file/,
      },
    ];
    for (const [index, testCase] of cases.entries()) {
      const archive = await copySet(`tampered-${index}`);
      await testCase.prepare(archive);
      // The data itself is intact: the dump is byte for byte the one backup.sh wrote.
      expect(await readFile(archive)).toEqual(await readFile(baselineArchive));
      const result = await runScript('restore.sh', ['--yes', archive], {
        ...pgEnv(db.adminUrl),
        BACKUP_DIR: safetyDir,
      });
      expect(result.code, `${testCase.name}: ${result.stderr}`).toBe(6);
      expect(result.stderr, testCase.name).toMatch(testCase.reason);
      expect(result.stderr, testCase.name).toMatch(/Nothing was touched/);
    }
    expect(await backupFiles(safetyDir)).toEqual([]);
    expect(await take()).toEqual(before);
  });

  it('refuse without --yes when stdin is not a terminal, show a dry run, and roll back a failed validation', async () => {
    await admin(`SET session_replication_role = replica;
                 DELETE FROM outreach.messages;
                 RESET session_replication_role;`);
    const damaged = await take();
    const safetyDir = path.join(workDir, 'refusal-safety');
    const env = { ...pgEnv(db.adminUrl), BACKUP_DIR: safetyDir };

    const unconfirmed = await runScript('restore.sh', [baselineArchive], env);
    expect(unconfirmed.code, unconfirmed.stderr).toBe(5);
    expect(unconfirmed.stderr).toMatch(/refusing to restore without confirmation/);

    const dryRun = await runScript('restore.sh', ['--dry-run', baselineArchive], env);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toMatch(/strategy: +replace-all/);
    expect(dryRun.stdout).toMatch(/outreach\.messages +0 -> 18/);

    expect(await backupFiles(safetyDir)).toEqual([]);
    expect(await take()).toEqual(damaged);

    // A role the archive knows as NOBYPASSRLS that bypasses RLS now is a validation failure: the whole
    // restore, already applied inside the transaction, rolls back.
    await admin(`ALTER ROLE ${ident(groupRole)} BYPASSRLS`);
    try {
      const refused = await runScript('restore.sh', ['--yes', baselineArchive], env);
      expect(refused.code, refused.stderr).toBe(9);
      expect(refused.stderr).toMatch(new RegExp(`role ${groupRole}: is now BYPASSRLS`));
      expect(refused.stderr).toMatch(/rolled back/);
      const afterRefusal = await take();
      expect({ ...afterRefusal, roles: [] }).toEqual({ ...damaged, roles: [] });
      expect(afterRefusal.tables['outreach.messages']?.rows).toBe(0);
    } finally {
      await admin(`ALTER ROLE ${ident(groupRole)} NOBYPASSRLS`);
    }

    const restored = await runScript('restore.sh', ['--yes', baselineArchive], env);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await take()).tables['outreach.messages']?.rows).toBe(18);
  });

  it('retention deletes exactly its own old files and nothing else', async () => {
    const dir = path.join(workDir, 'retention');
    const nested = path.join(dir, 'nested');
    await mkdir(nested, { recursive: true });
    const outside = path.join(workDir, 'outside-target.dump');
    await writeFile(outside, 'not a backup');

    const old = [
      'pfbackup_prospectflow_full_20250101T000000Z.dump',
      'pfbackup_prospectflow_full_20250101T000000Z.manifest',
      'pfbackup_prospectflow_full_20250101T000000Z.roles.sql',
      'pfbackup_prospectflow_full_20250101T000000Z.sha256',
      'pfbackup_prospectflow_schema-crm_20250102T030405Z.dump',
      'pfbackup_prospectflow_full-pre-restore_20250103T000000Z.dump.partial',
    ];
    const recent = [
      'pfbackup_prospectflow_full_20990101T000000Z.dump',
      'pfbackup_prospectflow_full_20990101T000000Z.sha256',
    ];
    const foreign = [
      'notes.txt',
      'prospectflow.dump',
      'pfbackup_prospectflow_full_20250101T000000Z.dump.bak',
      'pfbackup_prospectflow_full_20250101T000000Z.dump~',
      'pfbackup_prospect_flow_full_20250101T000000Z.dump',
      'pfbackup_prospectflow_full_2025-01-01.dump',
      'PFBACKUP_prospectflow_full_20250101T000000Z.dump',
    ];
    for (const name of [...old, ...recent, ...foreign]) await writeFile(path.join(dir, name), name);
    const nestedOld = path.join(nested, 'pfbackup_prospectflow_full_20250101T000000Z.dump');
    await writeFile(nestedOld, 'nested');
    const link = path.join(dir, 'pfbackup_prospectflow_full_20250104T000000Z.dump');
    await symlink(outside, link);

    const touch = (file: string, when: string) => run('touch', ['-h', '-d', when, file]);
    for (const name of [...old, ...foreign]) await touch(path.join(dir, name), '40 days ago');
    for (const name of recent) await touch(path.join(dir, name), '29 days ago');
    await touch(nestedOld, '40 days ago');
    await touch(outside, '40 days ago');
    await touch(link, '40 days ago');

    const keepAll = await runScript('backup.sh', ['prune', '--dir', dir, '--retention-days', '0'], {});
    expect(keepAll.code, keepAll.stderr).toBe(0);
    expect((await readdir(dir)).length).toBe(old.length + recent.length + foreign.length + 2);

    const pruned = await runScript('backup.sh', ['prune', '--dir', dir, '--retention-days', '30'], {});
    expect(pruned.code, pruned.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(
      [...recent, ...foreign, 'nested', path.basename(link)].sort(),
    );
    expect(existsSync(nestedOld)).toBe(true);
    expect(existsSync(outside)).toBe(true);
    for (const name of old) expect(pruned.stderr).toContain(`deleted ${name}`);

    // And after a real backup: the default retention (30 days) prunes the same way, the new archive stays.
    await touch(path.join(dir, recent[0] ?? ''), '31 days ago');
    const withBackup = await backup(dir);
    expect(withBackup.code, withBackup.stderr).toBe(0);
    const remaining = await readdir(dir);
    expect(remaining).not.toContain(recent[0]);
    expect(remaining).toContain(recent[1]);
    expect(remaining).toContain(path.basename(lastLine(withBackup.stdout)));
    expect(remaining.filter((name) => foreign.includes(name))).toHaveLength(foreign.length);
  });
});
