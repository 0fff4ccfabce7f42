import { createHash } from 'node:crypto';
import type { VerifiedToken } from './token-verifier.js';

/**
 * Tokens whose signature and claims were verified, remembered by the SHA-256 of the exact token string (so no
 * bearer token is kept in memory) until their `exp`, in least-recently-used order up to `maxEntries`. A hit
 * saves the RS256 check and the claim checks of a token this process already accepted; nothing else is
 * skipped (the deny-list is not part of what is cached). Failures are never cached.
 */
export class VerifiedTokenCache {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  readonly #entries = new Map<string, VerifiedToken>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  /**
   * @param maxEntries 0 turns the cache off
   * @param now milliseconds since the epoch (the clock the verifier checks `exp` with)
   */
  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The verified claims of exactly this token, unless it has expired since (then it is forgotten). */
  get(token: string): VerifiedToken | undefined {
    if (this.#maxEntries === 0) return undefined;
    const key = keyOf(token);
    const verified = this.#entries.get(key);
    if (verified === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= verified.expiresAt * 1000) return undefined;
    this.#entries.set(key, verified);
    return verified;
  }

  /** Remembers a token that was just verified in full; its claims are frozen, as every hit shares them. */
  set(token: string, verified: VerifiedToken): void {
    if (this.#maxEntries === 0 || this.#now() >= verified.expiresAt * 1000) return;
    const key = keyOf(token);
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    Object.freeze(verified.groups);
    Object.freeze(verified.scopes);
    this.#entries.set(key, Object.freeze(verified));
  }

  /** Forgets every token: the keys they were verified with may have changed. */
  clear(): void {
    this.#entries.clear();
  }
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
