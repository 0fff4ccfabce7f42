import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { PoolClient, QueryResultRow } from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { DatabaseError, NoRowError, TooManyRowsError, translateDatabaseError } from './errors.js';

/**
 * The handle a repository receives: one checked-out client inside one transaction. Queries are always
 * parameterised and unnamed (pgBouncer in transaction mode keeps no named prepared statements).
 */
export interface Sql {
  query<R extends QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number }>;
  /** Exactly one row. @throws {NoRowError} @throws {TooManyRowsError} */
  one<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R>;
  /** Zero or one row. @throws {TooManyRowsError} */
  maybeOne<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R | null>;
  /** Any number of rows. */
  any<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /**
   * Streams `source` into a `COPY ... FROM STDIN` statement with backpressure; resolves with the rows copied.
   * PostgreSQL refuses COPY into a table with row-level security, so the target is a transaction-local
   * temporary table (see `platform/db/copy.ts`).
   */
  copyFrom(statement: string, source: Readable): Promise<number>;
}

/** An Sql bound to a client until the transaction ends; using it afterwards is a bug and throws. */
export class TransactionSql implements Sql {
  #client: PoolClient | null;

  constructor(client: PoolClient) {
    this.#client = client;
  }

  close(): void {
    this.#client = null;
  }

  async query<R extends QueryResultRow>(
    text: string,
    values: readonly unknown[] = [],
  ): Promise<{ rows: R[]; rowCount: number }> {
    const client = this.#client;
    if (client === null) {
      throw new DatabaseError('this transaction has ended; its Sql handle cannot be used any more');
    }
    try {
      const result = await client.query<R>({ text, values: values as unknown[] });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  async copyFrom(statement: string, source: Readable): Promise<number> {
    const client = this.#client;
    if (client === null) {
      throw new DatabaseError('this transaction has ended; its Sql handle cannot be used any more');
    }
    const copy = client.query(copyFromStdin(statement));
    try {
      await pipeline(source, copy);
      return copy.rowCount;
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  async one<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R> {
    const { rows } = await this.query<R>(text, values);
    if (rows.length === 0) throw new NoRowError('expected one row, found none');
    if (rows.length > 1) throw new TooManyRowsError(`expected one row, found ${rows.length}`);
    return rows[0] as R;
  }

  async maybeOne<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R | null> {
    const { rows } = await this.query<R>(text, values);
    if (rows.length > 1) throw new TooManyRowsError(`expected at most one row, found ${rows.length}`);
    return rows[0] ?? null;
  }

  async any<R extends QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]> {
    const { rows } = await this.query<R>(text, values);
    return rows;
  }
}
