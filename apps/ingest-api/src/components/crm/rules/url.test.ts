import { describe, expect, it } from 'vitest';

import { normaliseDomain, normaliseUrl } from './url.js';

describe('normaliseUrl', () => {
  it.each([
    ['danone.com', 'https://danone.com', 'danone.com'],
    ['www.danone.com', 'https://www.danone.com', 'danone.com'],
    ['//www.danone.com/', 'https://www.danone.com', 'danone.com'],
    ['HTTPS://WWW.Danone.COM/', 'https://www.danone.com', 'danone.com'],
    ['http://www.danone.com', 'http://www.danone.com', 'danone.com'],
    ['https://www.danone.com:443/', 'https://www.danone.com', 'danone.com'],
    ['http://www.danone.com:80/fr', 'http://www.danone.com/fr', 'danone.com'],
    ['https://www.danone.com:8443/', 'https://www.danone.com:8443', 'danone.com'],
    ['www.danone.com.', 'https://www.danone.com', 'danone.com'],
    ['https://www.danone.com/fr/About-Us.html#team', 'https://www.danone.com/fr/About-Us.html', 'danone.com'],
    ['café.fr', 'https://xn--caf-dma.fr', 'xn--caf-dma.fr'],
    ['https://www.laposte.fr/?utm_source=newsletter', 'https://www.laposte.fr', 'laposte.fr'],
  ])('normalises %j', (input, url, domain) => {
    expect(normaliseUrl(input)).toEqual({ ok: true, value: { url, domain }, warnings: [] });
  });

  it('removes tracking parameters and keeps the others byte for byte', () => {
    const input =
      'https://www.danone.com/produits?utm_source=li&utm_Medium=cpc&gclid=abc&fbclid=def&msclkid=1' +
      '&mc_cid=2&mc_eid=3&_hsenc=4&_hsmi=5&igshid=6&q=yaourt%20nature&ref=catalogue&page=2';
    expect(normaliseUrl(input)).toMatchObject({
      ok: true,
      value: { url: 'https://www.danone.com/produits?q=yaourt%20nature&ref=catalogue&page=2' },
    });
  });

  it.each([
    ['javascript:alert(1)'],
    ['JavaScript:alert(document.cookie)'],
    ['mailto:contact@danone.com'],
    ['ftp://ftp.danone.com/'],
    ['data:text/html,<script>alert(1)</script>'],
    ['file:///etc/passwd'],
  ])('refuses the scheme of %j', (input) => {
    expect(normaliseUrl(input)).toMatchObject({
      ok: false,
      problem: { code: 'unsupported_url_scheme', severity: 'error' },
    });
  });

  it('does not take host:port for a scheme', () => {
    expect(normaliseUrl('danone.com:8080/fr')).toMatchObject({
      ok: true,
      value: { url: 'https://danone.com:8080/fr' },
    });
  });

  it.each([
    ['an IPv4 address', 'http://192.168.0.1/admin'],
    ['an IPv6 address', 'http://[::1]/'],
    ['a single label', 'http://intranet/'],
    ['a user name and password', 'https://user:secret@danone.com/'],
    ['spaces in the host', 'https://dan one.com'],
    ['an underscore in the host', 'https://dan_one.com'],
    ['a numeric top-level label', 'https://danone.123'],
    ['nothing but a scheme', 'https://'],
  ])('rejects %s', (_label, input) => {
    expect(normaliseUrl(input)).toMatchObject({ ok: false, problem: { code: 'invalid_url' } });
  });
});

describe('normaliseDomain', () => {
  it.each([
    ['a bare domain', 'Danone.com', 'danone.com'],
    ['a www domain', 'www.danone.com', 'danone.com'],
    ['a URL', 'https://www.danone.com/fr/?utm_source=x', 'danone.com'],
    ['an e-mail address', 'jean.dupont@danone.com', 'danone.com'],
    ['an e-mail domain part', '@danone.com', 'danone.com'],
    ['a mailto: link', 'mailto:jean@danone.com', 'danone.com'],
    ['an IDN', 'Café.fr', 'xn--caf-dma.fr'],
    ['a sub-domain', 'fr.danone.com', 'fr.danone.com'],
    ['a trailing dot', 'danone.com.', 'danone.com'],
    ['a bare www top-level', 'www.fr', 'www.fr'],
  ])('accepts %s', (_label, input, domain) => {
    expect(normaliseDomain(input)).toEqual({ ok: true, value: domain, warnings: [] });
  });

  it.each([
    ['an IP address', '192.168.0.1'],
    ['an IP address in a URL', 'http://10.0.0.1/'],
    ['a single label', 'localhost'],
    ['an underscore', 'my_company.fr'],
    ['a label starting with a hyphen', '-danone.com'],
    ['a label of 64 characters', `${'a'.repeat(64)}.fr`],
    ['a javascript: link', 'javascript:alert(1)'],
    ['spaces', 'danone .com'],
  ])('rejects %s', (_label, input) => {
    expect(normaliseDomain(input)).toMatchObject({ ok: false, problem: { code: 'invalid_domain' } });
  });

  it('accepts labels of 63 characters', () => {
    expect(normaliseDomain(`${'a'.repeat(63)}.fr`)).toMatchObject({ ok: true });
  });
});
