import { accept, reject, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';
import { parseWebUrl } from './url.js';

const MAX_INPUT_LENGTH = 2048;

export type LinkedinKind = 'person' | 'company';

/** The first path segment of each page type, and the kind of entity it belongs to. */
const PAGE_TYPES: ReadonlyMap<string, LinkedinKind> = new Map([
  ['in', 'person'],
  ['company', 'company'],
  ['school', 'company'],
  ['showcase', 'company'],
]);

const SLUG = /^[\p{L}\p{M}\p{N}._&'-]{2,100}$/u;

/**
 * One canonical URL per LinkedIn page: `https://www.linkedin.com/in/<slug>` for a person,
 * `https://www.linkedin.com/company/<slug>` for a company (schools and showcase pages keep their own
 * `/school/` and `/showcase/` path: rewriting them to `/company/` gives addresses that may not resolve).
 * Any `*.linkedin.com` host, http, a missing scheme, query strings, fragments, trailing slashes and
 * sub-pages (`/about/`, `/details/experience/`) are accepted; the slug is percent-decoded, lower-cased
 * (LinkedIn slugs are case-insensitive) and percent-encoded again, so one page has one stored form.
 * Legacy `/pub/` profiles cannot be mapped to their `/in/` address offline and are refused, as is a page of
 * the other kind.
 */
export function normaliseLinkedinUrl(input: string, kind: LinkedinKind): RuleResult<string> {
  const text = requireText(input, MAX_INPUT_LENGTH, 'LinkedIn address');
  if (!text.ok) return text;
  const parsed = parseWebUrl(text.value);
  if (!parsed.ok) return reject('invalid_linkedin_url', 'Not a web address.');
  const host = parsed.url.hostname.replace(/\.$/, '');
  if (host !== 'linkedin.com' && !host.endsWith('.linkedin.com')) {
    return reject(
      'invalid_linkedin_url',
      'Not a linkedin.com address (short lnkd.in links are not resolved).',
    );
  }
  const segments = parsed.url.pathname.split('/').filter((segment) => segment !== '');
  if (segments[0]?.toLowerCase() === 'mwlite') segments.shift();
  const pageType = segments[0]?.toLowerCase() ?? '';
  if (pageType === 'pub') {
    return reject(
      'invalid_linkedin_url',
      'A legacy /pub/ profile address; open it and copy the /in/ address.',
    );
  }
  const pageKind = PAGE_TYPES.get(pageType);
  if (pageKind === undefined) {
    return reject('invalid_linkedin_url', 'Not a LinkedIn profile (/in/) or company page (/company/).');
  }
  if (pageKind !== kind) {
    return reject(
      'invalid_linkedin_url',
      kind === 'person'
        ? 'Expected a person’s profile (/in/), not a page.'
        : 'Expected a company page, not a profile.',
    );
  }
  let slug: string;
  try {
    slug = decodeURIComponent(segments[1] ?? '').toLowerCase();
  } catch {
    return reject('invalid_linkedin_url', 'The address holds a malformed percent-encoding.');
  }
  if (!SLUG.test(slug))
    return reject('invalid_linkedin_url', 'The profile or page name is missing or malformed.');
  return accept(`https://www.linkedin.com/${pageType}/${encodeURIComponent(slug)}`);
}
