import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import {
  TransactionConflictError,
  UniqueViolationError,
  withScope,
  type Sql,
} from '../../platform/db/index.js';
import { ConflictError, TooLargeError, ValidationError, type FieldError } from '../../platform/errors.js';
import { mapSliced } from '../../platform/sliced.js';
import type { TenantScope } from '../../platform/tenant.js';
import { mergeRecords, type MergeResult } from '../crm/crm-merge.repository.js';
import { hasErrors, validateRecord, type RecordProblem } from '../crm/crm-record.js';
import { lockKey, storeAnswer, type KeyInput } from './idempotency.repository.js';
import type { IngestResponse, IngestResult } from './ingest.schemas.js';

/** What a batch came to: stored (some records perhaps rejected), or refused as a whole (`?atomic=true`). */
export type IngestOutcome =
  { kind: 'stored'; response: IngestResponse } | { kind: 'rejected'; rejected: number; errors: FieldError[] };

export interface IngestRequest {
  records: readonly unknown[];
  atomic: boolean;
  idempotencyKey: string | null;
}

export interface IngestServiceDeps {
  pool: Pool;
  statementTimeoutMs: number;
  maxRecords: number;
}

/**
 * A deadlock or serialisation failure, or a unique value taken between the merge's read and its write (a
 * concurrent PATCH), is retried as a whole transaction: the merge re-reads the stored keys.
 */
const RETRIES = 3;
/** Records validated between two turns of the event loop (about 5 ms of work). */
const VALIDATE_SLICE = 100;
const isRetryable = (error: unknown) =>
  error instanceof TransactionConflictError || error instanceof UniqueViolationError;

function requestHash(request: IngestRequest): string {
  return createHash('sha256')
    .update(JSON.stringify({ atomic: request.atomic, records: request.records }))
    .digest('hex');
}

function toResult(index: number, problems: RecordProblem[], merged: MergeResult | null): IngestResult {
  const entity = (value: MergeResult['company']) => (value ? { id: value.id, outcome: value.outcome } : null);
  const changed = merged
    ? (['company', 'person', 'position'] as const).flatMap((part) =>
        (merged[part]?.changed ?? []).map((name) => `${part}.${name}`),
      )
    : [];
  return {
    index,
    outcome: merged?.outcome ?? 'rejected',
    company: entity(merged?.company ?? null),
    person: entity(merged?.person ?? null),
    position: entity(merged?.position ?? null),
    changed: [...new Set(changed)],
    problems: [...problems, ...(merged?.problems ?? [])],
  };
}

function totals(results: readonly IngestResult[]): IngestResponse['totals'] {
  const count = (outcome: IngestResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  return {
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    rejected: count('rejected'),
  };
}

function rejectedOutcome(results: readonly IngestResult[]): IngestOutcome {
  const rejected = results.filter((result) => result.outcome === 'rejected');
  return {
    kind: 'rejected',
    rejected: rejected.length,
    errors: rejected.flatMap((result) =>
      result.problems
        .filter((p) => p.severity === 'error')
        .map((p) => ({
          path: `records.${result.index}${p.path ? `.${p.path}` : ''}`,
          message: p.message,
          code: p.code,
        })),
    ),
  };
}

interface IdempotencyKey extends KeyInput {
  requestHash: string;
}

/** JSON batch ingest (SPEC §6): validate each record with the data rules, merge the valid ones. */
export class IngestService {
  constructor(private readonly deps: IngestServiceDeps) {}

  /**
   * @throws {TooLargeError} more records than the configured batch limit
   * @throws {ValidationError} idempotency_key_reused: the key was used with another body
   * @throws {ConflictError} idempotency_in_progress: the key's first request is still running
   */
  async ingest(
    scope: TenantScope,
    request: IngestRequest,
  ): Promise<{ outcome: IngestOutcome; replayed: boolean }> {
    if (request.records.length > this.deps.maxRecords) {
      throw new TooLargeError(
        `A batch holds at most ${this.deps.maxRecords} records; this one has ${request.records.length}.`,
        'too_many_records',
      );
    }
    const key: IdempotencyKey | null =
      request.idempotencyKey === null || scope.userId === null
        ? null
        : {
            organisationId: scope.organisationId,
            userId: scope.userId,
            key: request.idempotencyKey,
            requestHash: requestHash(request),
          };
    return this.#run(scope, request, key);
  }

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  /**
   * Validates, then in one transaction: takes the key (if any), merges, and stores the answer with the key. An
   * atomic batch with a rejected record is rolled back to a savepoint, so its 422 is stored under the key all
   * the same.
   */
  async #run(
    scope: TenantScope,
    request: IngestRequest,
    key: IdempotencyKey | null,
  ): Promise<{ outcome: IngestOutcome; replayed: boolean }> {
    // Sliced: a transaction of another batch waiting for its reply (and perhaps holding the organisation's
    // merge lock) is not held up by the whole of this batch's validation.
    const validated = await mapSliced(request.records, VALIDATE_SLICE, (raw, index) => ({
      index,
      ...validateRecord(raw),
    }));
    const valid = validated.filter((entry) => !hasErrors(entry.problems));
    const invalid = validated.filter((entry) => hasErrors(entry.problems));
    const early: IngestResult[] = invalid.map((entry) => toResult(entry.index, entry.problems, null));
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#tx(scope, async (sql) => {
          if (key !== null) {
            const replay = await this.#replay(sql, key);
            if (replay !== null) return { outcome: replay, replayed: true };
          }
          let outcome: IngestOutcome;
          if (request.atomic && early.length > 0) {
            outcome = rejectedOutcome(early);
          } else {
            if (request.atomic) await sql.query('SAVEPOINT atomic_batch');
            const merged = await mergeRecords(
              sql,
              scope.organisationId,
              valid.map(({ index, record }) => ({ index, record })),
            );
            const byIndex = new Map(merged.map((result) => [result.index, result]));
            const results = validated.map((entry) =>
              hasErrors(entry.problems)
                ? toResult(entry.index, entry.problems, null)
                : toResult(entry.index, entry.problems, byIndex.get(entry.index) ?? null),
            );
            if (request.atomic && results.some((result) => result.outcome === 'rejected')) {
              await sql.query('ROLLBACK TO SAVEPOINT atomic_batch');
              outcome = rejectedOutcome(results);
            } else {
              outcome = { kind: 'stored', response: { results, totals: totals(results) } };
            }
          }
          if (key !== null) {
            const status = outcome.kind === 'stored' ? 200 : 422;
            await storeAnswer(sql, { ...key, status, body: outcome });
          }
          return { outcome, replayed: false };
        });
      } catch (error) {
        if (attempt < RETRIES && isRetryable(error)) continue;
        throw error;
      }
    }
  }

  /**
   * The stored answer of the key, or null when the key is free (and now held by this transaction).
   *
   * @throws {ConflictError} idempotency_in_progress
   * @throws {ValidationError} idempotency_key_reused
   */
  async #replay(sql: Sql, key: IdempotencyKey): Promise<IngestOutcome | null> {
    const state = await lockKey(sql, key);
    if (state.kind === 'free') return null;
    if (state.kind === 'running') {
      throw new ConflictError(
        'A request with this Idempotency-Key is still running; retry when it has finished.',
        'idempotency_in_progress',
      );
    }
    if (state.requestHash !== key.requestHash) {
      throw new ValidationError(
        [{ path: 'headers.idempotency-key', message: 'was used for a different request body' }],
        'This Idempotency-Key was already used with a different body; use a new key for a new batch.',
        'idempotency_key_reused',
      );
    }
    return state.body as IngestOutcome;
  }
}
