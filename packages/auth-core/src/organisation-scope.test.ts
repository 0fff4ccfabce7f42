import { describe, expect, it } from 'vitest';
import {
  InvalidOrganisationIdError,
  NoOrganisationError,
  NotOrganisationMemberError,
  OrganisationRequiredError,
} from './error.js';
import { defaultOrganisation, parseOrganisationId, resolveOrganisation } from './organisation-scope.js';
import type { OrganisationMembership, Role } from './types.js';

const A = '0b6f5d2e-7f0e-4a57-9a43-6c8f2f5f0a01';
const B = '1c7e6e3f-8a1f-4b68-8b54-7d903a6a1b02';
const C = '2d8f7f4a-9b2a-4c79-9c65-8ea14b7b2c03';

const membership = (
  organisationId: string,
  role: Role,
  status: OrganisationMembership['status'] = 'active',
) => ({
  organisationId,
  organisationName: organisationId,
  organisationSlug: organisationId,
  role,
  status,
});

describe('parseOrganisationId', () => {
  it('accepts a UUID in any case and normalises it', () => {
    expect(parseOrganisationId(A.toUpperCase())).toBe(A);
  });
  it.each(['', 'abc', `${A} `, `${A},${B}`, "' OR 1=1 --", `{${A}}`])('refuses %j', (value) => {
    expect(() => parseOrganisationId(value)).toThrow(InvalidOrganisationIdError);
  });
});

describe('resolveOrganisation', () => {
  const memberships = [membership(A, 'admin'), membership(B, 'viewer'), membership(C, 'owner', 'invited')];

  it('takes the requested organisation when the user is an active member of it', () => {
    expect(resolveOrganisation(memberships, B, A)).toMatchObject({ organisationId: B, role: 'viewer' });
  });
  it('refuses a requested organisation with an invitation only, or none', () => {
    expect(() => resolveOrganisation(memberships, C, null)).toThrow(NotOrganisationMemberError);
    expect(() => resolveOrganisation(memberships, '3e9a8a5b-ac3b-4d8a-ad76-9fb25c8c3d04', null)).toThrow(
      NotOrganisationMemberError,
    );
  });
  it('falls back to the active organisation, then to the only membership', () => {
    expect(resolveOrganisation(memberships, null, B)).toMatchObject({ organisationId: B });
    expect(resolveOrganisation([membership(A, 'member')], null, null)).toMatchObject({ organisationId: A });
  });
  it('ignores an active organisation the user is no longer a member of', () => {
    expect(resolveOrganisation([membership(A, 'member')], null, B)).toMatchObject({ organisationId: A });
  });
  it('asks for a choice among several memberships, and says when there is none', () => {
    expect(() => resolveOrganisation(memberships, null, null)).toThrow(OrganisationRequiredError);
    expect(() => resolveOrganisation([membership(C, 'owner', 'invited')], null, null)).toThrow(
      NoOrganisationError,
    );
    expect(defaultOrganisation(memberships, null)).toBeNull();
  });
});
