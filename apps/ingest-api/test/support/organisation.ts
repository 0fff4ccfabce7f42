import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { TestApi } from './app.js';

export type MemberRole = 'owner' | 'admin' | 'member' | 'viewer';

export interface TestOrganisation {
  id: string;
  /** Authorization and X-Organisation-Id headers of a member with this role. */
  as(role: MemberRole): Record<string, string>;
  userId(role: MemberRole): string;
}

/**
 * An organisation created through the API, with one active member of each role (invited by the owner,
 * accepted at their first request), as a user would set it up.
 */
export async function createOrganisation(api: TestApi, label: string): Promise<TestOrganisation> {
  const suffix = randomUUID().slice(0, 8);
  const tokens = {} as Record<MemberRole, string>;
  const ids = {} as Record<MemberRole, string>;
  for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
    tokens[role] = api.token(`${label}-${role}-${suffix}@example.test`);
  }
  const http = () => request(api.service.app);
  const bearer = (role: MemberRole) => ({ Authorization: `Bearer ${tokens[role]}` });
  const created = await http()
    .post('/api/v1/organisations')
    .set(bearer('owner'))
    .send({ name: `${label} ${suffix}` })
    .expect(201);
  const id: string = created.body.id;
  for (const role of ['admin', 'member', 'viewer'] as const) {
    await http()
      .post(`/api/v1/organisations/${id}/members`)
      .set(bearer('owner'))
      .send({ email: `${label}-${role}-${suffix}@example.test`, role })
      .expect(201);
  }
  for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
    const me = await http().get('/api/v1/me').set(bearer(role)).expect(200);
    ids[role] = me.body.user.id;
  }
  return {
    id,
    as: (role) => ({ ...bearer(role), 'X-Organisation-Id': id }),
    userId: (role) => ids[role],
  };
}
