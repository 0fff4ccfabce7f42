import { describe, expect, it } from 'vitest';

import { normaliseLinkedinUrl } from './linkedin.js';

describe('normaliseLinkedinUrl for a person', () => {
  it.each([
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d',
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d/',
    'http://www.linkedin.com/in/jean-dupont-4a1b2c3d',
    'https://fr.linkedin.com/in/jean-dupont-4a1b2c3d',
    'linkedin.com/in/jean-dupont-4a1b2c3d/',
    'www.linkedin.com/in/Jean-Dupont-4A1B2C3D',
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d?originalSubdomain=fr',
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d/?trk=public_profile#experience',
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d/details/experience/',
    'https://www.linkedin.com/in/jean-dupont-4a1b2c3d/fr',
    'https://m.linkedin.com/in/jean-dupont-4a1b2c3d',
    'https://www.linkedin.com/mwlite/in/jean-dupont-4a1b2c3d',
  ])('canonicalises %j', (input) => {
    expect(normaliseLinkedinUrl(input, 'person')).toEqual({
      ok: true,
      value: 'https://www.linkedin.com/in/jean-dupont-4a1b2c3d',
      warnings: [],
    });
  });

  it('decodes, lower-cases and re-encodes an accented slug, so both spellings meet', () => {
    const expected = 'https://www.linkedin.com/in/j%C3%A9r%C3%B4me-dupont';
    expect(
      normaliseLinkedinUrl('https://www.linkedin.com/in/j%C3%A9r%C3%B4me-dupont/', 'person'),
    ).toMatchObject({
      value: expected,
    });
    expect(normaliseLinkedinUrl('https://www.linkedin.com/in/Jérôme-Dupont', 'person')).toMatchObject({
      value: expected,
    });
  });

  it('refuses a legacy /pub/ profile, which has no offline /in/ equivalent', () => {
    expect(
      normaliseLinkedinUrl('https://fr.linkedin.com/pub/jean-dupont/12/345/678', 'person'),
    ).toMatchObject({
      ok: false,
      problem: { code: 'invalid_linkedin_url' },
    });
  });

  it('refuses a company page where a person is expected', () => {
    expect(normaliseLinkedinUrl('https://www.linkedin.com/company/danone/', 'person')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_linkedin_url', severity: 'error' },
    });
  });
});

describe('normaliseLinkedinUrl for a company', () => {
  it.each([
    'https://www.linkedin.com/company/danone',
    'https://www.linkedin.com/company/danone/',
    'https://fr.linkedin.com/company/danone/about/',
    'linkedin.com/company/Danone/posts/?feedView=all',
    'http://linkedin.com/company/danone#top',
  ])('canonicalises %j', (input) => {
    expect(normaliseLinkedinUrl(input, 'company')).toEqual({
      ok: true,
      value: 'https://www.linkedin.com/company/danone',
      warnings: [],
    });
  });

  it('keeps a numeric company id, schools and showcase pages in their own path', () => {
    expect(normaliseLinkedinUrl('https://www.linkedin.com/company/1234567/', 'company')).toMatchObject({
      value: 'https://www.linkedin.com/company/1234567',
    });
    expect(normaliseLinkedinUrl('https://fr.linkedin.com/school/hec-paris/', 'company')).toMatchObject({
      value: 'https://www.linkedin.com/school/hec-paris',
    });
    expect(
      normaliseLinkedinUrl('https://www.linkedin.com/showcase/danone-research/', 'company'),
    ).toMatchObject({
      value: 'https://www.linkedin.com/showcase/danone-research',
    });
  });

  it('refuses a person profile where a company is expected', () => {
    expect(normaliseLinkedinUrl('https://www.linkedin.com/in/jean-dupont', 'company')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_linkedin_url' },
    });
  });
});

describe('normaliseLinkedinUrl refusals', () => {
  it.each([
    ['another site', 'https://www.danone.com/in/jean-dupont'],
    ['a look-alike host', 'https://linkedin.com.evil.example/in/jean-dupont'],
    ['a short link', 'https://lnkd.in/abc123'],
    ['the home page', 'https://www.linkedin.com/'],
    ['a profile without a name', 'https://www.linkedin.com/in/'],
    ['a feed post', 'https://www.linkedin.com/feed/update/urn:li:activity:123/'],
    ['a Sales Navigator page', 'https://www.linkedin.com/sales/people/ACwAAA'],
    ['a javascript: link', 'javascript:alert(1)'],
    ['a malformed escape', 'https://www.linkedin.com/in/jean%E9dupont'],
  ])('refuses %s', (_label, input) => {
    expect(normaliseLinkedinUrl(input, 'person')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_linkedin_url' },
    });
  });
});
