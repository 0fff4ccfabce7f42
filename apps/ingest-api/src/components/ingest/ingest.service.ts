import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import {
  TransactionConflictError,
  UniqueViolationError,
  withScope,
  type Sql,
} from '../../platform/db/index.js';
import { ConflictError, TooLargeError, ValidationError, type FieldError } from '../../platform/errors.js';
import type { TenantScope } from '../../platform/tenant.js';
import { mergeRecords, type MergeResult } from '../crm/crm-merge.repository.js';
import { hasErrors, validateRecord, type RecordProblem } from '../crm/crm-record.js';
import { claimKey, completeKey, releaseKey } from './idempotency.repository.js';
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

/** Thrown inside the transaction to roll an atomic batch back; never leaves the service. */
class AtomicRejection extends Error {
  constructor(readonly outcome: IngestOutcome) {
    super('atomic batch rejected');
  }
}

/**
 * A deadlock or serialisation failure, or a unique value taken between the merge's read and its write (a
 * concurrent PATCH), is retried as a whole transaction: the merge re-reads the stored keys.
 */
const RETRIES = 3;
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
    if (request.idempotencyKey === null || scope.userId === null) {
      return { outcome: await this.#run(scope, request, null), replayed: false };
    }
    const hash = requestHash(request);
    const claim = await this.#tx(scope, (sql) =>
      claimKey(sql, {
        organisationId: scope.organisationId,
        userId: scope.userId as string,
        key: request.idempotencyKey as string,
        requestHash: hash,
      }),
    );
    if (claim.kind === 'running') {
      throw new ConflictError(
        'A request with this Idempotency-Key is still running; retry when it has finished.',
        'idempotency_in_progress',
      );
    }
    if (claim.kind === 'completed') {
      if (claim.requestHash !== hash) {
        throw new ValidationError(
          [{ path: 'headers.idempotency-key', message: 'was used for a different request body' }],
          'This Idempotency-Key was already used with a different body; use a new key for a new batch.',
          'idempotency_key_reused',
        );
      }
      return { outcome: claim.body as IngestOutcome, replayed: true };
    }
    try {
      return { outcome: await this.#run(scope, request, claim.id), replayed: false };
    } catch (error) {
      await this.#tx(scope, (sql) => releaseKey(sql, claim.id)).catch(() => undefined);
      throw error;
    }
  }

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  async #run(scope: TenantScope, request: IngestRequest, keyId: string | null): Promise<IngestOutcome> {
    const validated = request.records.map((raw, index) => ({ index, ...validateRecord(raw) }));
    const valid = validated.filter((entry) => !hasErrors(entry.problems));
    const invalid = validated.filter((entry) => hasErrors(entry.problems));
    const early: IngestResult[] = invalid.map((entry) => toResult(entry.index, entry.problems, null));
    if (request.atomic && early.length > 0) {
      const outcome = rejectedOutcome(early);
      if (keyId !== null) await this.#tx(scope, (sql) => completeKey(sql, keyId, 422, outcome));
      return outcome;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#tx(scope, async (sql) => {
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
            throw new AtomicRejection(rejectedOutcome(results));
          }
          const outcome: IngestOutcome = { kind: 'stored', response: { results, totals: totals(results) } };
          if (keyId !== null) await completeKey(sql, keyId, 200, outcome);
          return outcome;
        });
      } catch (error) {
        if (error instanceof AtomicRejection) {
          if (keyId !== null) await this.#tx(scope, (sql) => completeKey(sql, keyId, 422, error.outcome));
          return error.outcome;
        }
        if (attempt < RETRIES && isRetryable(error)) continue;
        throw error;
      }
    }
  }
}
