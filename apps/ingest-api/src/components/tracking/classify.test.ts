import { describe, expect, it } from 'vitest';
import { classifyOpen } from './classify.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0 Safari/537.36';

describe('classifyOpen', () => {
  it.each([
    ['a desktop browser', CHROME, '203.0.113.5', 'human'],
    [
      'Apple Mail on a Mac, without Privacy Protection',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)',
      '203.0.113.5',
      'human',
    ],
    [
      'a phone whose model name ends in "bot"',
      'Mozilla/5.0 (Linux; Android 10; CUBOT X30) Chrome/120.0 Mobile',
      '203.0.113.5',
      'human',
    ],
    [
      "Gmail's image proxy",
      'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
      '66.249.84.1',
      'google_image_proxy',
    ],
    ["Apple's privacy proxy (bare agent)", 'Mozilla/5.0', '104.28.9.9', 'apple_privacy_prefetch'],
    ["Apple's own address block", CHROME, '17.58.101.2', 'apple_privacy_prefetch'],
    ["Apple's block as an IPv4-mapped IPv6 address", CHROME, '::ffff:17.1.2.3', 'apple_privacy_prefetch'],
    [
      'a mail gateway scanner',
      'Mozilla/5.0 (compatible; Mimecast URL Protect)',
      '198.51.100.1',
      'security_scanner',
    ],
    ["Google's safety crawler", 'Google-Safety', '66.249.66.1', 'security_scanner'],
    ['curl', 'curl/8.5.0', '198.51.100.1', 'unknown_bot'],
    ['a headless browser', 'Mozilla/5.0 HeadlessChrome/120.0', '198.51.100.1', 'unknown_bot'],
    ['no agent at all', undefined, '198.51.100.1', 'unknown_bot'],
    ['a crawler', 'Mozilla/5.0 (compatible; bingbot/2.0)', '198.51.100.1', 'unknown_bot'],
  ])('%s', (_name, agent, ip, verdict) => {
    expect(classifyOpen(agent, ip)).toBe(verdict);
  });

  it('does not take a 17.x address inside a longer one for Apple', () => {
    expect(classifyOpen(CHROME, '117.58.1.1')).toBe('human');
    expect(classifyOpen(CHROME, '2001:db8::17:1')).toBe('human');
  });
});
