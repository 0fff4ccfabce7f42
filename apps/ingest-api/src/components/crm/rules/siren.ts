import { looksLikeScientificNotation, passesLuhn, stripSeparators } from './digits.js';
import { accept, reject, warn, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

const MAX_INPUT_LENGTH = 64;

/**
 * A SIREN (INSEE company number): 9 digits whose Luhn check passes. Spaces (including non-breaking ones),
 * dots and hyphens are removed. Eight digits are taken for a SIREN whose leading zero a spreadsheet
 * dropped: the zero is restored and the `siren_padded` warning says so; if the padded number fails the
 * check it is rejected. A SIRET (14 digits) is rejected, not cut: `sirenOfSiret` does that on purpose.
 */
export function normaliseSiren(input: string): RuleResult<string> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'SIREN');
  if (!text.ok) return text;
  if (looksLikeScientificNotation(text.value)) {
    return reject(
      'invalid_siren_format',
      'Written in scientific notation by a spreadsheet; digits are lost.',
    );
  }
  const digits = stripSeparators(text.value);
  if (!/^\d+$/.test(digits)) return reject('invalid_siren_format', 'A SIREN has digits only.');
  if (digits.length === 8) {
    const padded = `0${digits}`;
    if (!passesLuhn(padded)) {
      return reject(
        'invalid_siren_checksum',
        'Has 8 digits; with the leading zero restored it still fails the SIREN check digit.',
      );
    }
    return accept(padded, [
      warn('siren_padded', 'Had 8 digits: the leading zero a spreadsheet drops was restored.'),
    ]);
  }
  if (digits.length === 14) {
    return reject('invalid_siren_format', 'Has 14 digits: this is a SIRET, not a SIREN.');
  }
  if (digits.length !== 9) {
    return reject('invalid_siren_format', `A SIREN has 9 digits; this one has ${digits.length}.`);
  }
  if (/^0+$/.test(digits)) return reject('invalid_siren_format', 'A SIREN cannot be all zeros.');
  if (!passesLuhn(digits)) return reject('invalid_siren_checksum', 'The SIREN check digit does not match.');
  return accept(digits);
}
