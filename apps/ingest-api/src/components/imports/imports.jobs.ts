import type { Pool } from 'pg';
import { withTenantTransaction, withTransaction, type Sql } from '../../platform/db/index.js';
import {
  JobAbortedError,
  type ClaimedJob,
  type JobContext,
  type JobQueue,
} from '../../platform/jobs/runner.js';
import type { Logger } from '../../platform/logger/logger.js';
import { mapSliced } from '../../platform/sliced.js';
import type { TenantScope } from '../../platform/tenant.js';
import { enrolPeople, findEnrolmentConflicts } from '../campaigns/enrolments.service.js';
import { mergeRecords, type MergeResult } from '../crm/crm-merge.repository.js';
import { validateRow, type ColumnFields } from './import-rows.js';
import * as repository from './imports.repository.js';
import * as revert from './revert.repository.js';
import * as staging from './staging.repository.js';
import * as checks from './validation.repository.js';

/** Rows per transaction of a validation, and per merge statement set of a commit. */
const CHUNK_ROWS = 5000;
/** A job interrupted this many times (a worker that died each time) is failed instead of retried. */
export const MAX_JOB_ATTEMPTS = 3;

export interface ImportJobsDeps {
  pool: Pool;
  logger: Logger;
  statementTimeoutMs: number;
  commitTimeoutMs: number;
  leaseSeconds: number;
  retentionSeconds: number;
  campaignWindowDays: number;
  /** Called after each chunk with the rows done; tests use it to stop a worker at a chosen point. */
  onProgress?: (job: ClaimedJob, rowsDone: number) => void | Promise<void>;
}

/** The system acting for an import: its organisation, the user who started it, the job as correlation id. */
function scopeOf(job: ClaimedJob, row: repository.ImportRow): TenantScope {
  return {
    organisationId: job.organisationId,
    userId: row.created_by,
    role: 'member',
    correlationId: `import:${job.id}`,
  };
}

/** The job queue of crm.imports: claimed across organisations through the definer function. */
export function importJobQueue(deps: ImportJobsDeps): JobQueue {
  // Claiming crosses organisations: no tenant is set, and only the definer function reads crm.imports.
  const system = <T>(organisationId: string | null, fn: (sql: Sql) => Promise<T>) =>
    organisationId === null
      ? withTransaction(deps.pool, { statementTimeoutMs: deps.statementTimeoutMs }, fn)
      : withTenantTransaction(deps.pool, { organisationId, statementTimeoutMs: deps.statementTimeoutMs }, fn);
  return {
    claim: async (worker) => {
      const claimed = await system(null, (sql) =>
        repository.claimJob(sql, worker, deps.leaseSeconds, MAX_JOB_ATTEMPTS),
      );
      return claimed
        ? {
            organisationId: claimed.organisation_id,
            id: claimed.import_id,
            kind: claimed.job,
            attempt: claimed.attempt,
          }
        : null;
    },
    renew: (job, worker) =>
      system(job.organisationId, (sql) => repository.renewLease(sql, job.id, worker, deps.leaseSeconds)),
    release: (job, worker) => system(job.organisationId, (sql) => repository.releaseJob(sql, job.id, worker)),
  };
}

function columnFields(row: repository.ImportRow): ColumnFields {
  const headers = row.headers ?? [];
  const mapping = row.mapping ?? {};
  return headers.map((_header, index) => mapping[String(index)] ?? null);
}

/** Rows validated between two turns of the event loop (the write of the previous chunk runs meanwhile). */
const VALIDATE_SLICE = 500;

class CancelledError extends Error {}

/** validate, commit and revert of an import, and the sweep of staged rows past their retention. */
export class ImportJobs {
  constructor(private readonly deps: ImportJobsDeps) {}

  readonly handlers = {
    validate: (job: ClaimedJob, context: JobContext) =>
      this.#guard(job, context, () => this.validate(job, context)),
    commit: (job: ClaimedJob, context: JobContext) =>
      this.#guard(job, context, () => this.commit(job, context)),
    revert: (job: ClaimedJob, context: JobContext) =>
      this.#guard(job, context, () => this.revert(job, context)),
  };

  #tx<T>(
    job: ClaimedJob,
    fn: (sql: Sql) => Promise<T>,
    options: { timeoutMs?: number; importId?: boolean; auditMode?: 'summary' } = {},
  ) {
    return withTenantTransaction(
      this.deps.pool,
      {
        organisationId: job.organisationId,
        correlationId: `import:${job.id}`,
        statementTimeoutMs: options.timeoutMs ?? this.deps.statementTimeoutMs,
        ...(options.importId ? { importId: job.id } : {}),
        ...(options.auditMode ? { auditMode: options.auditMode } : {}),
      },
      fn,
    );
  }

  /**
   * Turns what a handler throws into the import's state: a cancellation ends it as cancelled (staged rows
   * purged), an abort leaves it to the lease (another worker takes it), any other failure is recorded and
   * the job failed for good once it has failed MAX_JOB_ATTEMPTS times.
   */
  async #guard(job: ClaimedJob, context: JobContext, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (error instanceof CancelledError) {
        await this.#tx(job, async (sql) => {
          await repository.purgeStaged(sql, job.id);
          await repository.finishJob(sql, job.id, context.worker, {
            status: 'cancelled',
            finished_at: new Date(),
          });
        });
        return;
      }
      if (context.signal.aborted || error instanceof JobAbortedError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      await this.#tx(job, async (sql) => {
        if (job.attempt >= MAX_JOB_ATTEMPTS) {
          await repository.finishJob(sql, job.id, context.worker, {
            status: 'failed',
            job_state: 'failed',
            job_error: message.slice(0, 500),
            failure_reason: 'The job failed repeatedly; see job_error.',
            finished_at: new Date(),
          });
        } else {
          await repository.updateImport(sql, job.id, { job_error: message.slice(0, 500) });
          await repository.releaseJob(sql, job.id, context.worker);
        }
      }).catch(() => undefined);
      throw error;
    }
  }

  async #checkpoint(job: ClaimedJob, context: JobContext, sql?: Sql): Promise<void> {
    if (context.signal.aborted) throw new JobAbortedError('the worker is stopping or lost the lease');
    const read = (s: Sql) =>
      s.one<{ cancel_requested: boolean }>('SELECT cancel_requested FROM crm.imports WHERE id = $1', [
        job.id,
      ]);
    const { cancel_requested } = sql ? await read(sql) : await this.#tx(job, read);
    if (cancel_requested) throw new CancelledError();
  }

  /**
   * Validation, in chunks that each commit: rows mapped and checked with the CRM rules, clean records and
   * problems stored, progress advanced. Then duplicates within the file and against the CRM, and the
   * campaign checks, are counted and reported.
   */
  async validate(job: ClaimedJob, context: JobContext): Promise<void> {
    const row = await this.#tx(job, (sql) => repository.findImport(sql, job.id));
    if (!row || row.job !== 'validate') return;
    const scope = scopeOf(job, row);
    const headers = row.headers ?? [];
    const fields = columnFields(row);
    const campaignId = row.options.campaignId ?? null;
    await this.#tx(job, async (sql) => {
      await staging.clearProblems(sql, job.id);
      await repository.updateImport(sql, job.id, {
        rows_processed: 0,
        rows_valid: 0,
        rows_invalid: 0,
        rows_duplicate: 0,
        rows_existing: 0,
        rows_warning: 0,
      });
    });
    // Pipelined: while one chunk is written (PostgreSQL busy on the other core), the next one is read and
    // validated here, yielding to the event loop every VALIDATE_SLICE rows so that the write's statements keep
    // flowing. Writes stay one at a time and in row order, each one transaction with its progress, and any
    // way out of the loop waits for the write in flight: a job given back never races its own last chunk.
    const read = (after: number) =>
      this.#tx(job, (sql) => staging.readStaged(sql, job.id, after, CHUNK_ROWS));
    let writing: Promise<number> | null = null;
    let reading: Promise<staging.StagedRow[]> | null = null;
    try {
      await this.#checkpoint(job, context);
      let staged = await read(0);
      while (staged.length > 0) {
        const lastRow = staged.at(-1)?.rowNumber ?? 0;
        reading = read(lastRow);
        reading.catch(() => undefined);
        const validated = await mapSliced(staged, VALIDATE_SLICE, (row) => validateRow(row, headers, fields));
        if (writing) {
          // Awaited on its own line: in `onProgress?.(job, await writing)` the await is skipped when no hook is set.
          const written = await writing;
          await this.deps.onProgress?.(job, written);
        }
        await this.#checkpoint(job, context);
        const chunk = staged;
        writing = this.#tx(job, async (sql) => {
          const valid = validated.flatMap((v) => (v.valid ? [v.valid] : []));
          const problems = validated.flatMap((v) => v.problems);
          if (campaignId) problems.push(...(await this.#campaignProblems(sql, scope, campaignId, valid)));
          await staging.writeRecords(sql, job.organisationId, job.id, valid);
          await staging.writeProblems(sql, job.organisationId, job.id, problems);
          const warned = new Set(problems.filter((p) => p.severity === 'warning').map((p) => p.rowNumber));
          await sql.query(
            `UPDATE crm.imports SET rows_processed = rows_processed + $2, rows_valid = rows_valid + $3,
                    rows_invalid = rows_invalid + $4, rows_warning = rows_warning + $5 WHERE id = $1`,
            [job.id, chunk.length, valid.length, chunk.length - valid.length, warned.size],
          );
          return lastRow;
        });
        writing.catch(() => undefined);
        staged = await reading;
        reading = null;
      }
      if (writing) {
        const written = await writing;
        writing = null;
        await this.deps.onProgress?.(job, written);
      }
    } finally {
      await Promise.allSettled([writing, reading]);
    }
    await this.#checkpoint(job, context);
    await this.#tx(job, async (sql) => {
      const duplicates = await checks.markDuplicates(sql, job.organisationId, job.id);
      const existing = await checks.countExisting(sql, job.id);
      const warned = await checks.countWarnedRows(sql, job.id);
      const thenCommit = row.options.commit === true;
      const held = await repository.finishJob(sql, job.id, context.worker, {
        rows_duplicate: duplicates,
        rows_existing: existing,
        rows_warning: warned,
        status: thenCommit ? 'committing' : 'validated',
      });
      if (!held) throw new JobAbortedError('lease lost');
      if (thenCommit) await repository.queueJob(sql, job.id, 'commit', 'committing');
    });
  }

  /** Warnings and duplicates of a campaign: people already in it, or enrolled elsewhere within the window. */
  async #campaignProblems(
    sql: Sql,
    scope: TenantScope,
    campaignId: string,
    valid: readonly staging.ValidRecord[],
  ): Promise<staging.RowProblem[]> {
    const people = await checks.existingPeople(sql, valid);
    if (people.size === 0) return [];
    const conflicts = await findEnrolmentConflicts(
      sql,
      scope,
      campaignId,
      [...new Set(people.values())],
      this.deps.campaignWindowDays,
    );
    const already = new Set(conflicts.alreadyEnrolled);
    const elsewhere = new Map(conflicts.enrolledElsewhere.map((e) => [e.personId, e]));
    const problems: staging.RowProblem[] = [];
    for (const [rowNumber, personId] of people) {
      if (already.has(personId)) {
        problems.push({
          rowNumber,
          column: null,
          code: 'already_enrolled',
          severity: 'warning',
          message: 'This person is already enrolled in the campaign; they will not be enrolled again.',
          rawValue: null,
        });
      } else if (elsewhere.has(personId)) {
        problems.push({
          rowNumber,
          column: null,
          code: 'recently_enrolled_elsewhere',
          severity: 'warning',
          message: `This person was enrolled in another campaign on ${elsewhere.get(personId)?.enrolledAt.slice(0, 10)}.`,
          rawValue: null,
        });
      }
    }
    return problems;
  }

  /**
   * The commit: every clean record merged through the CRM-core merge in ONE transaction (all or nothing),
   * what it changed recorded for undo, people enrolled in the campaign if one was given. Progress is written
   * by short transactions of their own, so it is visible while the merge runs. A worker that dies mid-way
   * leaves nothing: its transaction rolls back, and the next worker starts the commit again.
   */
  async commit(job: ClaimedJob, context: JobContext): Promise<void> {
    const row = await this.#tx(job, (sql) => repository.findImport(sql, job.id));
    if (!row || row.job !== 'commit') return;
    const scope = scopeOf(job, row);
    const campaignId = row.options.campaignId ?? null;
    await this.#tx(job, (sql) => repository.updateImport(sql, job.id, { rows_processed: 0 }));
    await this.#tx(
      job,
      async (sql) => {
        const counts = { created: 0, updated: 0, unchanged: 0, rejected: 0, enrolled: 0 };
        let last = 0;
        let done = 0;
        for (;;) {
          await this.#checkpoint(job, context, sql);
          const chunk = await staging.readRecords(sql, job.id, last, CHUNK_ROWS);
          if (chunk.length === 0) break;
          const results = await mergeRecords(
            sql,
            job.organisationId,
            chunk.map((r) => ({ index: r.rowNumber, record: r.record })),
          );
          for (const result of results) counts[result.outcome] += 1;
          await revert.recordChanges(sql, job.organisationId, job.id, results);
          await staging.writeProblems(sql, job.organisationId, job.id, rejections(results));
          if (campaignId) counts.enrolled += await this.#enrol(sql, scope, campaignId, results);
          last = chunk.at(-1)?.rowNumber ?? last;
          done += chunk.length;
          await this.#progress(job, done);
        }
        const held = await repository.finishJob(sql, job.id, context.worker, {
          status: 'committed',
          created_count: counts.created,
          updated_count: counts.updated,
          unchanged_count: counts.unchanged,
          rejected_count: counts.rejected + row.rows_invalid,
          enrolled_count: counts.enrolled,
          finished_at: new Date(),
        });
        if (!held) throw new JobAbortedError('lease lost');
        // The commit's own timestamp: rows it wrote carry it in updated_at, which is how an undo tells them
        // from rows changed since.
        await sql.query('UPDATE crm.imports SET committed_at = now() WHERE id = $1', [job.id]);
        await repository.purgeStaged(sql, job.id, { keepProblemRows: true });
      },
      // Summary audit entries: the fields the commit changed are in crm.import_changes with their old and new
      // values, the rows it created are the rows themselves (ADR 0062).
      { timeoutMs: this.deps.commitTimeoutMs, importId: true, auditMode: 'summary' },
    );
  }

  async #enrol(
    sql: Sql,
    scope: TenantScope,
    campaignId: string,
    results: readonly MergeResult[],
  ): Promise<number> {
    const people = results.flatMap((r) =>
      r.person ? [{ personId: r.person.id, positionId: r.position?.id ?? null }] : [],
    );
    if (people.length === 0) return 0;
    const { enrolled } = await enrolPeople(sql, scope, campaignId, people);
    return enrolled.length;
  }

  async #progress(job: ClaimedJob, rowsDone: number): Promise<void> {
    await this.#tx(job, (sql) => repository.updateImport(sql, job.id, { rows_processed: rowsDone }));
    await this.deps.onProgress?.(job, rowsDone);
  }

  /**
   * Undo of a committed import, in one transaction: enrolments it made are removed, fields it updated are
   * restored and records it created are deleted, unless changed since or still referenced; every skip is a
   * conflict in the report. Audited like any write, each entry carrying the import's id. Progress is written
   * like the commit's, by short transactions of their own, in the commit's rows: the share of the records
   * gone through, scaled to the rows the commit merged, so that a finished undo shows them all done.
   */
  async revert(job: ClaimedJob, context: JobContext): Promise<void> {
    const row = await this.#tx(job, (sql) => repository.findImport(sql, job.id));
    if (!row || row.job !== 'revert' || !row.committed_at) return;
    const rowsTotal = row.rows_valid;
    await this.#tx(job, (sql) => repository.updateImport(sql, job.id, { rows_processed: 0 }));
    await this.#tx(
      job,
      async (sql) => {
        await this.#checkpoint(job, context, sql);
        let reported = 0;
        const report = await revert.revertImport(sql, job.id, {
          chunkRows: CHUNK_ROWS,
          onProgress: async (done, total) => {
            await this.#checkpoint(job, context, sql);
            reported = done === total ? rowsTotal : Math.floor((rowsTotal * done) / total);
            await this.#progress(job, reported);
          },
        });
        if (reported !== rowsTotal) await this.#progress(job, rowsTotal);
        const held = await repository.finishJob(sql, job.id, context.worker, {
          status: 'reverted',
          revert_report: report,
          reverted_at: new Date(),
        });
        if (!held) throw new JobAbortedError('lease lost');
      },
      { timeoutMs: this.deps.commitTimeoutMs, importId: true },
    );
  }

  /** Purges what imports staged once they are past the retention; imports never committed end cancelled. */
  async sweep(): Promise<number> {
    const due = await withTransaction(this.deps.pool, {}, (sql) =>
      repository.importsToPurge(sql, this.deps.retentionSeconds, 100),
    );
    for (const { organisation_id: organisationId, import_id: importId } of due) {
      await withTenantTransaction(
        this.deps.pool,
        { organisationId, correlationId: 'import-sweep' },
        async (sql) => {
          const row = await repository.findImport(sql, importId, true);
          if (!row) return;
          await repository.purgeStaged(sql, importId);
          if (['uploading', 'uploaded', 'mapped', 'validated'].includes(row.status)) {
            await repository.updateImport(sql, importId, {
              status: 'cancelled',
              failure_reason:
                'Expired: not committed within the retention period; its staged rows were purged.',
            });
          }
        },
      );
    }
    return due.length;
  }
}

function rejections(results: readonly MergeResult[]): staging.RowProblem[] {
  return results.flatMap((result) =>
    result.problems.map((problem) => ({
      rowNumber: result.index,
      column: null,
      code: problem.code,
      severity: problem.severity,
      message: problem.message,
      rawValue: null,
    })),
  );
}
