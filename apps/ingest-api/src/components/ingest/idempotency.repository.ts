import type { Sql } from '../../platform/db/index.js';

/** How long a key's first answer is replayed (issue: 24 h). */
export const IDEMPOTENCY_TTL = '24 hours';
/** Advisory lock class of Idempotency-Keys (the merge's is 7301); transaction-scoped, so it holds under pgBouncer. */
const IDEMPOTENCY_LOCK_CLASS = 7302;

export interface KeyInput {
  organisationId: string;
  userId: string;
  key: string;
}

export type KeyState =
  | { kind: 'free' }
  | { kind: 'completed'; requestHash: string; status: number; body: unknown }
  | { kind: 'running' };

/**
 * Takes an Idempotency-Key for the rest of the caller's transaction, or says why not: another transaction holds
 * it ('running'), or its first answer is stored ('completed'). The key is held by a transaction-scoped advisory
 * lock and its answer is stored (`storeAnswer`) in the same transaction as the work it answers for, so whatever
 * ends that transaction (a rollback, a killed connection, a restarted pgBouncer, a dead process) leaves the key
 * either answered or free, never held: the client's retry is either replayed or run. (Committing a claim of its
 * own first, as before, left the key `running` whenever the database path failed under the request, since
 * giving the key back needed the same broken path: retries were refused for ten minutes.)
 *
 * Two keys whose hashes collide while both run make one of them a 409 that a retry resolves.
 */
export async function lockKey(sql: Sql, input: KeyInput): Promise<KeyState> {
  const { locked } = await sql.one<{ locked: boolean }>(
    `SELECT pg_try_advisory_xact_lock($1, hashtext($2 || '/' || $3 || '/' || $4)) AS locked`,
    [IDEMPOTENCY_LOCK_CLASS, input.organisationId, input.userId, input.key],
  );
  if (!locked) return { kind: 'running' };
  await sql.query(`DELETE FROM crm.idempotency_keys WHERE created_at < now() - $1::interval`, [
    IDEMPOTENCY_TTL,
  ]);
  // A 'running' row can only be one an earlier version committed before its work: nobody holds it now.
  const row = await sql.maybeOne<{
    request_hash: string;
    response_status: number;
    response_body: unknown;
  }>(
    `SELECT request_hash, response_status, response_body FROM crm.idempotency_keys
      WHERE user_id = $1 AND idempotency_key = $2 AND state = 'completed'`,
    [input.userId, input.key],
  );
  if (row === null) return { kind: 'free' };
  return {
    kind: 'completed',
    requestHash: row.request_hash,
    status: row.response_status,
    body: row.response_body,
  };
}

/**
 * Records the answer of a key taken by `lockKey`, in the same transaction as the work it answers for (a
 * leftover 'running' row of an earlier version is overwritten).
 */
export async function storeAnswer(
  sql: Sql,
  input: KeyInput & { requestHash: string; status: number; body: unknown },
): Promise<void> {
  await sql.query(
    `INSERT INTO crm.idempotency_keys
            (organisation_id, user_id, idempotency_key, request_hash, state, response_status, response_body,
             completed_at)
     VALUES ($1, $2, $3, $4, 'completed', $5, $6, now())
     ON CONFLICT (organisation_id, user_id, idempotency_key) DO UPDATE
        SET request_hash = excluded.request_hash, state = 'completed', response_status = excluded.response_status,
            response_body = excluded.response_body, created_at = now(), completed_at = now()`,
    [
      input.organisationId,
      input.userId,
      input.key,
      input.requestHash,
      input.status,
      JSON.stringify(input.body),
    ],
  );
}
