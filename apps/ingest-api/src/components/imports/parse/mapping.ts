import { createHash } from 'node:crypto';
import { COMPANY_FIELDS, PERSON_FIELDS, POSITION_FIELDS, type FieldSpec } from '../../crm/crm.fields.js';

export type MappingReason = 'remembered' | 'exact' | 'alias' | 'fuzzy' | 'none';

export interface ColumnSuggestion {
  index: number;
  header: string;
  /** `entity.name`, e.g. `company.siren`; null when nothing fits or another column took the field. */
  field: string | null;
  /** 0..1 */
  confidence: number;
  reason: MappingReason;
}

export interface MappingConflict {
  field: string;
  /** Every column that matched the field; only the most confident one keeps it. */
  columns: number[];
}

export interface SuggestedMapping {
  columns: ColumnSuggestion[];
  conflicts: MappingConflict[];
}

export type MappingProblemCode =
  | 'unknown_column'
  | 'ambiguous_column'
  | 'duplicate_column'
  | 'unknown_field'
  | 'duplicate_field'
  | 'missing_natural_key';

export interface MappingProblem {
  code: MappingProblemCode;
  /** The mapping key concerned (a header or a column index), if any. */
  column: string | null;
  field: string | null;
  message: string;
}

/**
 * Confidence by how a column was matched. Fuzzy matches score below every exact kind; an exact header that
 * exports use for two fields (`ambiguous`) below the others, so that an unambiguous column keeps the field.
 */
export const CONFIDENCE = {
  remembered: 1,
  alias: 0.97,
  exact: 0.95,
  ambiguous: 0.9,
  fuzzyMax: 0.8,
  fuzzyMin: 0.5,
} as const;

const FIELD_SPECS: readonly FieldSpec[] = [...COMPANY_FIELDS, ...PERSON_FIELDS, ...POSITION_FIELDS];

/** Every field a column can be mapped to, by `entity.name`. */
export const MAPPABLE_FIELDS: ReadonlyMap<string, FieldSpec> = new Map(
  FIELD_SPECS.map((spec) => [`${spec.entity}.${spec.name}`, spec]),
);

/**
 * The natural keys of SPEC §3.2 (doc/crm-merge.md): a row needs one of them to be recognised again, so a
 * mapping must map at least one.
 */
export const NATURAL_KEY_FIELDS: readonly string[] = [
  'company.siren',
  'company.hqSiret',
  'company.websiteUrl',
  'company.domain',
  'company.pharowCompanyId',
  'position.email',
  'person.linkedinUrl',
];

/** Words that carry no meaning in a header: articles, "n°", "number of"... */
const STOPWORDS = new Set([
  'de',
  'du',
  'des',
  'la',
  'le',
  'les',
  'l',
  'd',
  'the',
  'of',
  'n',
  'no',
  'nr',
  'num',
  'numero',
  'number',
]);

/**
 * A header reduced to what identifies it: accents, case, punctuation and spacing ignored, camelCase split
 * (`companySiren` → `company siren`), ligatures spelled out (`œ` → `oe`).
 */
export function normaliseHeader(header: string): string {
  return header
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The normalised header without stopwords: what matching compares. */
function matchKey(header: string): string {
  const words = normaliseHeader(header).split(' ');
  const meaningful = words.filter((word) => word !== '' && !STOPWORDS.has(word));
  return (meaningful.length > 0 ? meaningful : words).join(' ');
}

interface Candidate {
  field: string;
  reason: 'exact' | 'alias';
  confidence: number;
  key: string;
  tokens: readonly string[];
}

/**
 * Headers whose field the import decides over the catalogue's header words (ADR 0065), by normalised header.
 * "Title" is the job title in the prospect exports people bring (LinkedIn Sales Navigator, Apollo, HubSpot,
 * Salesforce, Pharow in English), not the salutation; but address books (Outlook, Google Contacts) write
 * "Title" for Mr/Ms beside a "Job Title", so it and the French "Titre" are `ambiguous`: in such a file the
 * "Job Title" column keeps the job title and the conflict is listed. The salutation keeps the unambiguous
 * headers, with the spellings of Mr/Ms that exports use.
 */
export const DECIDED_HEADERS: ReadonlyMap<string, { field: string; ambiguous: boolean }> = new Map([
  ['title', { field: 'position.jobTitle', ambiguous: true }],
  ['titre', { field: 'position.jobTitle', ambiguous: true }],
  ['titre civilite', { field: 'person.salutation', ambiguous: false }],
  ['civility', { field: 'person.salutation', ambiguous: false }],
  ['mr ms', { field: 'person.salutation', ambiguous: false }],
  ['mr mrs', { field: 'person.salutation', ambiguous: false }],
  ['m mme', { field: 'person.salutation', ambiguous: false }],
]);

/** Match keys of the catalogue: headers people write (exact) and the columns of a Pharow export (alias). */
const CANDIDATES: ReadonlyMap<string, Candidate> = (() => {
  const byKey = new Map<string, Candidate>();
  const add = (field: string, text: string, reason: Candidate['reason']) => {
    const key = matchKey(text);
    // A Pharow column name beats a header word, and the first field of the catalogue keeps a shared word.
    const existing = byKey.get(key);
    if (existing !== undefined && (existing.reason === 'alias' || reason === 'exact')) return;
    byKey.set(key, { field, reason, confidence: CONFIDENCE[reason], key, tokens: key.split(' ') });
  };
  for (const [field, spec] of MAPPABLE_FIELDS) {
    for (const alias of spec.aliases) add(field, alias, 'alias');
  }
  for (const [field, spec] of MAPPABLE_FIELDS) {
    for (const header of spec.headers) add(field, header, 'exact');
  }
  // A field's own name last, and only where no header took it: `linkedinUrl` is a company and a person field.
  for (const [field, spec] of MAPPABLE_FIELDS) add(field, spec.name, 'exact');
  for (const [header, { field, ambiguous }] of DECIDED_HEADERS) {
    const key = matchKey(header);
    const confidence = ambiguous ? CONFIDENCE.ambiguous : CONFIDENCE.exact;
    byKey.set(key, { field, reason: 'exact', confidence, key, tokens: key.split(' ') });
  }
  return byKey;
})();

/**
 * A suggested mapping of a file's headers to CRM fields, each with a confidence. A mapping the organisation
 * confirmed for the same headers (`remembered`: header or column index → field) comes first. Two columns never
 * keep the same field: the most confident keeps it, the others are left unmapped and listed in `conflicts`.
 */
export function suggestMapping(
  headers: string[],
  remembered?: Record<string, string> | null,
): SuggestedMapping {
  const columns = headers.map((header, index): ColumnSuggestion => {
    const recalled = rememberedField(remembered ?? null, header, index);
    if (recalled !== null)
      return { index, header, field: recalled, confidence: CONFIDENCE.remembered, reason: 'remembered' };
    return { index, header, ...matchHeader(header) };
  });
  const byField = new Map<string, ColumnSuggestion[]>();
  for (const column of columns) {
    if (column.field === null) continue;
    const list = byField.get(column.field) ?? [];
    list.push(column);
    byField.set(column.field, list);
  }
  const conflicts: MappingConflict[] = [];
  for (const [field, list] of byField) {
    if (list.length < 2) continue;
    const keeper = list.reduce((best, column) => (column.confidence > best.confidence ? column : best));
    for (const column of list) {
      if (column === keeper) continue;
      column.field = null;
      column.confidence = 0;
      column.reason = 'none';
    }
    conflicts.push({ field, columns: list.map((column) => column.index) });
  }
  return { columns, conflicts };
}

function rememberedField(
  remembered: Record<string, string> | null,
  header: string,
  index: number,
): string | null {
  if (remembered === null) return null;
  const direct = remembered[String(index)] ?? remembered[header];
  if (direct !== undefined) return MAPPABLE_FIELDS.has(direct) ? direct : null;
  const key = normaliseHeader(header);
  for (const [name, field] of Object.entries(remembered)) {
    if (normaliseHeader(name) === key && MAPPABLE_FIELDS.has(field)) return field;
  }
  return null;
}

function matchHeader(header: string): Pick<ColumnSuggestion, 'field' | 'confidence' | 'reason'> {
  const key = matchKey(header);
  if (key === '') return { field: null, confidence: 0, reason: 'none' };
  const exact = CANDIDATES.get(key);
  if (exact !== undefined) return { field: exact.field, confidence: exact.confidence, reason: exact.reason };
  const fuzzy = fuzzyMatch(key);
  if (fuzzy !== null && fuzzy.confidence >= CONFIDENCE.fuzzyMin) return { ...fuzzy, reason: 'fuzzy' };
  return { field: null, confidence: 0, reason: 'none' };
}

/**
 * Two ways a header can be near a known one: it holds every word of it and a few more ("Téléphone mobile
 * pro" holds "mobile"), or it is spelled nearly the same ("Prénon", "adress"). The longest contained key
 * wins; a tie between two fields lowers the confidence below what is suggested.
 */
function fuzzyMatch(key: string): { field: string; confidence: number } | null {
  const tokens = new Set(key.split(' '));
  let best: { field: string; confidence: number; length: number } | null = null;
  let tie = false;
  for (const candidate of CANDIDATES.values()) {
    if (!candidate.tokens.every((token) => tokens.has(token))) continue;
    const confidence = 0.55 + 0.25 * (candidate.tokens.length / tokens.size);
    if (best === null || candidate.tokens.length > best.length) {
      best = { field: candidate.field, confidence, length: candidate.tokens.length };
      tie = false;
    } else if (candidate.tokens.length === best.length && candidate.field !== best.field) {
      tie = true;
    }
  }
  if (best !== null) return { field: best.field, confidence: tie ? best.confidence / 2 : best.confidence };
  let similar: { field: string; score: number } | null = null;
  for (const candidate of CANDIDATES.values()) {
    const score = dice(key, candidate.key);
    if (similar === null || score > similar.score) similar = { field: candidate.field, score };
  }
  if (similar === null || similar.score < 0.75) return null;
  return { field: similar.field, confidence: Math.min(CONFIDENCE.fuzzyMax, similar.score * 0.8) };
}

/** Sørensen–Dice coefficient of the character bigrams of two strings. */
function dice(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const bigrams = new Map<string, number>();
  for (let i = 0; i < a.length - 1; i += 1) {
    const pair = a.slice(i, i + 2);
    bigrams.set(pair, (bigrams.get(pair) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i < b.length - 1; i += 1) {
    const pair = b.slice(i, i + 2);
    const count = bigrams.get(pair) ?? 0;
    if (count > 0) {
      bigrams.set(pair, count - 1);
      shared += 1;
    }
  }
  return (2 * shared) / (a.length + b.length - 2);
}

/**
 * The problems of a mapping a user confirms, each one listed (for one 422). Keys are headers, or column
 * indexes as decimal strings when a header is repeated; values are `entity.name` fields, or null to leave a
 * column out. The mapping must map at least one natural key (`NATURAL_KEY_FIELDS`).
 */
export function validateMapping(mapping: Record<string, string | null>, headers: string[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const columnOf = new Map<number, string>();
  const columnsOfField = new Map<string, string[]>();
  for (const [key, field] of Object.entries(mapping)) {
    const index = resolveColumn(key, headers, problems);
    if (index === null) continue;
    const previous = columnOf.get(index);
    if (previous !== undefined) {
      problems.push({
        code: 'duplicate_column',
        column: key,
        field,
        message: `"${key}" and "${previous}" are the same column (${index + 1}).`,
      });
      continue;
    }
    columnOf.set(index, key);
    if (field === null) continue;
    if (!MAPPABLE_FIELDS.has(field)) {
      problems.push({
        code: 'unknown_field',
        column: key,
        field,
        message: `"${field}" is not a field of the CRM.`,
      });
      continue;
    }
    columnsOfField.set(field, [...(columnsOfField.get(field) ?? []), key]);
  }
  for (const [field, keys] of columnsOfField) {
    if (keys.length > 1) {
      problems.push({
        code: 'duplicate_field',
        column: null,
        field,
        message: `${keys.map((key) => `"${key}"`).join(' and ')} are all mapped to ${field}; map one of them.`,
      });
    }
  }
  if (!NATURAL_KEY_FIELDS.some((field) => columnsOfField.has(field))) {
    problems.push({
      code: 'missing_natural_key',
      column: null,
      field: null,
      message:
        'Map at least one column that identifies a company (SIREN, SIRET, website, domain, Pharow id) or a ' +
        'person (e-mail, LinkedIn URL): without one, the rows could never be recognised again.',
    });
  }
  return problems;
}

function resolveColumn(key: string, headers: string[], problems: MappingProblem[]): number | null {
  if (/^\d+$/.test(key)) {
    const index = Number(key);
    if (index < headers.length) return index;
  }
  const matches = headers.flatMap((header, index) => (header === key ? [index] : []));
  if (matches.length === 1) return matches[0] as number;
  if (matches.length > 1) {
    problems.push({
      code: 'ambiguous_column',
      column: key,
      field: null,
      message: `Several columns are headed "${key}": name them by position (${matches.join(', ')}).`,
    });
  } else {
    problems.push({
      code: 'unknown_column',
      column: key,
      field: null,
      message: `The file has no column "${key}".`,
    });
  }
  return null;
}

/**
 * A stable key for a list of headers (normalised, in order, hashed), under which a confirmed mapping is
 * remembered per organisation. Order counts: the same names in another order are another layout.
 */
export function headerSignature(headers: readonly string[]): string {
  return createHash('sha256').update(headers.map(normaliseHeader).join('\u001f')).digest('hex');
}
