import request from 'supertest';
import { createAppPool, withTenantTransaction } from '../../src/platform/db/index.js';
import type { TestApi } from '../support/app.js';

/** A signed-in user: bearer header and user id. */
export interface TestUser {
  email: string;
  id: string;
  auth: { Authorization: string };
}

export async function signIn(api: TestApi, email: string): Promise<TestUser> {
  const auth = { Authorization: `Bearer ${api.token(email)}` };
  const me = await request(api.service.app).get('/api/v1/me').set(auth).expect(200);
  return { email, id: me.body.user.id as string, auth };
}

/** An organisation owned by `owner`, with the others invited under their roles and signed in again. */
export async function organisationWith(
  api: TestApi,
  name: string,
  owner: string,
  others: Record<string, 'viewer' | 'member' | 'admin'> = {},
): Promise<{ id: string; users: Record<string, TestUser> }> {
  const ownerUser = await signIn(api, owner);
  const created = await request(api.service.app)
    .post('/api/v1/organisations')
    .set(ownerUser.auth)
    .send({ name })
    .expect(201);
  const id = created.body.id as string;
  const users: Record<string, TestUser> = { [owner]: ownerUser };
  for (const [email, role] of Object.entries(others)) {
    await request(api.service.app)
      .post(`/api/v1/organisations/${id}/members`)
      .set(ownerUser.auth)
      .send({ email, role })
      .expect(201);
    users[email] = await signIn(api, email);
  }
  users[owner] = await signIn(api, owner);
  return { id, users };
}

/**
 * People (with one position each) written as prospectflow_app through pgBouncer in a tenant transaction, the
 * way the CRM would; the campaigns API only needs their ids.
 */
export async function createPeople(
  api: TestApi,
  organisationId: string,
  count: number,
): Promise<{ personId: string; positionId: string }[]> {
  const pool = createAppPool({
    connectionString: api.db.appUrl,
    max: 1,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 1000,
    applicationName: 'campaigns-fixtures',
    onIdleClientError: () => undefined,
  });
  try {
    return await withTenantTransaction(pool, { organisationId, correlationId: 'fixture' }, async (sql) => {
      const { id: companyId } = await sql.one<{ id: string }>(
        "INSERT INTO crm.companies (organisation_id, name) VALUES ($1, 'Fixture SA') RETURNING id",
        [organisationId],
      );
      return sql.any<{ personId: string; positionId: string }>(
        `WITH people AS (
           INSERT INTO crm.people (organisation_id, first_name, last_name)
           SELECT $1, 'Person', 'N' || g FROM generate_series(1, $2::integer) g RETURNING id
         ), positions AS (
           INSERT INTO crm.positions (organisation_id, person_id, company_id, job_title)
           SELECT $1, id, $3, 'CEO' FROM people RETURNING id, person_id
         )
         SELECT person_id AS "personId", id AS "positionId" FROM positions ORDER BY person_id`,
        [organisationId, count, companyId],
      );
    });
  } finally {
    await pool.end();
  }
}

/**
 * A campaign of `count` new people of `organisationId`, each enrolled and sent one message at `sentAt`
 * through the API as `user`: the pixel tokens of the messages, in enrolment order.
 */
export async function campaignWithSentMessages(
  api: TestApi,
  organisationId: string,
  user: TestUser,
  count: number,
  sentAt = '2026-01-01T00:00:00Z',
): Promise<{ campaignId: string; tokens: string[] }> {
  const http = () => request(api.service.app);
  const people = await createPeople(api, organisationId, count);
  const campaignId = (
    await http().post('/api/v1/campaigns').set(user.auth).send({ name: 'Sent' }).expect(201)
  ).body.id as string;
  await http()
    .post(`/api/v1/campaigns/${campaignId}/enrolments`)
    .set(user.auth)
    .send({ people: people.map((person) => ({ personId: person.personId })) })
    .expect(200);
  const enrolments = (
    await http().get(`/api/v1/campaigns/${campaignId}/enrolments?limit=${count}`).set(user.auth).expect(200)
  ).body.items as { id: string }[];
  const tokens: string[] = [];
  for (const enrolment of enrolments) {
    const message = await http()
      .post(`/api/v1/campaigns/${campaignId}/enrolments/${enrolment.id}/messages`)
      .set(user.auth)
      .send({ subject: 'Hello', sentAt })
      .expect(201);
    tokens.push(message.body.pixel.token as string);
  }
  return { campaignId, tokens };
}
