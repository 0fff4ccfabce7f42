import { digitSum, looksLikeScientificNotation, passesLuhn, stripSeparators } from './digits.js';
import { accept, reject, warn, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

const MAX_INPUT_LENGTH = 64;

/**
 * La Poste has more establishments than a Luhn-checked 5-digit NIC can number, so INSEE lets its SIRETs
 * pass on a second rule: the sum of the 14 digits is a multiple of 5. Its head office (35600000000048)
 * is an ordinary Luhn number and fails that second rule, so both are tried.
 */
const LA_POSTE_SIREN = '356000000';

function passesSiretCheck(digits: string): boolean {
  if (passesLuhn(digits)) return true;
  return digits.startsWith(LA_POSTE_SIREN) && digitSum(digits) % 5 === 0;
}

/**
 * A SIRET (INSEE establishment number): 14 digits, the SIREN then a 5-digit NIC, checked with Luhn or, for
 * La Poste (SIREN 356000000), with the digit sum being a multiple of 5. Separators are removed as for the
 * SIREN; 13 digits get their leading zero back with the `siret_padded` warning.
 */
export function normaliseSiret(input: string): RuleResult<string> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'SIRET');
  if (!text.ok) return text;
  if (looksLikeScientificNotation(text.value)) {
    return reject(
      'invalid_siret_format',
      'Written in scientific notation by a spreadsheet; digits are lost.',
    );
  }
  const digits = stripSeparators(text.value);
  if (!/^\d+$/.test(digits)) return reject('invalid_siret_format', 'A SIRET has digits only.');
  if (digits.length === 13) {
    const padded = `0${digits}`;
    if (!passesSiretCheck(padded)) {
      return reject(
        'invalid_siret_checksum',
        'Has 13 digits; with the leading zero restored it still fails the SIRET check digit.',
      );
    }
    return accept(padded, [
      warn('siret_padded', 'Had 13 digits: the leading zero a spreadsheet drops was restored.'),
    ]);
  }
  if (digits.length === 9) {
    return reject('invalid_siret_format', 'Has 9 digits: this is a SIREN, not a SIRET.');
  }
  if (digits.length !== 14) {
    return reject('invalid_siret_format', `A SIRET has 14 digits; this one has ${digits.length}.`);
  }
  if (/^0+$/.test(digits)) return reject('invalid_siret_format', 'A SIRET cannot be all zeros.');
  if (!passesSiretCheck(digits)) {
    return reject('invalid_siret_checksum', 'The SIRET check digit does not match.');
  }
  return accept(digits);
}

/**
 * The SIREN of a normalised SIRET: its first 9 digits.
 * @throws {RangeError} when `siret` is not 14 ASCII digits (normalise it with `normaliseSiret` first).
 */
export function sirenOfSiret(siret: string): string {
  if (!/^\d{14}$/.test(siret)) throw new RangeError('sirenOfSiret expects a normalised 14-digit SIRET');
  return siret.slice(0, 9);
}
