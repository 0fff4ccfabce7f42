/** What an open most likely was. Only this verdict is stored, never the address or the user agent. */
export const OPEN_VERDICTS = [
  'human',
  'apple_privacy_prefetch',
  'google_image_proxy',
  'security_scanner',
  'unknown_bot',
] as const;
export type OpenVerdict = (typeof OPEN_VERDICTS)[number];

// Sources for each rule are in doc/tracking.md. Order matters: the first rule that matches decides.
const GOOGLE_IMAGE_PROXY = /GoogleImageProxy|ggpht\.com/i;
// Link and attachment scanners of mail gateways that fetch images on delivery, before anyone reads.
const SECURITY_SCANNERS =
  /Barracuda|Mimecast|Proofpoint|Forcepoint|Symantec|MessageLabs|Trend ?Micro|Sophos|FireEye|Trellix|Cisco|IronPort|Fortinet|FortiGuard|Check ?Point|Zscaler|Google-Safety|SafeLinks|Microsoft Office Protection|Bitdefender|Kaspersky|Avast|ESET/i;
const GENERIC_BOTS =
  /\bbot\b|bot\/|crawler|spider|slurp|preview|HeadlessChrome|PhantomJS|python-requests|python-urllib|aiohttp|curl\/|wget\/|Go-http-client|Java\/|okhttp|axios\/|node-fetch|undici|libwww|httpclient|HttpURLConnection|scrapy/i;

/** An IPv4 address in 17.0.0.0/8, Apple's own block (Mail Privacy Protection fetches come from Apple). */
function isAppleAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return /^17\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Classifies an open from its user agent and client address, as far as they tell. The timing rule (an open
 * within seconds of sending is a scanner) needs the message's send time and is applied where the open is
 * written (tracking.record_opens).
 */
export function classifyOpen(userAgent: string | undefined, ip: string): OpenVerdict {
  const agent = (userAgent ?? '').trim();
  if (GOOGLE_IMAGE_PROXY.test(agent)) return 'google_image_proxy';
  // Apple's proxy sends a bare "Mozilla/5.0" with nothing after it; a real Apple Mail sends a full agent.
  if (agent === 'Mozilla/5.0' || isAppleAddress(ip)) return 'apple_privacy_prefetch';
  if (SECURITY_SCANNERS.test(agent)) return 'security_scanner';
  if (agent === '' || GENERIC_BOTS.test(agent)) return 'unknown_bot';
  return 'human';
}
