import type { Pool } from 'pg';
import { UniqueViolationError, withScope, type Sql } from '../../platform/db/index.js';
import type { KeysetPage } from '../../platform/db/keyset.js';
import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
  type FieldError,
} from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import type { TenantScope } from '../../platform/tenant.js';
import { FIELDS_BY_ENTITY, type Entity } from './crm.fields.js';
import { normaliseField } from './crm-record.js';
import { sirenOfSiret } from './rules/index.js';
import * as repository from './crm.repository.js';
import type { CompanyListQuery, Patch, PersonListQuery, PositionListQuery } from './crm.schemas.js';

export interface Versioned<T> {
  value: T;
  /** The strong ETag of the version returned. */
  etag: string;
}

const etagOf = (row: repository.Row) => `"${row.etag}"`;

/** The unique values of each table, by index name, for the 409 that names the record holding one. */
const UNIQUE_COLUMNS: Readonly<Record<string, { column: string; field: string }>> = {
  companies_siren_key: { column: 'siren', field: 'siren' },
  companies_domain_key: { column: 'domain', field: 'domain' },
  companies_pharow_key: { column: 'pharow_company_id', field: 'pharowCompanyId' },
  people_linkedin_key: { column: 'linkedin_url', field: 'linkedinUrl' },
  positions_email_key: { column: 'email', field: 'email' },
};

const PRESENTERS = {
  company: repository.toCompany,
  person: repository.toPerson,
  position: repository.toPosition,
} as const;

/** Reads, PATCH with optimistic concurrency, and DELETE of companies, people and positions. */
export class CrmService {
  constructor(private readonly deps: { pool: Pool; statementTimeoutMs: number }) {}

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  async #page<T>(
    scope: TenantScope,
    cursor: string | undefined,
    list: (sql: Sql, after: ReturnType<typeof decodeCursor> | null) => Promise<KeysetPage<T>>,
  ): Promise<{ items: T[]; nextCursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : null;
    const page = await this.#tx(scope, (sql) => list(sql, after));
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  listCompanies(scope: TenantScope, query: CompanyListQuery) {
    return this.#page(scope, query.cursor, (sql, after) => repository.listCompanies(sql, query, after));
  }

  listPeople(scope: TenantScope, query: PersonListQuery) {
    return this.#page(scope, query.cursor, (sql, after) => repository.listPeople(sql, query, after));
  }

  listPositions(scope: TenantScope, query: PositionListQuery) {
    return this.#page(scope, query.cursor, (sql, after) => repository.listPositions(sql, query, after));
  }

  /** A company with the people who work there. @throws {NotFoundError} */
  async getCompany(scope: TenantScope, id: string) {
    return this.#tx(scope, async (sql) => {
      const row = await this.#found(sql, 'company', id);
      const positions = await repository.positionsWith(sql, 'company_id', id);
      return {
        value: {
          ...repository.toCompany(row),
          positions: positions.map(({ position, other }) => ({
            ...repository.toPosition(position),
            person: repository.toPerson(other),
          })),
        },
        etag: etagOf(row),
      };
    });
  }

  /** A person with where they work. @throws {NotFoundError} */
  async getPerson(scope: TenantScope, id: string) {
    return this.#tx(scope, async (sql) => {
      const row = await this.#found(sql, 'person', id);
      const positions = await repository.positionsWith(sql, 'person_id', id);
      return {
        value: {
          ...repository.toPerson(row),
          positions: positions.map(({ position, other }) => ({
            ...repository.toPosition(position),
            company: repository.toCompany(other),
          })),
        },
        etag: etagOf(row),
      };
    });
  }

  /** A position with its person and company. @throws {NotFoundError} */
  async getPosition(scope: TenantScope, id: string) {
    return this.#tx(scope, async (sql) => {
      const row = await this.#found(sql, 'position', id);
      const person = await this.#found(sql, 'person', row['person_id'] as string);
      const company = await this.#found(sql, 'company', row['company_id'] as string);
      return {
        value: {
          ...repository.toPosition(row),
          person: repository.toPerson(person),
          company: repository.toCompany(company),
        },
        etag: etagOf(row),
      };
    });
  }

  /**
   * Changes the given fields after checking them with the ingest rules. A field set to its current value is
   * not a change; a patch that changes nothing writes nothing (no audit row, same ETag).
   *
   * @throws {ValidationError} a value breaks a rule
   * @throws {NotFoundError}
   * @throws {PreconditionFailedError} If-Match names another version
   * @throws {ConflictError} a unique value (SIREN, domain, Pharow id, LinkedIn URL, e-mail) is another record's
   */
  async patch(
    scope: TenantScope,
    entity: Entity,
    id: string,
    patch: Patch,
    ifMatch: string | null,
  ): Promise<Versioned<unknown>> {
    const requested = normalisePatch(entity, patch);
    const table = repository.TABLES[entity];
    try {
      return await this.#tx(scope, async (sql) => {
        const row = await this.#found(sql, entity, id, true);
        if (ifMatch !== null && !matches(ifMatch, etagOf(row))) {
          throw new PreconditionFailedError(
            'The record changed since you read it; read it again and reapply your change.',
          );
        }
        if (entity === 'company') checkSiret(row, requested);
        const changes = Object.fromEntries(
          Object.entries(requested).filter(([column, value]) => !sameValue(row[column], value)),
        );
        const updated =
          Object.keys(changes).length > 0 ? await repository.updateRow(sql, table, id, changes) : row;
        return { value: PRESENTERS[entity](updated), etag: etagOf(updated) };
      });
    } catch (error) {
      if (error instanceof UniqueViolationError)
        throw await this.#uniqueConflict(scope, entity, id, requested, error);
      throw error;
    }
  }

  /** Deletes a record; a company's or a person's positions go with it. @throws {NotFoundError} */
  async remove(scope: TenantScope, entity: Entity, id: string): Promise<void> {
    const deleted = await this.#tx(scope, (sql) => repository.deleteRow(sql, repository.TABLES[entity], id));
    if (!deleted) throw new NotFoundError(`No such ${entity}.`);
  }

  async #found(sql: Sql, entity: Entity, id: string, forUpdate = false): Promise<repository.Row> {
    const row = await repository.findRow(sql, repository.TABLES[entity], id, forUpdate);
    if (!row) throw new NotFoundError(`No such ${entity}.`);
    return row;
  }

  async #uniqueConflict(
    scope: TenantScope,
    entity: Entity,
    id: string,
    requested: Record<string, unknown>,
    error: UniqueViolationError,
  ): Promise<Error> {
    const unique = error.constraint ? UNIQUE_COLUMNS[error.constraint] : undefined;
    if (!unique) {
      return new ConflictError(`Another ${entity} already has one of these values.`, 'duplicate');
    }
    const holder = await this.#tx(scope, (sql) =>
      repository.findHolder(sql, repository.TABLES[entity], unique.column, requested[unique.column], id),
    );
    return new ConflictError(
      `Another ${entity} already has this ${unique.field}${holder ? ` (${holder})` : ''}.`,
      `duplicate_${unique.field}`,
      holder ? { conflictingId: holder } : {},
    );
  }
}

/** Checks each field of a PATCH with the data rules; null clears a field (a company keeps its name). */
export function normalisePatch(entity: Entity, patch: Patch): Record<string, string | number | null> {
  const errors: FieldError[] = [];
  const changes: Record<string, string | number | null> = {};
  for (const spec of FIELDS_BY_ENTITY[entity]) {
    const raw = patch[spec.name];
    if (raw === undefined) continue;
    const path = `body.${spec.name}`;
    if (raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      if (spec.column === 'name' || spec.column === 'hq_country') {
        errors.push({ path, message: 'cannot be cleared', code: 'required' });
      } else {
        changes[spec.column] = null;
        if (spec.kind === 'naf') changes['naf_nomenclature'] = null;
      }
      continue;
    }
    const normalised = normaliseField(spec, raw, path);
    const problems = normalised.problems.filter((problem) => problem.severity === 'error');
    if (problems.length > 0) {
      errors.push(...problems.map((problem) => ({ path, message: problem.message, code: problem.code })));
      continue;
    }
    changes[spec.column] = normalised.value;
    if (spec.kind === 'naf' && normalised.derived?.['naf_nomenclature']) {
      changes['naf_nomenclature'] = normalised.derived['naf_nomenclature'];
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return changes;
}

/** A company's SIRET stays consistent with its SIREN (the SIRET's first nine digits). */
function checkSiret(row: repository.Row, changes: Record<string, unknown>): void {
  const siret = 'hq_siret' in changes ? changes['hq_siret'] : row['hq_siret'];
  const siren = 'siren' in changes ? changes['siren'] : row['siren'];
  if (typeof siret === 'string' && typeof siren === 'string' && sirenOfSiret(siret) !== siren) {
    throw new ValidationError([
      {
        path: 'body.hqSiret',
        message: "The SIRET's first nine digits are not the SIREN.",
        code: 'siret_siren_mismatch',
      },
    ]);
  }
}

function sameValue(stored: unknown, value: unknown): boolean {
  if (stored === null || stored === undefined) return value === null;
  if (value === null) return false;
  return String(stored) === String(value);
}

/** If-Match holds when it lists the current ETag (or `*`); weak comparison is not allowed for writes. */
function matches(ifMatch: string, etag: string): boolean {
  return ifMatch
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === etag);
}
