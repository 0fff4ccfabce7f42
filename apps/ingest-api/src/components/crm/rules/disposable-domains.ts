import { disposableEmailBlocklist } from 'disposable-email-domains-js';

import allowlistFile from './data/disposable-allowlist.json' with { type: 'json' };

const blocklist: ReadonlySet<string> = new Set(disposableEmailBlocklist());
const allowlist: ReadonlySet<string> = new Set(allowlistFile.domains);

/** The domain and each parent with at least two labels: `a.b.example.fr`, `b.example.fr`, `example.fr`. */
function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  const candidates: string[] = [];
  for (let start = 0; start <= labels.length - 2; start += 1) candidates.push(labels.slice(start).join('.'));
  return candidates;
}

/**
 * Whether a lower-case ASCII domain belongs to a disposable-mail provider: it or a parent domain is on the
 * blocklist and neither it nor a parent is on the allow-list. The lists are parameters for tests; the
 * defaults are the bundled package list and `data/disposable-allowlist.json`.
 */
export function isDisposableDomain(
  domain: string,
  lists: { blocklist: ReadonlySet<string>; allowlist: ReadonlySet<string> } = { blocklist, allowlist },
): boolean {
  const candidates = domainAndParents(domain);
  if (candidates.some((candidate) => lists.allowlist.has(candidate))) return false;
  return candidates.some((candidate) => lists.blocklist.has(candidate));
}

/** How many domains the bundled blocklist holds (reported by the refresh script and the docs). */
export function disposableBlocklistSize(): number {
  return blocklist.size;
}
