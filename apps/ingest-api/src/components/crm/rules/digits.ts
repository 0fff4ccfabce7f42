/**
 * Separators people and office software put inside identifiers: every Unicode space (including the
 * non-breaking U+00A0 and narrow non-breaking U+202F that French typography and Excel's French locale
 * insert), dots, hyphens and the typographic hyphens and dashes word processors substitute for them.
 */
const SEPARATORS = /[\s.\-\u2010-\u2015]/g;

export function stripSeparators(value: string): string {
  return value.replace(SEPARATORS, '');
}

/** A number Excel rewrote in scientific notation (`5.52033E+13`): its trailing digits are lost for good. */
export function looksLikeScientificNotation(value: string): boolean {
  return /^\d(?:[.,]\d+)?E\+?\d+$/i.test(value.replace(/\s/g, ''));
}

/** Luhn (mod 10) over a string of ASCII digits, the check INSEE uses for SIREN and SIRET. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function digitSum(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) sum += digits.charCodeAt(index) - 48;
  return sum;
}
