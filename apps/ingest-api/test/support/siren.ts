import { passesLuhn } from '../../src/components/crm/rules/digits.js';

/** A Luhn-valid SIREN made from a number: eight digits and the check digit that passes. */
export function sirenOf(n: number): string {
  const base = String(n).padStart(8, '0');
  for (let check = 0; check < 10; check += 1) {
    if (passesLuhn(`${base}${check}`)) return `${base}${check}`;
  }
  throw new Error(`no check digit for ${base}`);
}
