import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VisitorKeys } from './visitor-key.js';

// Stored visitor keys deduplicate opens across restarts and deploys: the bytes hashed must never change.
const reference = (secret: string, token: string, ip: string, agent: string) =>
  createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(token)
    .update('\u0000')
    .update(ip)
    .update('\u0000')
    .update(agent)
    .digest()
    .subarray(0, 16)
    .toString('base64url');

describe('VisitorKeys', () => {
  const keys = new VisitorKeys('a secret of the deployment');

  it('is HMAC-SHA256 of token, address and agent joined by NUL, first 16 bytes in base64url', () => {
    for (const [token, ip, agent] of [
      ['a'.repeat(64), '198.51.100.7', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)'],
      ['b'.repeat(64), '2001:db8::1', 'Outlook – Courrier électronique ✉'],
      ['c'.repeat(64), '203.0.113.9', ''],
    ] as const) {
      expect(keys.keyOf(token, ip, agent)).toBe(reference('a secret of the deployment', token, ip, agent));
    }
  });

  it('tells readers apart by address and agent, and the same reader apart on another message', () => {
    const token = 'a'.repeat(64);
    const key = keys.keyOf(token, '198.51.100.7', 'agent');
    expect(keys.keyOf(token, '198.51.100.7', 'agent')).toBe(key);
    expect(keys.keyOf(token, '198.51.100.8', 'agent')).not.toBe(key);
    expect(keys.keyOf(token, '198.51.100.7', 'agent 2')).not.toBe(key);
    expect(keys.keyOf('b'.repeat(64), '198.51.100.7', 'agent')).not.toBe(key);
    expect(new VisitorKeys('another secret').keyOf(token, '198.51.100.7', 'agent')).not.toBe(key);
  });
});
