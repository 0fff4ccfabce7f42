import { accept, reject, type RuleErrorCode, type RuleResult } from './rule-result.js';
import { requireText } from './text.js';

const MAX_URL_LENGTH = 2048;
const MAX_DOMAIN_LENGTH = 253;

export interface NormalisedUrl {
  url: string;
  domain: string;
}

/**
 * Query parameters that only track a click (campaign, ad and mail-tool identifiers), removed from stored
 * URLs; compared case-insensitively. `ref` is kept: on many sites it selects content (a Git branch, a
 * product variant, a partner code that matters) rather than tracking.
 */
const TRACKING_PARAMETERS: ReadonlySet<string> = new Set([
  '__hsfp',
  '__hssc',
  '__hstc',
  '_ga',
  '_gl',
  '_hsenc',
  '_hsmi',
  'dclid',
  'fbclid',
  'gbraid',
  'gclid',
  'gclsrc',
  'hsctatracking',
  'igshid',
  'li_fat_id',
  'mc_cid',
  'mc_eid',
  'mkt_tok',
  'msclkid',
  'ttclid',
  'twclid',
  'wbraid',
  'yclid',
]);

function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || TRACKING_PARAMETERS.has(lower);
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Checks a host the WHATWG URL parser already lower-cased and converted to ASCII, and returns it without a
 * trailing dot, or undefined when it is not a domain name: an IP address, a single label, a label outside
 * `a-z0-9-` (1 to 63 characters, no hyphen at either end) or a top-level label that is neither letters
 * nor punycode.
 */
function checkedHostname(hostname: string): string | undefined {
  const host = hostname.replace(/\.$/, '');
  if (host.length === 0 || host.length > MAX_DOMAIN_LENGTH || host.startsWith('[')) return undefined;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (!TOP_LEVEL_LABEL.test(labels[labels.length - 1] ?? '')) return undefined;
  return host;
}

/** `www.danone.com` names the same company as `danone.com`; a bare `www.fr` keeps its `www`. */
function withoutWww(host: string): string {
  return host.startsWith('www.') && host.split('.').length > 2 ? host.slice(4) : host;
}

type Parsed = { ok: true; url: URL } | { ok: false; code: RuleErrorCode; message: string };

/**
 * Parses a web address as people write it: `https://` is assumed when no scheme is given (`danone.com`,
 * `//danone.com`), `host:port` is not mistaken for a scheme, and schemes other than http and https
 * (`javascript:`, `mailto:`, `ftp:`…) are refused, as are addresses carrying a user name or password.
 */
export function parseWebUrl(value: string): Parsed {
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    return {
      ok: false,
      code: 'unsupported_url_scheme',
      message: 'Only http and https addresses are accepted.',
    };
  }
  const withScheme =
    scheme !== undefined ? value : `${value.startsWith('//') ? 'https:' : 'https://'}${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, code: 'invalid_url', message: 'Not a valid web address.' };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      code: 'invalid_url',
      message: 'Web addresses with a user name or password are refused.',
    };
  }
  return { ok: true, url };
}

/** The query string without its tracking parameters, every other parameter left byte for byte. */
function withoutTracking(search: string): string {
  const kept = search
    .slice(1)
    .split('&')
    .filter((pair) => {
      if (pair === '') return false;
      const name = pair.split('=', 1)[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A malformed escape is not a tracking parameter we know; keep it as written.
      }
      return !isTrackingParameter(decoded);
    });
  return kept.length === 0 ? '' : `?${kept.join('&')}`;
}

/**
 * A website address: `https://` added when there is no scheme (http is kept when written), host
 * lower-cased and converted to ASCII (IDNA), default port, fragment and tracking parameters (`utm_*`,
 * `gclid`, `fbclid`, `msclkid`, `mc_cid`…) removed, other parameters and the path kept as written, and
 * the bare `/` of a home page dropped. The URL keeps its `www.` (the site may not answer without it); the
 * `domain` is the host without it. IP addresses and non-web schemes are refused.
 */
export function normaliseUrl(input: string): RuleResult<NormalisedUrl> {
  const text = requireText(input, MAX_URL_LENGTH, 'web address');
  if (!text.ok) return text;
  const parsed = parseWebUrl(text.value);
  if (!parsed.ok) return reject(parsed.code, parsed.message);
  const { url } = parsed;
  const host = checkedHostname(url.hostname);
  if (host === undefined) {
    return reject('invalid_url', 'The host is not a domain name (IP addresses are not accepted).');
  }
  url.hostname = host;
  url.hash = '';
  url.search = withoutTracking(url.search);
  const normalised = url.pathname === '/' && url.search === '' ? `${url.protocol}//${url.host}` : url.href;
  return accept({ url: normalised, domain: withoutWww(host) });
}

/**
 * A domain name from a bare domain (`Danone.com`), a web address (`https://www.danone.com/fr?x=1`) or an
 * e-mail address (`jean@danone.com`): lower-cased, converted to ASCII (IDNA), without a trailing dot or a
 * leading `www.`. IP addresses, single labels and labels outside `a-z0-9-` (1 to 63 characters) are
 * refused.
 */
export function normaliseDomain(input: string): RuleResult<string> {
  const text = requireText(input, MAX_URL_LENGTH, 'domain');
  if (!text.ok) return text;
  let value = text.value.replace(/^mailto:/i, '');
  if (!value.includes('://') && value.includes('@')) value = value.slice(value.lastIndexOf('@') + 1);
  const parsed = parseWebUrl(value);
  if (!parsed.ok) return reject('invalid_domain', 'Not a domain name, a web address or an e-mail address.');
  const host = checkedHostname(parsed.url.hostname);
  if (host === undefined) {
    return reject('invalid_domain', 'Not a domain name (IP addresses and single labels are not accepted).');
  }
  return accept(withoutWww(host));
}
