import { describe, expect, it } from 'vitest';
import {
  activeMemberships,
  hasRole,
  isAuthProblem,
  isRole,
  ROLES,
  roleRank,
  type OrganisationMembership,
} from './types.js';

describe('roles', () => {
  it('orders viewer < member < admin < owner', () => {
    expect(ROLES.map(roleRank)).toEqual([0, 1, 2, 3]);
    expect(hasRole('owner', 'admin')).toBe(true);
    expect(hasRole('admin', 'admin')).toBe(true);
    expect(hasRole('member', 'admin')).toBe(false);
    expect(hasRole('viewer', 'viewer')).toBe(true);
    expect(hasRole(null, 'viewer')).toBe(false);
    expect(hasRole(undefined, 'viewer')).toBe(false);
  });

  it('recognises roles and nothing else', () => {
    expect(isRole('admin')).toBe(true);
    expect(isRole('Admin')).toBe(false);
    expect(isRole('superadmin')).toBe(false);
    expect(isRole(3)).toBe(false);
  });
});

describe('helpers', () => {
  it('keeps active memberships only', () => {
    const membership = (status: OrganisationMembership['status']): OrganisationMembership => ({
      organisationId: status,
      organisationName: status,
      organisationSlug: status,
      role: 'member',
      status,
    });
    expect(activeMemberships([membership('active'), membership('invited'), membership('disabled')])).toEqual([
      membership('active'),
    ]);
  });

  it('recognises an auth problem body', () => {
    expect(isAuthProblem({ status: 401, code: 'token_expired', title: 't', type: 'x', detail: 'd' })).toBe(
      true,
    );
    expect(isAuthProblem({ status: 401, code: 'something_else' })).toBe(false);
    expect(isAuthProblem(null)).toBe(false);
    expect(isAuthProblem('token_expired')).toBe(false);
  });
});
