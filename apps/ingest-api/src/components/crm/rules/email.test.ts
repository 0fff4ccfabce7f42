import { describe, expect, it } from 'vitest';

import { isValidEmailSyntax, normaliseEmail } from './email.js';

describe('normaliseEmail', () => {
  it('trims, lower-cases the domain and keeps the local part as typed', () => {
    expect(normaliseEmail('  Jean.Dupont@Danone.COM ')).toEqual({
      ok: true,
      value: { email: 'Jean.Dupont@danone.com', disposable: false, role: false },
      warnings: [],
    });
  });

  it.each([
    ['jean@café.fr', 'jean@xn--caf-dma.fr'],
    ['jean@CAFÉ.fr', 'jean@xn--caf-dma.fr'],
    ['jean@bücher.de', 'jean@xn--bcher-kva.de'],
  ])('converts the IDN domain of %s to ASCII', (input, email) => {
    expect(normaliseEmail(input)).toMatchObject({ ok: true, value: { email } });
  });

  it('removes a mailto: prefix, angle brackets and a trailing dot on the domain', () => {
    expect(normaliseEmail('mailto:jean@orange.fr')).toMatchObject({ value: { email: 'jean@orange.fr' } });
    expect(normaliseEmail('<jean@orange.fr>')).toMatchObject({ value: { email: 'jean@orange.fr' } });
    expect(normaliseEmail('jean@orange.fr.')).toMatchObject({ value: { email: 'jean@orange.fr' } });
  });

  it('accepts a +tag and a UTF-8 local part', () => {
    expect(normaliseEmail('jean+crm@gmail.com')).toMatchObject({ ok: true });
    expect(normaliseEmail('jérôme@orange.fr')).toMatchObject({
      ok: true,
      value: { email: 'jérôme@orange.fr' },
    });
  });

  it.each([
    'jean',
    'jean@',
    '@danone.com',
    'jean@danone',
    'jean@@danone.com',
    'jean dupont@danone.com',
    'jean@danone..com',
    'jean@192.168.0.1',
    'jean@[192.168.0.1]',
    'Jean Dupont <jean@danone.com>',
    'jean@-danone.com',
  ])('rejects %j as invalid', (input) => {
    expect(normaliseEmail(input)).toMatchObject({
      ok: false,
      problem: { code: 'invalid_email', severity: 'error' },
    });
  });

  it('limits the local part to 64 octets, counting UTF-8 bytes', () => {
    expect(normaliseEmail(`${'a'.repeat(64)}@danone.com`)).toMatchObject({ ok: true });
    expect(normaliseEmail(`${'a'.repeat(65)}@danone.com`)).toMatchObject({
      ok: false,
      problem: { code: 'email_too_long' },
    });
    // 33 two-byte characters are 66 octets.
    expect(normaliseEmail(`${'é'.repeat(33)}@danone.com`)).toMatchObject({
      ok: false,
      problem: { code: 'email_too_long' },
    });
  });

  it('limits the whole address to 254 octets', () => {
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(53)}.fr`;
    expect(domain.length).toBe(248);
    expect(normaliseEmail(`${'j'.repeat(5)}@${domain}`)).toMatchObject({ ok: true });
    expect(normaliseEmail(`${'j'.repeat(6)}@${domain}`)).toMatchObject({
      ok: false,
      problem: { code: 'email_too_long' },
    });
  });

  it.each(['x@mailinator.com', 'jean@yopmail.com', 'jean@yopmail.fr', 'test@guerrillamail.com'])(
    'keeps the disposable address %s with a warning',
    (input) => {
      const result = normaliseEmail(input);
      expect(result).toMatchObject({ ok: true, value: { disposable: true } });
      expect(result.ok && result.warnings.map((w) => [w.code, w.severity])).toEqual([
        ['disposable_email', 'warning'],
      ]);
    },
  );

  it('flags a sub-domain of a disposable domain', () => {
    expect(normaliseEmail('x@inbox.mailinator.com')).toMatchObject({ value: { disposable: true } });
  });

  it.each([
    'jean@laposte.net',
    'jean@orange.fr',
    'jean@wanadoo.fr',
    'jean@free.fr',
    'jean@sfr.fr',
    'jean@gmx.fr',
    'jean@yahoo.fr',
    'jean@outlook.fr',
    'jean@hotmail.fr',
    'jean@gmail.com',
  ])('does not flag the large mailbox provider of %s', (input) => {
    expect(normaliseEmail(input)).toMatchObject({ ok: true, value: { disposable: false }, warnings: [] });
  });

  it.each([
    'contact@danone.com',
    'Contact@danone.com',
    'info@danone.com',
    'bonjour@startup.fr',
    'commercial@pme.fr',
    'rh@pme.fr',
    'sales@danone.com',
    'support@danone.com',
    'admin@danone.com',
    'no-reply@danone.com',
    'ne-pas-repondre@impots.gouv.fr',
    'recrutement@pme.fr',
    'contact.paris@pme.fr',
    'rh-lyon@pme.fr',
    'contact+salon@pme.fr',
  ])('keeps the role address %s with a warning', (input) => {
    const result = normaliseEmail(input);
    expect(result).toMatchObject({ ok: true, value: { role: true } });
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['role_email']);
  });

  it.each(['jean.dupont@danone.com', 'com.dupont@pme.fr', 'marie.contact@pme.fr', 'infographiste@pme.fr'])(
    'does not take the person %s for a role',
    (input) => {
      expect(normaliseEmail(input)).toMatchObject({ ok: true, value: { role: false } });
    },
  );

  it('reports both warnings when both apply', () => {
    const result = normaliseEmail('contact@mailinator.com');
    expect(result.ok && result.warnings.map((w) => w.code)).toEqual(['disposable_email', 'role_email']);
  });

  it('rejects an empty cell and NUL characters', () => {
    expect(normaliseEmail('')).toMatchObject({ ok: false, problem: { code: 'empty_value' } });
    expect(normaliseEmail('jean@danone.com\u0000')).toMatchObject({
      ok: false,
      problem: { code: 'invalid_characters' },
    });
  });
});

describe('isValidEmailSyntax', () => {
  it('says whether normaliseEmail accepts the address', () => {
    expect(isValidEmailSyntax('jean@café.fr')).toBe(true);
    expect(isValidEmailSyntax('contact@mailinator.com')).toBe(true);
    expect(isValidEmailSyntax('jean@danone')).toBe(false);
  });
});
