import type { Sql } from '../../platform/db/index.js';

/** How long a key's first answer is replayed (issue: 24 h). */
export const IDEMPOTENCY_TTL = '24 hours';
/** A key still 'running' after this long belongs to a request whose process died; it may be taken again. */
export const ABANDONED_AFTER = '10 minutes';

export type Claim =
  | { kind: 'claimed'; id: string }
  | { kind: 'completed'; requestHash: string; status: number; body: unknown }
  | { kind: 'running' };

/**
 * Takes an Idempotency-Key for a request, or says what happened to it before. The insert is committed on its
 * own (before the work starts), so a second request with the same key sees 'running' at once instead of
 * waiting on the first one's transaction. An expired key, or one abandoned by a dead process, is taken over.
 */
export async function claimKey(
  sql: Sql,
  input: { organisationId: string; userId: string; key: string; requestHash: string },
): Promise<Claim> {
  await sql.query(`DELETE FROM crm.idempotency_keys WHERE created_at < now() - $1::interval`, [
    IDEMPOTENCY_TTL,
  ]);
  const claimed = await sql.maybeOne<{ id: string }>(
    `INSERT INTO crm.idempotency_keys (organisation_id, user_id, idempotency_key, request_hash)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (organisation_id, user_id, idempotency_key) DO UPDATE
        SET request_hash = excluded.request_hash, state = 'running', response_status = NULL,
            response_body = NULL, completed_at = NULL, created_at = now()
      WHERE crm.idempotency_keys.state = 'running'
        AND crm.idempotency_keys.created_at < now() - $5::interval
     RETURNING id`,
    [input.organisationId, input.userId, input.key, input.requestHash, ABANDONED_AFTER],
  );
  if (claimed) return { kind: 'claimed', id: claimed.id };
  const row = await sql.one<{
    state: 'running' | 'completed';
    request_hash: string;
    response_status: number | null;
    response_body: unknown;
  }>(
    `SELECT state, request_hash, response_status, response_body FROM crm.idempotency_keys
      WHERE user_id = $1 AND idempotency_key = $2`,
    [input.userId, input.key],
  );
  if (row.state === 'running') return { kind: 'running' };
  return {
    kind: 'completed',
    requestHash: row.request_hash,
    status: row.response_status ?? 200,
    body: row.response_body,
  };
}

/** Records the answer of a claimed key; called in the same transaction as the work it answers for. */
export async function completeKey(sql: Sql, id: string, status: number, body: unknown): Promise<void> {
  await sql.query(
    `UPDATE crm.idempotency_keys
        SET state = 'completed', response_status = $2, response_body = $3, completed_at = now()
      WHERE id = $1 AND state = 'running'`,
    [id, status, JSON.stringify(body)],
  );
}

/** Gives a claimed key back when its request failed, so that the client's retry runs. */
export async function releaseKey(sql: Sql, id: string): Promise<void> {
  await sql.query(`DELETE FROM crm.idempotency_keys WHERE id = $1 AND state = 'running'`, [id]);
}
