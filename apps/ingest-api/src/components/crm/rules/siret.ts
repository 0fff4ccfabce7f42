import { digitSum, passesLuhn } from './digits.js';
import { normaliseInseeNumber } from './insee-number.js';
import { type RuleResult } from './rule-result.js';

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
  return normaliseInseeNumber(input, {
    name: 'SIRET',
    length: 14,
    passesCheck: passesSiretCheck,
    formatCode: 'invalid_siret_format',
    checksumCode: 'invalid_siret_checksum',
    paddedCode: 'siret_padded',
    other: { name: 'SIREN', length: 9 },
  });
}

/**
 * The SIREN of a normalised SIRET: its first 9 digits.
 * @throws {RangeError} when `siret` is not 14 ASCII digits (normalise it with `normaliseSiret` first).
 */
export function sirenOfSiret(siret: string): string {
  if (!/^\d{14}$/.test(siret)) throw new RangeError('sirenOfSiret expects a normalised 14-digit SIRET');
  return siret.slice(0, 9);
}
