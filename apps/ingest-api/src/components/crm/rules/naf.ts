import naf2025Table from './data/naf-2025.json' with { type: 'json' };
import nafRev2Table from './data/naf-rev2.json' with { type: 'json' };
import { accept, reject, warn, type RuleProblem, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

export type NafNomenclature = 'NAF_REV2' | 'NAF_2025';
export interface NafCode {
  code: string;
  nomenclature: NafNomenclature;
}

/** The day NAF 2025 replaces NAF rév. 2 for APE codes (INSEE). */
export const NAF_2025_IN_FORCE = new Date('2027-01-01T00:00:00Z');

const MAX_INPUT_LENGTH = 32;

const labels: Readonly<Record<NafNomenclature, ReadonlyMap<string, string>>> = {
  NAF_REV2: new Map(Object.entries(nafRev2Table.subclasses)),
  NAF_2025: new Map(Object.entries(naf2025Table.subclasses)),
};

/** The sub-class codes of one nomenclature, for tests and reference screens. */
export function nafCodes(nomenclature: NafNomenclature): string[] {
  return [...labels[nomenclature].keys()];
}

/** INSEE's French label of a sub-class, or undefined when the code is not in that nomenclature. */
export function nafLabel(code: string, nomenclature: NafNomenclature): string | undefined {
  return labels[nomenclature].get(code);
}

/**
 * Which nomenclature a code found in the tables belongs to. INSEE chose disjoint suffix letters (rév. 2:
 * A-F and Z; NAF 2025: G-L and Y), so today a code is in one table at most. Should a later table put a
 * code in both, the nomenclature in force on `on` wins, and rév. 2 when no date is given.
 */
export function pickNomenclature(
  inRev2: boolean,
  in2025: boolean,
  on: Date | undefined,
): NafNomenclature | undefined {
  if (inRev2 && in2025) return on !== undefined && on >= NAF_2025_IN_FORCE ? 'NAF_2025' : 'NAF_REV2';
  if (inRev2) return 'NAF_REV2';
  if (in2025) return 'NAF_2025';
  return undefined;
}

/**
 * A NAF (APE) sub-class code, checked against INSEE's lists of NAF rév. 2 (732 sub-classes, in force
 * since 2008) and NAF 2025 (747 sub-classes, in force on 1 January 2027). `6201Z`, `62.01z` and
 * ` 62 01 Z ` all become `62.01Z`. The result keeps the nomenclature the code belongs to; both are
 * accepted whatever the date, since registers already publish both. With `on` on or after
 * 1 January 2027, a rév. 2 code carries the `naf_rev2_superseded` warning.
 */
export function normaliseNaf(input: string, options: { on?: Date } = {}): RuleResult<NafCode> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'NAF code');
  if (!text.ok) return text;
  const match = /^(\d{2})(\d{2})([A-Z])$/.exec(text.value.replace(/[\s.-]/g, '').toUpperCase());
  if (match === null) {
    return reject('invalid_naf_format', 'A NAF sub-class code is 4 digits and a letter, as in 62.01Z.');
  }
  const code = `${match[1]}.${match[2]}${match[3]}`;
  const nomenclature = pickNomenclature(labels.NAF_REV2.has(code), labels.NAF_2025.has(code), options.on);
  if (nomenclature === undefined) {
    return reject('unknown_naf', 'Not a sub-class of NAF rév. 2 nor of NAF 2025.');
  }
  const warnings: RuleProblem[] = [];
  if (nomenclature === 'NAF_REV2' && options.on !== undefined && options.on >= NAF_2025_IN_FORCE) {
    warnings.push(
      warn('naf_rev2_superseded', 'A NAF rév. 2 code; NAF 2025 replaces it from 1 January 2027.'),
    );
  }
  return accept({ code, nomenclature }, warnings);
}
