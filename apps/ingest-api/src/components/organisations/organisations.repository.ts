import type { Sql } from '../../platform/db/index.js';
import {
  keysetClauses,
  keysetPage,
  keysetSortKey,
  keysetValues,
  type KeysetOrder,
  type KeysetPage,
  type KeysetPosition,
} from '../../platform/db/keyset.js';
import type { Member, Organisation } from './organisations.schemas.js';

type Role = Member['role'];

interface OrganisationRow {
  id: string;
  name: string;
  slug: string;
  created_at: Date;
  updated_at: Date;
}

const toOrganisation = (row: OrganisationRow): Organisation => ({
  id: row.id,
  name: row.name,
  slug: row.slug,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function insertOrganisation(
  sql: Sql,
  input: { id: string; name: string; slug: string },
): Promise<Organisation> {
  const row = await sql.one<OrganisationRow>(
    `INSERT INTO iam.organisations (id, name, slug) VALUES ($1, $2, $3)
     RETURNING id, name, slug, created_at, updated_at`,
    [input.id, input.name, input.slug],
  );
  return toOrganisation(row);
}

export async function findOrganisation(sql: Sql, id: string): Promise<Organisation | null> {
  const row = await sql.maybeOne<OrganisationRow>(
    'SELECT id, name, slug, created_at, updated_at FROM iam.organisations WHERE id = $1',
    [id],
  );
  return row ? toOrganisation(row) : null;
}

export async function updateOrganisation(
  sql: Sql,
  id: string,
  changes: { name?: string | undefined; slug?: string | undefined },
): Promise<Organisation | null> {
  const row = await sql.maybeOne<OrganisationRow>(
    `UPDATE iam.organisations SET name = coalesce($2, name), slug = coalesce($3, slug)
      WHERE id = $1 RETURNING id, name, slug, created_at, updated_at`,
    [id, changes.name ?? null, changes.slug ?? null],
  );
  return row ? toOrganisation(row) : null;
}

interface MemberRow {
  id: string;
  user_id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  role: Role;
  status: Member['status'];
  created_at: Date;
  keyset_sort_key: string;
}

const toMember = (row: MemberRow): Member => ({
  userId: row.user_id,
  email: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
  role: row.role,
  status: row.status,
  joinedAt: row.created_at.toISOString(),
});

export async function insertMembership(
  sql: Sql,
  input: {
    organisationId: string;
    userId: string;
    role: Role;
    status: Member['status'];
    invitedBy: string | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO iam.organisation_users (organisation_id, user_id, role, status, invited_by)
     VALUES ($1, $2, $3, $4, $5)`,
    [input.organisationId, input.userId, input.role, input.status, input.invitedBy],
  );
}

const MEMBER_ORDER: KeysetOrder = { sortColumn: 'ou.created_at', idColumn: 'ou.id', direction: 'asc' };
const MEMBER_COLUMNS = `ou.id, ou.user_id, u.email, u.first_name, u.last_name, ou.role, ou.status, ou.created_at,
  ${keysetSortKey(MEMBER_ORDER)}`;
const MEMBER_PAGE = keysetClauses(MEMBER_ORDER, 2);

/** A page of members ordered by (joined at, membership id), strictly after the cursor. */
export async function listMembers(
  sql: Sql,
  input: {
    organisationId: string;
    after: KeysetPosition | null;
    limit: number;
    role?: Role | undefined;
    status?: Member['status'] | undefined;
  },
): Promise<KeysetPage<Member>> {
  const rows = await sql.any<MemberRow>(
    `SELECT ${MEMBER_COLUMNS}
       FROM iam.organisation_users ou
       JOIN iam.users u ON u.id = ou.user_id
      WHERE ou.organisation_id = $1
        AND ${MEMBER_PAGE.predicate}
        AND ($4::text IS NULL OR ou.role = $4)
        AND ($5::text IS NULL OR ou.status = $5)
      ORDER BY ${MEMBER_PAGE.orderBy}
      LIMIT $6`,
    [
      input.organisationId,
      ...keysetValues(input.after),
      input.role ?? null,
      input.status ?? null,
      input.limit + 1,
    ],
  );
  return keysetPage(rows, input.limit, toMember);
}

export async function findMember(
  sql: Sql,
  organisationId: string,
  userId: string,
  forUpdate = false,
): Promise<Member | null> {
  const row = await sql.maybeOne<MemberRow>(
    `SELECT ${MEMBER_COLUMNS}
       FROM iam.organisation_users ou JOIN iam.users u ON u.id = ou.user_id
      WHERE ou.organisation_id = $1 AND ou.user_id = $2${forUpdate ? ' FOR UPDATE OF ou' : ''}`,
    [organisationId, userId],
  );
  return row ? toMember(row) : null;
}

export async function setMemberRole(
  sql: Sql,
  organisationId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await sql.query('UPDATE iam.organisation_users SET role = $3 WHERE organisation_id = $1 AND user_id = $2', [
    organisationId,
    userId,
    role,
  ]);
}

export async function deleteMember(sql: Sql, organisationId: string, userId: string): Promise<number> {
  const { rowCount } = await sql.query(
    'DELETE FROM iam.organisation_users WHERE organisation_id = $1 AND user_id = $2',
    [organisationId, userId],
  );
  return rowCount;
}

/** The identity for an invitation e-mail, created as a placeholder when nobody has it yet (definer function). */
export async function ensureInvitedUser(sql: Sql, email: string): Promise<string> {
  const row = await sql.one<{ id: string }>('SELECT iam.ensure_user_for_invitation($1) AS id', [email]);
  return row.id;
}
