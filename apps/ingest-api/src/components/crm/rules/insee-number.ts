import { looksLikeScientificNotation, stripSeparators } from './digits.js';
import {
  accept,
  reject,
  warn,
  type RuleErrorCode,
  type RuleResult,
  type RuleWarningCode,
} from './rule-result.js';
import { requireText } from './text.js';

const MAX_INPUT_LENGTH = 64;

/** What tells a SIREN from a SIRET: the rest of the normalisation is the same. */
export interface InseeNumberSpec {
  name: 'SIREN' | 'SIRET';
  length: number;
  passesCheck(digits: string): boolean;
  formatCode: RuleErrorCode;
  checksumCode: RuleErrorCode;
  paddedCode: RuleWarningCode;
  /** The other identifier, named when a value of its length is given instead. */
  other: { name: 'SIREN' | 'SIRET'; length: number };
}

/**
 * Removes separators, then requires `spec.length` digits passing `spec.passesCheck`. One digit short is a
 * leading zero a spreadsheet dropped: it is restored with a warning, if the padded number passes the check.
 */
export function normaliseInseeNumber(input: string, spec: InseeNumberSpec): RuleResult<string> {
  const text = requireText(input, MAX_INPUT_LENGTH, spec.name);
  if (!text.ok) return text;
  if (looksLikeScientificNotation(text.value)) {
    return reject(spec.formatCode, 'Written in scientific notation by a spreadsheet; digits are lost.');
  }
  const digits = stripSeparators(text.value);
  if (!/^\d+$/.test(digits)) return reject(spec.formatCode, `A ${spec.name} has digits only.`);
  if (digits.length === spec.length - 1) {
    const padded = `0${digits}`;
    if (!spec.passesCheck(padded)) {
      return reject(
        spec.checksumCode,
        `Has ${digits.length} digits; with the leading zero restored it still fails the ${spec.name} check digit.`,
      );
    }
    return accept(padded, [
      warn(
        spec.paddedCode,
        `Had ${digits.length} digits: the leading zero a spreadsheet drops was restored.`,
      ),
    ]);
  }
  if (digits.length === spec.other.length) {
    return reject(
      spec.formatCode,
      `Has ${digits.length} digits: this is a ${spec.other.name}, not a ${spec.name}.`,
    );
  }
  if (digits.length !== spec.length) {
    return reject(
      spec.formatCode,
      `A ${spec.name} has ${spec.length} digits; this one has ${digits.length}.`,
    );
  }
  if (/^0+$/.test(digits)) return reject(spec.formatCode, `A ${spec.name} cannot be all zeros.`);
  if (!spec.passesCheck(digits)) {
    return reject(spec.checksumCode, `The ${spec.name} check digit does not match.`);
  }
  return accept(digits);
}
