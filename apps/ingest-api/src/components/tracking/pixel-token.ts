import { randomBytes } from 'node:crypto';

/** 32 hex characters of organisation id, then 32 of random. */
export const PIXEL_TOKEN = /^[0-9a-f]{64}$/;

/**
 * A new pixel token: the organisation (so the open is recorded under the ordinary tenant policy and the token's
 * unique key leads with organisation_id, ADR 0002) followed by 128 bits from Node's CSPRNG, in lower-case hex
 * (URL-safe as is).
 */
export function newPixelToken(organisationId: string): string {
  return organisationId.replace(/-/g, '').toLowerCase() + randomBytes(16).toString('hex');
}

/** The public path of a pixel. */
export function pixelPath(token: string): string {
  return `/t/${token}.gif`;
}
