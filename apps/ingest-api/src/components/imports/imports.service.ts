import type { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { withScope, type Sql } from '../../platform/db/index.js';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../platform/errors.js';
import type { Upload } from '../../platform/http/upload.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import type { TenantScope } from '../../platform/tenant.js';
import { errorsCsv } from './parse/errors-csv.js';
import { headerSignature, suggestMapping, validateMapping } from './parse/mapping.js';
import { openTable } from './parse/table-reader.js';
import * as repository from './imports.repository.js';
import type { ImportListQuery, ImportView } from './imports.schemas.js';
import * as staging from './staging.repository.js';

export interface ImportsServiceDeps {
  pool: Pool;
  statementTimeoutMs: number;
  limits: { maxCells: number; maxUncompressedBytes: number; maxColumns: number; maxCellChars: number };
  revertWindowDays: number;
}

export interface UploadOptions {
  sheet: string | null;
  /** `auto` takes the suggested mapping; an object maps header names to fields. */
  mapping: 'auto' | Record<string, string | null> | null;
  /** Run validation then commit without stopping (the one-shot form for scripts). */
  commit: boolean;
  campaignId: string | null;
}

const PREVIEW_ROWS = 20;
const BATCH_ROWS = 5000;

/** The API's view of an import: status, counts, live progress while a job runs. */
export function toView(row: repository.ImportRow): ImportView {
  const headers = row.headers ?? [];
  const running = row.job_state === 'running' || row.job_state === 'queued';
  const seconds = row.job_started_at ? (Date.now() - row.job_started_at.getTime()) / 1000 : 0;
  // Validation goes through the file's rows; a commit, and its undo, through the rows that were valid.
  const total = row.job === 'validate' ? row.rows_total : row.rows_valid;
  return {
    id: row.id,
    fileName: row.file_name,
    status: row.status,
    format: row.format,
    encoding: row.encoding,
    delimiter: row.delimiter,
    sheet: row.sheet,
    headers,
    rowsTotal: row.rows_total,
    fileSizeBytes: row.file_size_bytes === null ? null : Number(row.file_size_bytes),
    preview: row.preview ?? [],
    suggestedMapping: (row.suggested_mapping as ImportView['suggestedMapping']) ?? null,
    mapping: row.mapping
      ? Object.fromEntries(headers.map((header, index) => [header, row.mapping?.[String(index)] ?? null]))
      : null,
    campaignId: row.options.campaignId ?? null,
    counts: {
      valid: row.rows_valid,
      invalid: row.rows_invalid,
      duplicates: row.rows_duplicate,
      existing: row.rows_existing,
      warnings: row.rows_warning,
      created: row.created_count,
      updated: row.updated_count,
      unchanged: row.unchanged_count,
      rejected: row.rejected_count,
      enrolled: row.enrolled_count,
    },
    progress: row.job
      ? {
          job: row.job,
          state: row.job_state ?? 'done',
          rowsDone: row.rows_processed,
          rowsTotal: total,
          rowsPerSecond: running && seconds > 0 ? Math.round(row.rows_processed / seconds) : null,
          startedAt: row.job_started_at?.toISOString() ?? null,
        }
      : null,
    error: row.failure_reason ?? row.job_error,
    revertReport: revertReportOf(row.revert_report),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    committedAt: row.committed_at?.toISOString() ?? null,
    revertedAt: row.reverted_at?.toISOString() ?? null,
  };
}

/** A stored undo report; one written before undo removed enrolments has no count of them (none were). */
function revertReportOf(stored: unknown): ImportView['revertReport'] {
  const report = stored as ImportView['revertReport'];
  if (!report) return null;
  return {
    ...report,
    deleted: { ...report.deleted, campaign_enrollments: report.deleted.campaign_enrollments ?? 0 },
  };
}

/** Uploads, mappings, jobs and the error export of file imports (SPEC §6, doc/imports.md). */
export class ImportsService {
  constructor(private readonly deps: ImportsServiceDeps) {}

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  async #found(sql: Sql, id: string, forUpdate = false): Promise<repository.ImportRow> {
    const row = await repository.findImport(sql, id, forUpdate);
    if (!row) throw new NotFoundError('No such import.', 'import_not_found');
    return row;
  }

  /**
   * Streams a file into staged rows, batch by batch (each batch its own short transaction, so no connection
   * waits on a slow client), then describes it: encoding, delimiter, headers, row count, preview, suggested
   * mapping. A file refused half-way (too large, not a table) leaves nothing staged.
   *
   * @throws {ImportFileError} the file is not a table we can read (422)
   * @throws {TooLargeError} the file passed IMPORT_MAX_BYTES while streaming (413)
   */
  async upload(scope: TenantScope, upload: Upload, options: UploadOptions): Promise<ImportView> {
    const created = await this.#tx(scope, (sql) =>
      repository.insertImport(sql, {
        organisationId: scope.organisationId,
        fileName: (upload.fileName ?? 'upload').slice(0, 255) || 'upload',
        contentType: upload.mediaType,
        createdBy: scope.userId,
      }),
    );
    const id = created.id;
    try {
      const table = await openTable(upload.stream, {
        format: 'auto',
        sheet: options.sheet,
        batchRows: BATCH_ROWS,
        limits: this.deps.limits,
      });
      const headers = table.info.headers;
      const preview: string[][] = [];
      let total = 0;
      for await (const batch of table.rows) {
        for (const row of batch) if (preview.length < PREVIEW_ROWS) preview.push(row.cells);
        total += batch.length;
        await this.#tx(scope, async (sql) => {
          await staging.stageRows(
            sql,
            scope.organisationId,
            id,
            batch.map((row) => ({
              rowNumber: row.rowNumber,
              cells: row.cells,
              cellCount: row.cellCount === headers.length ? null : row.cellCount,
            })),
          );
          await repository.updateImport(sql, id, { rows_total: total });
        });
      }
      const signature = headerSignature(headers);
      const row = await this.#tx(scope, async (sql) => {
        const remembered = await repository.rememberedMapping(sql, signature);
        const suggestion = suggestMapping(
          headers,
          remembered &&
            (Object.fromEntries(Object.entries(remembered).filter(([, field]) => field !== null)) as Record<
              string,
              string
            >),
        );
        const updated = await repository.updateImport(sql, id, {
          status: 'uploaded',
          format: table.info.format,
          encoding: table.info.encoding,
          delimiter: table.info.delimiter,
          sheet: table.info.sheet,
          headers,
          header_signature: signature,
          rows_total: total,
          preview,
          suggested_mapping: suggestion,
          file_size_bytes: upload.bytesRead(),
          options: { campaignId: options.campaignId, commit: options.commit },
        });
        if (options.mapping === null) return updated;
        const mapping =
          options.mapping === 'auto'
            ? Object.fromEntries(suggestion.columns.map((c) => [c.header, c.field]))
            : options.mapping;
        const mapped = await this.#applyMapping(sql, scope, updated, mapping);
        return options.commit ? repository.queueJob(sql, id, 'validate', 'validating') : mapped;
      });
      return toView(row);
    } catch (error) {
      await this.#tx(scope, async (sql) => {
        await repository.purgeStaged(sql, id);
        await repository.updateImport(sql, id, {
          status: 'failed',
          failure_reason: error instanceof Error ? error.message.slice(0, 500) : 'upload failed',
          finished_at: new Date(),
        });
      }).catch(() => undefined);
      upload.stream.destroy();
      throw error;
    }
  }

  /** Checks a mapping against the file's headers, stores it by column and remembers it for these headers. */
  async #applyMapping(
    sql: Sql,
    scope: TenantScope,
    row: repository.ImportRow,
    mapping: Readonly<Record<string, string | null>>,
  ): Promise<repository.ImportRow> {
    const headers = row.headers ?? [];
    const problems = validateMapping(mapping, headers);
    if (problems.length > 0) {
      throw new ValidationError(
        problems.map((p) => ({
          path: `mapping.${p.column ?? p.field ?? ''}`,
          message: p.message,
          code: p.code,
        })),
        'The mapping is not valid.',
        'invalid_mapping',
      );
    }
    // Keys are headers, or column indexes where a header is repeated (validateMapping accepted them).
    const byColumn: Record<string, string | null> = {};
    for (const [key, field] of Object.entries(mapping)) {
      const index =
        headers.indexOf(key) >= 0 && headers.lastIndexOf(key) === headers.indexOf(key)
          ? headers.indexOf(key)
          : Number(key);
      if (Number.isInteger(index)) byColumn[String(index)] = field;
    }
    await repository.rememberMapping(sql, {
      organisationId: scope.organisationId,
      signature: row.header_signature ?? headerSignature(headers),
      headers,
      mapping,
      userId: scope.userId,
    });
    return repository.updateImport(sql, row.id, { mapping: byColumn, status: 'mapped' });
  }

  /** @throws {NotFoundError} @throws {ConflictError} while a job runs or after the commit @throws {ValidationError} */
  async setMapping(
    scope: TenantScope,
    id: string,
    mapping: Record<string, string | null>,
  ): Promise<ImportView> {
    return toView(
      await this.#tx(scope, async (sql) => {
        const row = await this.#found(sql, id, true);
        this.#expect(
          row,
          ['uploaded', 'mapped', 'validated'],
          'The mapping can change until the import is committed.',
        );
        return this.#applyMapping(sql, scope, row, mapping);
      }),
    );
  }

  /** Queues the validation (a dry run). @throws {NotFoundError} @throws {ConflictError} */
  async validate(scope: TenantScope, id: string, campaignId: string | null): Promise<ImportView> {
    return toView(
      await this.#tx(scope, async (sql) => {
        const row = await this.#found(sql, id, true);
        this.#expect(row, ['mapped', 'validated'], 'Confirm a mapping first (PUT /imports/:id/mapping).');
        await repository.updateImport(sql, id, { options: { ...row.options, campaignId, commit: false } });
        return repository.queueJob(sql, id, 'validate', 'validating');
      }),
    );
  }

  /** Queues the commit of a validated import. @throws {NotFoundError} @throws {ConflictError} */
  async commit(scope: TenantScope, id: string, campaignId: string | null): Promise<ImportView> {
    return toView(
      await this.#tx(scope, async (sql) => {
        const row = await this.#found(sql, id, true);
        this.#expect(row, ['validated'], 'Validate the import before committing it.');
        const campaign = campaignId ?? row.options.campaignId ?? null;
        await repository.updateImport(sql, id, { options: { ...row.options, campaignId: campaign } });
        return repository.queueJob(sql, id, 'commit', 'committing');
      }),
    );
  }

  /**
   * Queues the undo of a committed import within the configured window; an import already reverted is
   * answered as it is (the undo is idempotent).
   */
  async revert(scope: TenantScope, id: string): Promise<{ view: ImportView; queued: boolean }> {
    return this.#tx(scope, async (sql) => {
      const row = await this.#found(sql, id, true);
      if (row.status === 'reverted' || row.status === 'reverting')
        return { view: toView(row), queued: false };
      this.#expect(row, ['committed'], 'Only a committed import can be undone.');
      const limit = Date.now() - this.deps.revertWindowDays * 86_400_000;
      if (!row.committed_at || row.committed_at.getTime() < limit) {
        throw new ConflictError(
          `An import can be undone within ${this.deps.revertWindowDays} days of its commit.`,
          'revert_window_passed',
        );
      }
      return { view: toView(await repository.queueJob(sql, id, 'revert', 'reverting')), queued: true };
    });
  }

  /**
   * Cancels: a job that runs is asked to stop (the worker rolls it back and purges); otherwise the import ends
   * cancelled at once and its staged rows are purged. A committed import is undone with revert instead.
   */
  async cancel(scope: TenantScope, id: string): Promise<{ view: ImportView; pending: boolean }> {
    return this.#tx(scope, async (sql) => {
      const row = await this.#found(sql, id, true);
      if (['committed', 'reverting', 'reverted'].includes(row.status)) {
        throw new ConflictError(
          'A committed import is undone with POST /imports/:id/revert.',
          'import_committed',
        );
      }
      if (row.job_state === 'running') {
        return {
          view: toView(await repository.updateImport(sql, id, { cancel_requested: true })),
          pending: true,
        };
      }
      await repository.purgeStaged(sql, id);
      const updated = await repository.updateImport(sql, id, {
        status: 'cancelled',
        job: null,
        job_state: null,
        finished_at: new Date(),
      });
      return { view: toView(updated), pending: false };
    });
  }

  async get(scope: TenantScope, id: string): Promise<ImportView> {
    return toView(await this.#tx(scope, (sql) => this.#found(sql, id)));
  }

  async list(
    scope: TenantScope,
    query: ImportListQuery,
  ): Promise<{ items: ImportView[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await this.#tx(scope, (sql) =>
      repository.listImports(sql, { after, limit: query.limit, status: query.status ?? null }),
    );
    return { items: page.items.map(toView), nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /**
   * The problems of an import as a CSV stream that Excel opens (UTF-8 with BOM; `;` for French Excel),
   * read in keyset pages, each its own short transaction, so a large export holds no connection for long.
   */
  async errorsCsv(
    scope: TenantScope,
    id: string,
    delimiter: ',' | ';',
  ): Promise<{ stream: Readable; fileName: string }> {
    const row = await this.#tx(scope, (sql) => this.#found(sql, id));
    const headers = row.headers ?? [];
    const pages = async function* (this: ImportsService) {
      let after: { rowNumber: number; id: string } | null = null;
      for (;;) {
        const page = await this.#tx(scope, (sql) => staging.readProblems(sql, id, after, 2000));
        if (page.length === 0) return;
        for (const problem of page) {
          yield {
            rowNumber: problem.rowNumber,
            column: problem.column,
            code: problem.code,
            message: problem.severity === 'warning' ? `(warning) ${problem.message}` : problem.message,
            rawValue: problem.rawValue,
            cells: problem.raw ?? [],
          };
        }
        const last = page.at(-1);
        if (!last || page.length < 2000) return;
        after = { rowNumber: last.rowNumber, id: last.id };
      }
    }.call(this);
    const base = row.file_name.replace(/\.[^.]+$/, '') || 'import';
    return { stream: errorsCsv(pages, { delimiter, headers }), fileName: `${base}-errors.csv` };
  }

  #expect(row: repository.ImportRow, statuses: readonly repository.ImportStatus[], hint: string): void {
    if (!statuses.includes(row.status)) {
      throw new ConflictError(`The import is ${row.status}. ${hint}`, 'invalid_import_state', {
        status: row.status,
      });
    }
  }
}

export type { FieldError };
