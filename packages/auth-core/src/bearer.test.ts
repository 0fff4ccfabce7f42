import { describe, expect, it } from 'vitest';
import { extractBearerToken } from './bearer.js';
import {
  DuplicateAuthorizationError,
  MalformedTokenError,
  MissingTokenError,
  TokenTooLargeError,
  UnsupportedAuthSchemeError,
} from './error.js';

describe('extractBearerToken', () => {
  it('returns the token of a Bearer header, whatever the scheme case', () => {
    expect(extractBearerToken('Bearer aaa.bbb.ccc', 100)).toBe('aaa.bbb.ccc');
    expect(extractBearerToken('bearer aaa.bbb.ccc', 100)).toBe('aaa.bbb.ccc');
    expect(extractBearerToken('BEARER   aaa.bbb.ccc  ', 100)).toBe('aaa.bbb.ccc');
  });

  it.each([
    [undefined, MissingTokenError],
    ['', MissingTokenError],
    ['Basic dXNlcjpwYXNz', UnsupportedAuthSchemeError],
    ['Digest username="x"', UnsupportedAuthSchemeError],
    ['Bearer', MalformedTokenError],
    ['Bearer ', MalformedTokenError],
    ['Bearer a.b.c d.e.f', MalformedTokenError],
    ['Bearer a.b.c\nX-Injected: 1', MalformedTokenError],
    ['Bearer "a.b.c"', MalformedTokenError],
    ['aaa.bbb.ccc', UnsupportedAuthSchemeError],
    ['Bearer%20aaa', UnsupportedAuthSchemeError],
    [`Bearer ${'a'.repeat(101)}`, TokenTooLargeError],
    [`Bearer ${'a'.repeat(5000)}`, TokenTooLargeError],
  ])('refuses %j', (header, error) => {
    expect(() => extractBearerToken(header, 100)).toThrow(error);
  });

  it('takes the one header of a list, and refuses several whatever they hold', () => {
    expect(extractBearerToken(['Bearer aaa.bbb.ccc'], 100)).toBe('aaa.bbb.ccc');
    expect(() => extractBearerToken([], 100)).toThrow(MissingTokenError);
    expect(() => extractBearerToken(['Bearer aaa.bbb.ccc', 'Bearer ddd.eee.fff'], 100)).toThrow(
      DuplicateAuthorizationError,
    );
    expect(() => extractBearerToken(['Bearer aaa.bbb.ccc', ''], 100)).toThrow(DuplicateAuthorizationError);
    expect(() => extractBearerToken(['Basic x', 'Bearer aaa.bbb.ccc'], 100)).toThrow(
      DuplicateAuthorizationError,
    );
  });

  it('checks the length before parsing', () => {
    expect(() => extractBearerToken(`Basic ${'a'.repeat(1000)}`, 100)).toThrow(TokenTooLargeError);
  });
});
