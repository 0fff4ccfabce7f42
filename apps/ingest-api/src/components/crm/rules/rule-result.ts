/**
 * Error codes reject the value: nothing is stored. Warning codes keep the value and say what was done to it
 * or what it looks like; they never make a rule fail.
 */
export const RULE_ERROR_CODES = [
  'empty_value',
  'invalid_characters',
  'too_long',
  'invalid_siren_format',
  'invalid_siren_checksum',
  'invalid_siret_format',
  'invalid_siret_checksum',
  'invalid_naf_format',
  'unknown_naf',
  'invalid_phone',
  'phone_too_short',
  'phone_too_long',
  'phone_unknown_country',
  'invalid_email',
  'email_too_long',
  'invalid_url',
  'unsupported_url_scheme',
  'invalid_domain',
  'invalid_linkedin_url',
] as const;

export const RULE_WARNING_CODES = [
  'siren_padded',
  'siret_padded',
  'naf_rev2_superseded',
  'phone_extension_dropped',
  'disposable_email',
  'role_email',
] as const;

/** Every code a rule can return, errors first; `doc/data-rules.md` documents each one (a test checks it). */
export const RULE_CODES = [...RULE_ERROR_CODES, ...RULE_WARNING_CODES] as const;

export type RuleErrorCode = (typeof RULE_ERROR_CODES)[number];
export type RuleWarningCode = (typeof RULE_WARNING_CODES)[number];
export type RuleCode = RuleErrorCode | RuleWarningCode;

export type RuleSeverity = 'error' | 'warning';
export interface RuleProblem {
  code: RuleCode;
  message: string;
  severity: RuleSeverity;
}
export type RuleResult<T> =
  { ok: true; value: T; warnings: RuleProblem[] } | { ok: false; problem: RuleProblem };

const warningCodes: ReadonlySet<RuleCode> = new Set(RULE_WARNING_CODES);

/** The severity a code always has: a code is either an error or a warning, never both. */
export function severityOf(code: RuleCode): RuleSeverity {
  return warningCodes.has(code) ? 'warning' : 'error';
}

export function accept<T>(value: T, warnings: RuleProblem[] = []): RuleResult<T> {
  return { ok: true, value, warnings };
}

export function reject<T>(code: RuleErrorCode, message: string): RuleResult<T> {
  return { ok: false, problem: { code, message, severity: 'error' } };
}

export function warn(code: RuleWarningCode, message: string): RuleProblem {
  return { code, message, severity: 'warning' };
}
