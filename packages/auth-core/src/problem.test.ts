import { describe, expect, it } from 'vitest';
import {
  AuthConfigurationError,
  InsufficientRoleError,
  InvalidOrganisationIdError,
  MissingTokenError,
  NotOrganisationMemberError,
  SessionStoreUnavailableError,
  TokenExpiredError,
  UnsupportedAuthSchemeError,
  UserSyncConflictError,
} from './error.js';
import { toAuthProblem } from './problem.js';

describe('toAuthProblem', () => {
  it('answers an invalid token with 401 and an RFC 6750 invalid_token challenge', () => {
    const problem = toAuthProblem(new TokenExpiredError(), { instance: '/api/v1/me', requestId: 'r-1' });
    expect(problem).toEqual({
      status: 401,
      headers: {
        'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The token has expired"',
      },
      body: {
        type: 'https://prospectflow.dev/problems/token_expired',
        title: 'Token expired',
        status: 401,
        detail: 'The token has expired',
        instance: '/api/v1/me',
        requestId: 'r-1',
        code: 'token_expired',
      },
    });
  });

  it('answers missing credentials with a bare Bearer challenge', () => {
    expect(toAuthProblem(new MissingTokenError())?.headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
    expect(toAuthProblem(new UnsupportedAuthSchemeError())?.headers).toEqual({
      'WWW-Authenticate': 'Bearer',
    });
  });

  it.each([
    [new NotOrganisationMemberError('x'), 403],
    [new InsufficientRoleError('admin', 'member'), 403],
    [new InvalidOrganisationIdError(), 400],
    [new UserSyncConflictError(), 409],
    [new SessionStoreUnavailableError(), 503],
  ])('maps %s to %i', (error, status) => {
    const problem = toAuthProblem(error, { typeBase: 'urn:test:' });
    expect(problem?.status).toBe(status);
    expect(problem?.body.type).toBe(`urn:test:${error.code}`);
    expect(problem?.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('tells a client when to retry a 503 and which role a 403 needed', () => {
    expect(toAuthProblem(new SessionStoreUnavailableError())?.headers).toEqual({ 'Retry-After': '5' });
    expect(toAuthProblem(new InsufficientRoleError('admin', 'viewer'))?.body.requiredRole).toBe('admin');
  });

  it('leaves configuration errors to the application', () => {
    expect(toAuthProblem(new AuthConfigurationError(['x']))).toBeNull();
  });
});
