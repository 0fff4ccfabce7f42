import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { UniqueViolationError, withTenantTransaction, type TenantContext } from '../../platform/db/index.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import * as repository from './organisations.repository.js';
import type {
  CreateOrganisationInput,
  Member,
  MemberListQuery,
  Organisation,
  UpdateOrganisationInput,
} from './organisations.schemas.js';

type Role = Member['role'];

export interface Actor {
  userId: string;
  role: Role;
  correlationId: string;
}

export interface OrganisationServiceDeps {
  pool: Pool;
  statementTimeoutMs: number;
  /** Makes membership changes effective on the affected user's next request. */
  invalidateUserSessions: (userId: string) => Promise<unknown>;
}

/** A slug from a display name: accents folded, lower-case, hyphens between words ("Équipe Nord" → "equipe-nord"). */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return slug.length > 0 ? slug : 'organisation';
}

/** Organisation and membership rules: exactly one owner, only the owner transfers ownership, nobody removes the owner. */
export class OrganisationService {
  constructor(private readonly deps: OrganisationServiceDeps) {}

  #tx<T>(
    organisationId: string,
    actor: { userId: string; correlationId: string },
    fn: Parameters<typeof withTenantTransaction<T>>[2],
  ) {
    const context: TenantContext = {
      organisationId,
      userId: actor.userId,
      correlationId: actor.correlationId,
      statementTimeoutMs: this.deps.statementTimeoutMs,
    };
    return withTenantTransaction(this.deps.pool, context, fn);
  }

  /**
   * Creates an organisation with the creator as its owner. An explicit slug that is taken is a 409; a slug
   * derived from the name gets a short random suffix instead.
   *
   * @throws {ConflictError} slug_taken
   */
  async create(
    creator: { userId: string; correlationId: string },
    input: CreateOrganisationInput,
  ): Promise<Organisation> {
    const base = input.slug ?? slugify(input.name);
    for (let attempt = 0; ; attempt += 1) {
      const slug = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
      const id = randomUUID();
      try {
        const organisation = await this.#tx(id, creator, async (sql) => {
          const created = await repository.insertOrganisation(sql, { id, name: input.name, slug });
          await repository.insertMembership(sql, {
            organisationId: id,
            userId: creator.userId,
            role: 'owner',
            status: 'active',
            invitedBy: null,
          });
          return created;
        });
        await this.deps.invalidateUserSessions(creator.userId);
        return organisation;
      } catch (error) {
        if (error instanceof UniqueViolationError && error.constraint === 'organisations_slug_key') {
          if (input.slug !== undefined || attempt >= 3)
            throw new ConflictError(`The slug "${slug}" is taken.`, 'slug_taken');
          continue;
        }
        throw error;
      }
    }
  }

  /** @throws {NotFoundError} */
  async get(organisationId: string, actor: Actor): Promise<Organisation> {
    const organisation = await this.#tx(organisationId, actor, (sql) =>
      repository.findOrganisation(sql, organisationId),
    );
    if (!organisation) throw new NotFoundError('No such organisation.');
    return organisation;
  }

  /** @throws {NotFoundError} @throws {ConflictError} slug_taken */
  async update(organisationId: string, actor: Actor, input: UpdateOrganisationInput): Promise<Organisation> {
    try {
      const organisation = await this.#tx(organisationId, actor, (sql) =>
        repository.updateOrganisation(sql, organisationId, input),
      );
      if (!organisation) throw new NotFoundError('No such organisation.');
      return organisation;
    } catch (error) {
      if (error instanceof UniqueViolationError && error.constraint === 'organisations_slug_key') {
        throw new ConflictError(`The slug "${input.slug ?? ''}" is taken.`, 'slug_taken');
      }
      throw error;
    }
  }

  async listMembers(
    organisationId: string,
    actor: Actor,
    query: MemberListQuery,
  ): Promise<{ items: Member[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await this.#tx(organisationId, actor, (sql) =>
      repository.listMembers(sql, {
        organisationId,
        after,
        limit: query.limit,
        role: query.role,
        status: query.status,
      }),
    );
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /**
   * Invites an e-mail with a role below owner; the invitation is accepted at that person's next sign-in.
   *
   * @throws {ConflictError} already_member
   */
  async invite(
    organisationId: string,
    actor: Actor,
    input: { email: string; role: Exclude<Role, 'owner'> },
  ): Promise<Member> {
    try {
      return await this.#tx(organisationId, actor, async (sql) => {
        const userId = await repository.ensureInvitedUser(sql, input.email);
        await repository.insertMembership(sql, {
          organisationId,
          userId,
          role: input.role,
          status: 'invited',
          invitedBy: actor.userId,
        });
        const member = await repository.findMember(sql, organisationId, userId);
        if (!member) throw new NotFoundError('The invitation could not be read back.');
        return member;
      });
    } catch (error) {
      if (error instanceof UniqueViolationError && error.constraint === 'organisation_users_user_key') {
        throw new ConflictError(`${input.email} is already a member or invited.`, 'already_member');
      }
      throw error;
    }
  }

  /**
   * Changes a member's role. Making someone owner is a transfer: only the owner may, and the previous owner
   * becomes admin in the same transaction. The owner's own role changes only through a transfer.
   *
   * @throws {NotFoundError} @throws {ForbiddenError} @throws {ConflictError}
   */
  async changeRole(organisationId: string, actor: Actor, targetUserId: string, role: Role): Promise<Member> {
    const affected = new Set<string>([targetUserId]);
    const member = await this.#tx(organisationId, actor, async (sql) => {
      const target = await repository.findMember(sql, organisationId, targetUserId, true);
      if (!target) throw new NotFoundError('No such member.');
      if (role === 'owner') {
        if (actor.role !== 'owner')
          throw new ForbiddenError('Only the owner can transfer ownership.', 'owner_transfer_forbidden');
        if (target.userId === actor.userId)
          throw new ConflictError('You are already the owner.', 'already_owner');
        if (target.status !== 'active')
          throw new ConflictError('Ownership can only go to an active member.', 'member_not_active');
        // Demote first: the one-owner unique index is checked per statement, the "exactly one" rule at commit.
        await repository.setMemberRole(sql, organisationId, actor.userId, 'admin');
        await repository.setMemberRole(sql, organisationId, target.userId, 'owner');
        affected.add(actor.userId);
      } else {
        if (target.role === 'owner') {
          throw actor.role === 'owner'
            ? new ConflictError('Transfer ownership to another member instead.', 'owner_must_transfer')
            : new ForbiddenError("Only the owner can change the owner's role.", 'cannot_change_owner');
        }
        await repository.setMemberRole(sql, organisationId, target.userId, role);
      }
      const updated = await repository.findMember(sql, organisationId, target.userId);
      if (!updated) throw new NotFoundError('No such member.');
      return updated;
    });
    await Promise.all([...affected].map((userId) => this.deps.invalidateUserSessions(userId)));
    return member;
  }

  /** @throws {NotFoundError} @throws {ForbiddenError} cannot_remove_owner @throws {ConflictError} owner_must_transfer */
  async removeMember(organisationId: string, actor: Actor, targetUserId: string): Promise<void> {
    await this.#tx(organisationId, actor, async (sql) => {
      const target = await repository.findMember(sql, organisationId, targetUserId, true);
      if (!target) throw new NotFoundError('No such member.');
      if (target.role === 'owner') {
        throw actor.userId === target.userId
          ? new ConflictError('Transfer ownership before leaving the organisation.', 'owner_must_transfer')
          : new ForbiddenError('The owner cannot be removed.', 'cannot_remove_owner');
      }
      await repository.deleteMember(sql, organisationId, targetUserId);
    });
    await this.deps.invalidateUserSessions(targetUserId);
  }
}
