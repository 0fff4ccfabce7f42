import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/**
 * The privacy-preserving visitor key of an open: HMAC-SHA256 under the server's secret over the pixel token, the
 * client address and the user agent, cut to 128 bits (22 base64url characters). Keyed per message, so one key
 * never links a reader across messages; keyed by a secret, so the stored key cannot be reversed by hashing
 * candidate addresses without it. The address and agent themselves are never stored (doc/tracking.md).
 */
export class VisitorKeys {
  // A KeyObject made once: given a Buffer, createHmac imports the key again on every call (one per pixel hit).
  readonly #secret: KeyObject;

  /** @param secret TRACKING_VISITOR_SECRET; null draws a random one for this process (outside production). */
  constructor(secret: string | null) {
    this.#secret = createSecretKey(secret === null ? randomBytes(32) : Buffer.from(secret, 'utf8'));
  }

  keyOf(token: string, ip: string, userAgent: string): string {
    // One update of the joined text: the same UTF-8 bytes as updating each part in turn, one call into C++.
    return createHmac('sha256', this.#secret)
      .update(`${token}\u0000${ip}\u0000${userAgent}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }
}
