import {
  getCountryCallingCode,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max';

import { accept, reject, warn, type RuleErrorCode, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

const MAX_INPUT_LENGTH = 64;

/** Regions dialled with the French 10-digit national plan (0 + 9 digits), overseas departments included. */
const FRENCH_PLAN_REGIONS: ReadonlySet<CountryCode> = new Set([
  'FR',
  'GP',
  'GF',
  'MQ',
  'RE',
  'YT',
  'BL',
  'MF',
]);

/**
 * Overseas territories inside the French national plan, by the first 3 digits of the 9-digit number
 * (ARCEP allocations). libphonenumber parses `0590…` with region FR as an invalid `+33590…` and, worse,
 * `0508…` as a valid metropolitan `+33508…`, so the territory is chosen here, deliberately. Ranges shared
 * by several territories (08, 09, 0709) stay with the plain parse: no territory can be picked for them.
 */
const OVERSEAS_BY_PREFIX: ReadonlyMap<string, CountryCode> = new Map([
  ['590', 'GP'], // Guadeloupe, Saint-Barthélemy and Saint-Martin fixed lines (+590)
  ['690', 'GP'], // their mobiles
  ['691', 'GP'],
  ['594', 'GF'], // Guyane (+594)
  ['694', 'GF'],
  ['596', 'MQ'], // Martinique (+596)
  ['696', 'MQ'],
  ['697', 'MQ'],
  ['262', 'RE'], // La Réunion (+262)
  ['263', 'RE'],
  ['692', 'RE'],
  ['693', 'RE'],
  ['269', 'YT'], // Mayotte, which shares +262 with La Réunion
  ['639', 'YT'],
  ['508', 'PM'], // Saint-Pierre-et-Miquelon (+508), whose own numbers have 6 digits
]);

const TERRITORY_NAMES: Readonly<Partial<Record<CountryCode, string>>> = {
  GP: 'Guadeloupe',
  GF: 'Guyane',
  MQ: 'Martinique',
  RE: 'La Réunion',
  YT: 'Mayotte',
  PM: 'Saint-Pierre-et-Miquelon',
};

/**
 * The 9 digits after the trunk 0 of a number written in the French plan, whichever way it was written:
 * `06…`, `6…` (a spreadsheet dropped the 0), `+33 6…`, `+33 (0)6…`, `0033 6…` or `33 6…` (the + dropped).
 */
function frenchSignificantNumber(compact: string, defaultRegion: CountryCode): string | undefined {
  const international = /^(?:\+|00)?33(?:0)?(\d{9})$/.exec(compact);
  if (international !== null) return international[1];
  if (!FRENCH_PLAN_REGIONS.has(defaultRegion)) return undefined;
  return /^0?(\d{9})$/.exec(compact)?.[1];
}

function lengthProblem(number: string, region: CountryCode): { code: RuleErrorCode; message: string } {
  switch (validatePhoneNumberLength(number, region)) {
    case 'TOO_SHORT':
      return { code: 'phone_too_short', message: 'Too few digits for a phone number of that country.' };
    case 'TOO_LONG':
      return { code: 'phone_too_long', message: 'Too many digits for a phone number of that country.' };
    case 'INVALID_COUNTRY':
      return { code: 'phone_unknown_country', message: 'The country calling code does not exist.' };
    default:
      return { code: 'invalid_phone', message: 'Not a valid phone number.' };
  }
}

/**
 * A phone number in E.164 (`+33123456789`), parsed with libphonenumber's full metadata. Spaces, dots,
 * hyphens, `+33 (0)`, `0033` and a French `poste 12` extension are understood; `defaultRegion` (FR) applies
 * to numbers written without a country code. Numbers of the overseas departments written in the French
 * plan get their own country code (`0590…` becomes `+590590…`, `0508 41 23 45` becomes `+508412345`),
 * never `+33`. An extension cannot live in E.164: it is dropped with the `phone_extension_dropped`
 * warning. Anything that is not a valid number for its country is rejected with a reason.
 */
export function normalisePhone(input: string, defaultRegion: CountryCode = 'FR'): RuleResult<string> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'phone number');
  if (!text.ok) return text;
  if (/[;,|]|\s\/\s|\s(?:ou|or|et|and)\s/i.test(text.value)) {
    return reject('invalid_phone', 'Holds more than one phone number; keep one per field.');
  }
  const extension = /\s*(?:ext\.?|extension|x|#|poste|p\.?)\s*(\d{1,6})\s*$/i.exec(text.value);
  const written = (extension === null ? text.value : text.value.slice(0, extension.index))
    .replace(/^tel:/i, '')
    .replace(/^((?:\+|00)\s*\d{1,3})\s*\(0\)/, '$1');
  const warnings =
    extension === null
      ? []
      : [warn('phone_extension_dropped', 'The extension was dropped: E.164 numbers cannot hold one.')];

  const significant = frenchSignificantNumber(written.replace(/[\s.\-()]/g, ''), defaultRegion);
  const territory = significant === undefined ? undefined : OVERSEAS_BY_PREFIX.get(significant.slice(0, 3));
  if (significant !== undefined && territory !== undefined) {
    const national = territory === 'PM' ? significant.slice(3) : significant;
    const parsed = parsePhoneNumberFromString(`+${getCountryCallingCode(territory)}${national}`);
    if (parsed === undefined || !parsed.isValid()) {
      return reject('invalid_phone', `Not a valid number of ${TERRITORY_NAMES[territory] ?? territory}.`);
    }
    return accept(parsed.number, warnings);
  }

  const parsed = parsePhoneNumberFromString(written, defaultRegion);
  if (parsed === undefined || !parsed.isValid()) {
    const problem = lengthProblem(written, defaultRegion);
    return reject(problem.code, problem.message);
  }
  // An extension libphonenumber found on its own (RFC 3966 `;ext=` is refused above) is one we did not.
  if (parsed.ext !== undefined)
    return reject('invalid_phone', 'Has an unrecognised suffix after the number.');
  return accept(parsed.number, warnings);
}
