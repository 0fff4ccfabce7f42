import { passesLuhn } from './digits.js';
import { normaliseInseeNumber } from './insee-number.js';
import { type RuleResult } from './rule-result.js';

/**
 * A SIREN (INSEE company number): 9 digits whose Luhn check passes. Spaces (including non-breaking ones),
 * dots and hyphens are removed. Eight digits are taken for a SIREN whose leading zero a spreadsheet
 * dropped: the zero is restored and the `siren_padded` warning says so; if the padded number fails the
 * check it is rejected. A SIRET (14 digits) is rejected, not cut: `sirenOfSiret` does that on purpose.
 */
export function normaliseSiren(input: string): RuleResult<string> {
  return normaliseInseeNumber(input, {
    name: 'SIREN',
    length: 9,
    passesCheck: passesLuhn,
    formatCode: 'invalid_siren_format',
    checksumCode: 'invalid_siren_checksum',
    paddedCode: 'siren_padded',
    other: { name: 'SIRET', length: 14 },
  });
}
