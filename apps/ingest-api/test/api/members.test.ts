import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

let api: TestApi;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

const as = (who: string) => ({ Authorization: `Bearer ${tokens[who]}` });
const http = () => request(api.service.app);

beforeAll(async () => {
  api = await startTestApi();
  for (const who of ['olivia', 'adam', 'vera', 'mallory']) {
    tokens[who] = api.token(`${who}@example.test`);
    const me = await http().get('/api/v1/me').set(as(who)).expect(200);
    ids[who] = me.body.user.id;
  }
});
afterAll(async () => {
  await api.close();
});

describe('organisations and members', () => {
  let acme: string;
  let globex: string;

  it('creates organisations whose creator is the owner', async () => {
    const created = await http()
      .post('/api/v1/organisations')
      .set(as('olivia'))
      .send({ name: 'Acmé Conseil' })
      .expect(201);
    expect(created.body).toMatchObject({ name: 'Acmé Conseil', slug: 'acme-conseil' });
    expect(created.headers['location']).toBe(`/api/v1/organisations/${created.body.id}`);
    acme = created.body.id;
    globex = (
      await http()
        .post('/api/v1/organisations')
        .set(as('mallory'))
        .send({ name: 'Globex', slug: 'globex' })
        .expect(201)
    ).body.id;

    const me = await http().get('/api/v1/me').set(as('olivia')).expect(200);
    expect(me.body.memberships).toEqual([
      expect.objectContaining({ organisationId: acme, role: 'owner', status: 'active' }),
    ]);
    expect(me.body.organisation).toMatchObject({ organisationId: acme });
    expect(me.body.role).toBe('owner');
  });

  it('refuses a slug that is taken', async () => {
    const res = await http()
      .post('/api/v1/organisations')
      .set(as('olivia'))
      .send({ name: 'Other', slug: 'globex' })
      .expect(409);
    expect(res.body.code).toBe('slug_taken');
  });

  it('refuses an invitation e-mail the CRM e-mail rule refuses (a 300-character local part)', async () => {
    for (const email of [
      `${'a'.repeat(300)}@example.test`,
      `${'b'.repeat(65)}@example.test`,
      'not-an-email',
    ]) {
      const res = await http()
        .post(`/api/v1/organisations/${acme}/members`)
        .set(as('olivia'))
        .send({ email, role: 'member' })
        .expect(422);
      expect(res.body.errors[0].path).toBe('body.email');
    }
    const idn = await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('olivia'))
      .send({ email: `${'c'.repeat(64)}@café.example`, role: 'viewer' })
      .expect(201);
    expect(idn.body.email).toBe(`${'c'.repeat(64)}@xn--caf-dma.example`);
    await http()
      .delete(`/api/v1/organisations/${acme}/members/${idn.body.userId}`)
      .set(as('olivia'))
      .expect(204);
  });

  it('invites by e-mail; the invitation is accepted at the next sign-in', async () => {
    const invited = await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('olivia'))
      .send({ email: 'Adam@Example.test', role: 'admin' })
      .expect(201);
    expect(invited.body).toMatchObject({ userId: ids['adam'], role: 'admin', status: 'invited' });
    const newcomer = await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('olivia'))
      .send({ email: 'newcomer@example.test', role: 'member' })
      .expect(201);
    expect(newcomer.body.status).toBe('invited');
    await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('olivia'))
      .send({ email: 'vera@example.test', role: 'viewer' })
      .expect(201);
    await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('olivia'))
      .send({ email: 'adam@example.test' })
      .expect(409);

    // Invited, not yet active: no access until they sign in again.
    await http().get(`/api/v1/organisations/${acme}`).set(as('adam')).expect(403);
    for (const who of ['adam', 'vera']) {
      tokens[who] = api.token(`${who}@example.test`);
      const me = await http().get('/api/v1/me').set(as(who)).expect(200);
      expect(me.body.memberships).toEqual([
        expect.objectContaining({ organisationId: acme, status: 'active' }),
      ]);
    }
    await http().get(`/api/v1/organisations/${acme}`).set(as('adam')).expect(200);
  });

  it('lists members with cursor pagination, stable and complete', async () => {
    const first = await http()
      .get(`/api/v1/organisations/${acme}/members?limit=2`)
      .set(as('vera'))
      .expect(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await http()
      .get(`/api/v1/organisations/${acme}/members?limit=2&cursor=${first.body.nextCursor}`)
      .set(as('vera'))
      .expect(200);
    expect(second.body.nextCursor).toBeNull();
    const emails = [...first.body.items, ...second.body.items].map((m: { email: string }) => m.email);
    expect(emails).toEqual([
      'olivia@example.test',
      'adam@example.test',
      'newcomer@example.test',
      'vera@example.test',
    ]);
    const admins = await http()
      .get(`/api/v1/organisations/${acme}/members?role=admin`)
      .set(as('vera'))
      .expect(200);
    expect(admins.body.items.map((m: { email: string }) => m.email)).toEqual(['adam@example.test']);
    await http().get(`/api/v1/organisations/${acme}/members?cursor=garbage`).set(as('vera')).expect(400);
    await http().get(`/api/v1/organisations/${acme}/members?sort=email`).set(as('vera')).expect(422);
  });

  it('refuses every forbidden move with the right status', async () => {
    // A viewer cannot write.
    const viewerWrite = await http()
      .patch(`/api/v1/organisations/${acme}`)
      .set(as('vera'))
      .send({ name: 'Renamed' })
      .expect(403);
    expect(viewerWrite.body.code).toBe('insufficient_role');
    await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('vera'))
      .send({ email: 'x@example.test' })
      .expect(403);

    // A member cannot invite.
    await http()
      .patch(`/api/v1/organisations/${acme}/members/${ids['vera']}`)
      .set(as('adam'))
      .send({ role: 'member' })
      .expect(200);
    tokens['vera'] = tokens['vera'] ?? '';
    const memberInvite = await http()
      .post(`/api/v1/organisations/${acme}/members`)
      .set(as('vera'))
      .send({ email: 'y@example.test' })
      .expect(403);
    expect(memberInvite.body.code).toBe('insufficient_role');

    // An admin cannot remove the owner, change the owner's role, or transfer ownership.
    expect(
      (
        await http()
          .delete(`/api/v1/organisations/${acme}/members/${ids['olivia']}`)
          .set(as('adam'))
          .expect(403)
      ).body.code,
    ).toBe('cannot_remove_owner');
    expect(
      (
        await http()
          .patch(`/api/v1/organisations/${acme}/members/${ids['olivia']}`)
          .set(as('adam'))
          .send({ role: 'admin' })
          .expect(403)
      ).body.code,
    ).toBe('cannot_change_owner');
    expect(
      (
        await http()
          .patch(`/api/v1/organisations/${acme}/members/${ids['adam']}`)
          .set(as('adam'))
          .send({ role: 'owner' })
          .expect(403)
      ).body.code,
    ).toBe('owner_transfer_forbidden');

    // The owner cannot leave or demote themself without a transfer.
    expect(
      (
        await http()
          .delete(`/api/v1/organisations/${acme}/members/${ids['olivia']}`)
          .set(as('olivia'))
          .expect(409)
      ).body.code,
    ).toBe('owner_must_transfer');

    // A non-member reads nothing of another organisation: 403, and the attempt is refused before any query.
    const foreign = await http().get(`/api/v1/organisations/${globex}`).set(as('olivia')).expect(403);
    expect(foreign.body.code).toBe('not_a_member');
    await http().get(`/api/v1/organisations/${globex}/members`).set(as('adam')).expect(403);
    await http().get(`/api/v1/organisations/${acme}`).set(as('mallory')).expect(403);
    await http()
      .get(`/api/v1/organisations/${acme}`)
      .set(as('olivia'))
      .set('X-Organisation-Id', globex)
      .expect(400);

    // Nothing changed.
    const members = await http().get(`/api/v1/organisations/${acme}/members`).set(as('olivia')).expect(200);
    expect(
      members.body.items.find((m: { email: string }) => m.email === 'olivia@example.test'),
    ).toMatchObject({ role: 'owner' });
    expect((await http().get(`/api/v1/organisations/${acme}`).set(as('olivia')).expect(200)).body.name).toBe(
      'Acmé Conseil',
    );
  });

  it('makes role changes and removals effective on the very next request', async () => {
    await http()
      .patch(`/api/v1/organisations/${acme}`)
      .set(as('adam'))
      .send({ name: 'Acme SAS' })
      .expect(200);
    await http()
      .patch(`/api/v1/organisations/${acme}/members/${ids['adam']}`)
      .set(as('olivia'))
      .send({ role: 'viewer' })
      .expect(200);
    await http()
      .patch(`/api/v1/organisations/${acme}`)
      .set(as('adam'))
      .send({ name: 'Acme again' })
      .expect(403);

    await http().delete(`/api/v1/organisations/${acme}/members/${ids['vera']}`).set(as('olivia')).expect(204);
    await http().get(`/api/v1/organisations/${acme}`).set(as('vera')).expect(403);
    await http().delete(`/api/v1/organisations/${acme}/members/${ids['vera']}`).set(as('olivia')).expect(404);
  });

  it('transfers ownership: only by the owner, to an active member, leaving exactly one owner', async () => {
    await http()
      .patch(`/api/v1/organisations/${acme}/members/${ids['adam']}`)
      .set(as('olivia'))
      .send({ role: 'owner' })
      .expect(200);
    const members = (await http().get(`/api/v1/organisations/${acme}/members`).set(as('adam')).expect(200))
      .body.items as {
      email: string;
      role: string;
    }[];
    expect(members.filter((m) => m.role === 'owner').map((m) => m.email)).toEqual(['adam@example.test']);
    expect(members.find((m) => m.email === 'olivia@example.test')?.role).toBe('admin');
    // The former owner is now an admin and can no longer transfer.
    await http()
      .patch(`/api/v1/organisations/${acme}/members/${ids['olivia']}`)
      .set(as('olivia'))
      .send({ role: 'owner' })
      .expect(403);
    await http().delete(`/api/v1/organisations/${acme}/members/${ids['olivia']}`).set(as('adam')).expect(204);
    await http().get(`/api/v1/organisations/${acme}`).set(as('olivia')).expect(403);
  });

  it('switches the active organisation, and only to one the user belongs to', async () => {
    await http()
      .post(`/api/v1/organisations/${globex}/members`)
      .set(as('mallory'))
      .send({ email: 'adam@example.test', role: 'member' })
      .expect(201);
    tokens['adam'] = api.token('adam@example.test');
    await http().get('/api/v1/me').set(as('adam')).expect(200);
    const switched = await http()
      .put('/api/v1/me/active-organisation')
      .set(as('adam'))
      .send({ organisationId: globex })
      .expect(200);
    expect(switched.body.activeOrganisationId).toBe(globex);
    const me = await http().get('/api/v1/me').set(as('adam')).expect(200);
    expect(me.body.organisation.organisationId).toBe(globex);
    expect(me.body.role).toBe('member');
    await http()
      .put('/api/v1/me/active-organisation')
      .set(as('olivia'))
      .send({ organisationId: globex })
      .expect(403);
  });

  it('logs out: the same token is refused afterwards', async () => {
    await http().post('/api/v1/auth/logout').set(as('vera')).expect(204);
    const replay = await http().get('/api/v1/me').set(as('vera')).expect(401);
    expect(replay.body.code).toBe('token_revoked');
    expect(replay.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });
});
