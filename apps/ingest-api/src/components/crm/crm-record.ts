import { getCountries } from 'libphonenumber-js';
import {
  checkText,
  normaliseDomain,
  normaliseEmail,
  normaliseLinkedinUrl,
  normaliseNaf,
  normalisePhone,
  normaliseSiren,
  normaliseSiret,
  normaliseUrl,
  sirenOfSiret,
  type RuleProblem,
  type RuleResult,
} from './rules/index.js';
import { FIELD_NAMES, FIELDS_BY_ENTITY, type Entity, type FieldSpec } from './crm.fields.js';

/** A stored value of one column: text, or a whole number for the amount and percentage columns. */
export type ColumnValue = string | number;
/** The clean values of one entity of a record, by column. */
export type EntityValues = Record<string, ColumnValue>;

export interface CleanRecord {
  company: EntityValues | null;
  person: EntityValues | null;
  position: EntityValues | null;
}

export interface RecordProblem {
  /** Where in the record, e.g. `company.siren` (the name the caller used). */
  path: string;
  code: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Codes this module adds to those of the data rules (`rules/`); listed in doc/crm-merge.md. */
export const RECORD_CODES = [
  'invalid_record',
  'invalid_type',
  'unknown_field',
  'conflicting_aliases',
  'siret_siren_mismatch',
  'invalid_country',
  'invalid_salutation',
  'invalid_email_status',
  'invalid_percent',
  'invalid_amount',
  'empty_record',
  'missing_company_key',
  'missing_person_key',
  'position_needs_person_and_company',
] as const;

const ENTITIES: readonly Entity[] = ['company', 'person', 'position'];

const problem = (
  path: string,
  code: string,
  message: string,
  severity: 'error' | 'warning' = 'error',
): RecordProblem => ({ path, code, message, severity });

const fromRule = (path: string, rule: RuleProblem): RecordProblem => ({
  path,
  code: rule.code,
  message: rule.message,
  severity: rule.severity,
});

const COUNTRY_CODES = new Set<string>(getCountries());
const COUNTRY_NAMES = (() => {
  const names = new Map<string, string>();
  for (const locale of ['fr', 'en']) {
    const display = new Intl.DisplayNames([locale], { type: 'region' });
    for (const code of COUNTRY_CODES) {
      const name = display.of(code);
      if (name) names.set(foldForLookup(name), code);
    }
  }
  return names;
})();

/** Lower case, accents and punctuation removed: how free-form enumerations are compared. */
export function foldForLookup(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const SALUTATIONS = new Map<string, string>([
  ['m', 'mr'],
  ['mr', 'mr'],
  ['monsieur', 'mr'],
  ['mister', 'mr'],
  ['mme', 'mrs'],
  ['mrs', 'mrs'],
  ['ms', 'mrs'],
  ['madame', 'mrs'],
  ['mlle', 'mrs'],
  ['mademoiselle', 'mrs'],
  ['miss', 'mrs'],
  ['mx', 'mx'],
]);

const EMAIL_STATUSES = new Map<string, string>([
  ['valid', 'valid'],
  ['verified', 'valid'],
  ['deliverable', 'valid'],
  ['safe', 'valid'],
  ['ok', 'valid'],
  ['risky', 'risky'],
  ['catch all', 'catch_all'],
  ['catchall', 'catch_all'],
  ['accept all', 'catch_all'],
  ['invalid', 'invalid'],
  ['undeliverable', 'invalid'],
  ['unknown', 'unknown'],
]);

const AMOUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, md: 1e9, mds: 1e9, g: 1e9 };

interface Normalised {
  /** The column's value, or null when the input is empty (an empty value never erases). */
  value: ColumnValue | null;
  /** Other columns this value determines (the domain of a URL, the nomenclature of a NAF code). */
  derived?: Record<string, ColumnValue>;
  problems: RecordProblem[];
}

function fromResult<T>(
  path: string,
  result: RuleResult<T>,
  toValue: (value: T) => Omit<Normalised, 'problems'>,
): Normalised {
  if (!result.ok) return { value: null, problems: [fromRule(path, result.problem)] };
  return { ...toValue(result.value), problems: result.warnings.map((warning) => fromRule(path, warning)) };
}

/**
 * Checks and normalises one raw value of a field. Empty strings and null are "no value". Numbers are
 * accepted where people's tools produce them (amounts, percentages, and identifiers Excel turned into
 * numbers).
 */
export function normaliseField(spec: FieldSpec, raw: unknown, path: string): Normalised {
  if (raw === null || raw === undefined) return { value: null, problems: [] };
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    return { value: null, problems: [problem(path, 'invalid_type', 'Expected a string or a number.')] };
  }
  if (typeof raw === 'number' && !Number.isFinite(raw)) {
    return { value: null, problems: [problem(path, 'invalid_type', 'Expected a finite number.')] };
  }
  const input = typeof raw === 'number' ? String(raw) : raw;
  const text = checkText(input, spec.maxLength);
  if (!text.ok) return { value: null, problems: [fromRule(path, text.problem)] };
  const value = text.value.trim();
  if (value === '') return { value: null, problems: [] };

  switch (spec.kind) {
    case 'text':
      return { value, problems: [] };
    case 'siren':
      return fromResult(path, normaliseSiren(value), (siren) => ({ value: siren }));
    case 'siret':
      return fromResult(path, normaliseSiret(value), (siret) => ({ value: siret }));
    case 'naf': {
      // Exports often carry the label after the code: "62.01Z - Programmation informatique".
      const code = /^\s*(\d{2}\s*\.?\s*\d{2}\s*[A-Za-z])(?![A-Za-z])/.exec(value)?.[1] ?? value;
      return fromResult(path, normaliseNaf(code), (naf) => ({
        value: naf.code,
        derived: { naf_nomenclature: naf.nomenclature },
      }));
    }
    case 'phone':
      return fromResult(path, normalisePhone(value), (phone) => ({ value: phone }));
    case 'email':
      return fromResult(path, normaliseEmail(value), (email) => ({ value: email.email }));
    case 'url':
      return fromResult(path, normaliseUrl(value), (url) => ({
        value: url.url,
        derived: { domain: url.domain },
      }));
    case 'domain':
      return fromResult(path, normaliseDomain(value), (domain) => ({ value: domain }));
    case 'linkedin':
      return fromResult(
        path,
        normaliseLinkedinUrl(value, spec.entity === 'company' ? 'company' : 'person'),
        (url) => ({ value: url }),
      );
    case 'country': {
      const upper = value.toUpperCase();
      const code = COUNTRY_CODES.has(upper) ? upper : COUNTRY_NAMES.get(foldForLookup(value));
      return code
        ? { value: code, problems: [] }
        : {
            value: null,
            problems: [problem(path, 'invalid_country', 'Not an ISO 3166 country code or country name.')],
          };
    }
    case 'salutation': {
      const salutation = SALUTATIONS.get(foldForLookup(value));
      return salutation
        ? { value: salutation, problems: [] }
        : {
            value: null,
            problems: [problem(path, 'invalid_salutation', 'Expected M., Mme, Mr, Mrs, Ms or Mx.')],
          };
    }
    case 'email_status': {
      const status = EMAIL_STATUSES.get(foldForLookup(value));
      return status
        ? { value: status, problems: [] }
        : {
            value: null,
            problems: [
              problem(path, 'invalid_email_status', 'Expected valid, risky, catch_all, invalid or unknown.'),
            ],
          };
    }
    case 'percent': {
      const match = /^(\d{1,3})(?:[.,](\d+))?\s*%?$/.exec(value);
      const percent = match ? Math.round(Number(`${match[1]}.${match[2] ?? '0'}`)) : NaN;
      return Number.isInteger(percent) && percent >= 0 && percent <= 100
        ? { value: percent, problems: [] }
        : {
            value: null,
            problems: [problem(path, 'invalid_percent', 'Expected a percentage from 0 to 100, e.g. 87%.')],
          };
    }
    case 'euros': {
      const amount = parseEuros(value);
      return amount !== null
        ? { value: amount, problems: [] }
        : {
            value: null,
            problems: [
              problem(
                path,
                'invalid_amount',
                'Expected a non-negative amount in euros, e.g. 1 200 000 or 1,2 M€.',
              ),
            ],
          };
    }
  }
}

/** "1 200 000 €", "1.200.000", "1,2 M€", "850k" → whole euros; null when it is not an amount. */
export function parseEuros(value: string): number | null {
  const compact = value.replace(/[\s\u00a0\u202f]/g, '').replace(/(€|eur|euros?)$/i, '');
  const match = /^(\d+(?:[.,]\d{3})*|\d+)(?:[.,](\d+))?(k|m|md|mds|g)?$/i.exec(compact);
  if (!match) return null;
  const unit = AMOUNT_UNITS[(match[3] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  const whole = (match[1] ?? '').replace(/[.,]/g, '');
  const amount = Math.round(Number(`${whole}.${match[2] ?? '0'}`) * unit);
  return Number.isSafeInteger(amount) && amount >= 0 ? amount : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Clean values of one entity part of a record, by column; null when nothing non-empty was given. */
function validateEntity(
  entity: Entity,
  raw: Record<string, unknown>,
  problems: RecordProblem[],
): EntityValues | null {
  const names = FIELD_NAMES[entity];
  const values: EntityValues = {};
  const sources = new Map<string, string>();
  for (const [key, rawValue] of Object.entries(raw)) {
    const path = `${entity}.${key}`;
    const spec = names.get(key);
    if (spec === undefined) {
      problems.push(
        problem(path, 'unknown_field', `${key} is not a ${entity} field; it was ignored.`, 'warning'),
      );
      continue;
    }
    const normalised = normaliseField(spec, rawValue, path);
    problems.push(...normalised.problems);
    if (normalised.value === null) continue;
    const earlier = sources.get(spec.column);
    if (earlier !== undefined && values[spec.column] !== normalised.value) {
      problems.push(
        problem(
          path,
          'conflicting_aliases',
          `${key} and ${earlier} name the same field with different values.`,
        ),
      );
      continue;
    }
    sources.set(spec.column, key);
    values[spec.column] = normalised.value;
    for (const [column, value] of Object.entries(normalised.derived ?? {})) {
      // An explicit value of a derived column (a domain given beside the URL) wins over the derived one.
      if (values[column] === undefined) values[column] = value;
    }
  }
  return Object.keys(values).length > 0 ? values : null;
}

/** Cross-field rules of a company: the SIRET's first nine digits are the SIREN (given or derived). */
function checkCompany(company: EntityValues, problems: RecordProblem[]): void {
  const siret = company['hq_siret'];
  if (typeof siret !== 'string') return;
  const fromSiret = sirenOfSiret(siret);
  if (company['siren'] === undefined) company['siren'] = fromSiret;
  else if (company['siren'] !== fromSiret) {
    problems.push(
      problem('company.hqSiret', 'siret_siren_mismatch', "The SIRET's first nine digits are not the SIREN."),
    );
  }
}

/**
 * Validates one raw record `{company?, person?, position?}` with the data rules: the clean values by column,
 * and every problem (errors reject the record; warnings do not). The natural keys a record needs to be
 * matched are checked here too (SPEC §3.2): a company needs a SIREN, a domain or a Pharow id; a person an
 * e-mail or a LinkedIn URL; a position both a person and a company.
 */
export function validateRecord(raw: unknown): { record: CleanRecord; problems: RecordProblem[] } {
  const problems: RecordProblem[] = [];
  const record: CleanRecord = { company: null, person: null, position: null };
  if (!isPlainObject(raw)) {
    problems.push(problem('', 'invalid_record', 'A record is an object with company, person and position.'));
    return { record, problems };
  }
  for (const [key, part] of Object.entries(raw)) {
    if (!(ENTITIES as readonly string[]).includes(key)) {
      problems.push(
        problem(key, 'unknown_field', `${key} is not part of a record; it was ignored.`, 'warning'),
      );
      continue;
    }
    if (part === null || part === undefined) continue;
    if (!isPlainObject(part)) {
      problems.push(problem(key, 'invalid_type', `${key} must be an object.`));
      continue;
    }
    record[key as Entity] = validateEntity(key as Entity, part, problems);
  }
  const { company, person, position } = record;
  if (company) checkCompany(company, problems);
  // A key that was given but refused (a bad SIREN) is already reported; "missing" would say it twice.
  const refused = (entity: Entity) =>
    problems.some((p) => p.severity === 'error' && (p.path === entity || p.path.startsWith(`${entity}.`)));
  if (!company && !person && !position && !hasErrors(problems)) {
    problems.push(
      problem('', 'empty_record', 'The record has no value for a company, a person or a position.'),
    );
  }
  if (
    company &&
    !company['siren'] &&
    !company['domain'] &&
    !company['pharow_company_id'] &&
    !refused('company')
  ) {
    problems.push(
      problem(
        'company',
        'missing_company_key',
        'A company needs a SIREN, a SIRET, a website or a Pharow id.',
      ),
    );
  }
  if (
    person &&
    !person['linkedin_url'] &&
    !position?.['email'] &&
    !refused('person') &&
    !refused('position')
  ) {
    problems.push(
      problem('person', 'missing_person_key', 'A person needs a position e-mail or a LinkedIn URL.'),
    );
  }
  if (position && (!person || !company)) {
    problems.push(
      problem(
        'position',
        'position_needs_person_and_company',
        'A position links a person and a company: give both.',
      ),
    );
  }
  return { record, problems };
}

export const hasErrors = (problems: readonly RecordProblem[]): boolean =>
  problems.some((entry) => entry.severity === 'error');

/** Each entity's API field name by column, built once (one field per column). */
const NAME_OF_COLUMN = new Map(
  (Object.keys(FIELDS_BY_ENTITY) as Entity[]).map(
    (entity) => [entity, new Map(FIELDS_BY_ENTITY[entity].map((spec) => [spec.column, spec.name]))] as const,
  ),
);

/** The API name of a column of an entity (`hq_siret` → `hqSiret`). */
export function fieldName(entity: Entity, column: string): string {
  return (
    NAME_OF_COLUMN.get(entity)?.get(column) ??
    column.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase())
  );
}
