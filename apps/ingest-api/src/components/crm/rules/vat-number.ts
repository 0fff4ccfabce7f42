/**
 * The French intra-community VAT number of a company: `FR`, a 2-digit key, then the SIREN, where
 * key = (12 + 3 × (SIREN mod 97)) mod 97. The SIREN fits in a double exactly, so plain numbers suffice.
 * @throws {RangeError} when `siren` is not 9 ASCII digits (normalise it with `normaliseSiren` first).
 */
export function vatNumberFromSiren(siren: string): string {
  if (!/^\d{9}$/.test(siren)) throw new RangeError('vatNumberFromSiren expects a normalised 9-digit SIREN');
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return `FR${String(key).padStart(2, '0')}${siren}`;
}
