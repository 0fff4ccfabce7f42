import { describe, expect, it } from 'vitest';

import allowlistFile from './data/disposable-allowlist.json' with { type: 'json' };
import { disposableBlocklistSize, isDisposableDomain } from './disposable-domains.js';

describe('isDisposableDomain', () => {
  it('uses the bundled list', () => {
    expect(disposableBlocklistSize()).toBeGreaterThan(1000);
    expect(isDisposableDomain('mailinator.com')).toBe(true);
    expect(isDisposableDomain('danone.com')).toBe(false);
  });

  it('lets the allow-list win over the blocklist, for the domain and its sub-domains', () => {
    const lists = { blocklist: new Set(['orange.fr', 'mailinator.com']), allowlist: new Set(['orange.fr']) };
    expect(isDisposableDomain('orange.fr', lists)).toBe(false);
    expect(isDisposableDomain('smtp.orange.fr', lists)).toBe(false);
    expect(isDisposableDomain('mailinator.com', lists)).toBe(true);
    expect(isDisposableDomain('a.b.mailinator.com', lists)).toBe(true);
  });

  it('never flags an allow-listed provider with the bundled list', () => {
    expect(allowlistFile.domains).toEqual(expect.arrayContaining(['laposte.net', 'orange.fr', 'free.fr']));
    for (const domain of allowlistFile.domains) expect(isDisposableDomain(domain)).toBe(false);
  });
});
