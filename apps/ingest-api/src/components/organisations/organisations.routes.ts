import { getAuth, getScopedAuth, type Auth } from '@prospectflow/auth-core';
import type { Request } from 'express';
import type { Pool } from 'pg';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import {
  changeRoleBody,
  createOrganisationBody,
  inviteMemberBody,
  memberListQuery,
  memberListSchema,
  memberParams,
  memberSchema,
  organisationParams,
  organisationSchema,
  updateOrganisationBody,
} from './organisations.schemas.js';
import { OrganisationService, type Actor } from './organisations.service.js';

function actor(req: Request): Actor {
  const auth = getScopedAuth(req);
  return { userId: auth.user.id, role: auth.role, correlationId: req.requestId };
}

export function registerOrganisationRoutes(
  routes: ApiRoutes,
  deps: { auth: Auth; pool: Pool; statementTimeoutMs: number },
): void {
  const service = new OrganisationService({
    pool: deps.pool,
    statementTimeoutMs: deps.statementTimeoutMs,
    invalidateUserSessions: (userId) => deps.auth.invalidateUserSessions(userId),
  });
  const tags = ['organisations'];

  routes.add({
    method: 'post',
    path: '/organisations',
    operationId: 'createOrganisation',
    summary: 'Create an organisation; the creator becomes its owner',
    tags,
    access: 'user',
    body: createOrganisationBody,
    responses: { 201: { description: 'Created', schema: organisationSchema } },
    handler: async ({ req, body }) => {
      const organisation = await service.create(
        { userId: getAuth(req).user.id, correlationId: req.requestId },
        body,
      );
      return {
        status: 201,
        body: organisation,
        headers: { Location: `/api/v1/organisations/${organisation.id}` },
      };
    },
  });
  routes.add({
    method: 'get',
    path: '/organisations/:organisationId',
    operationId: 'getOrganisation',
    summary: 'Read an organisation you belong to',
    tags,
    access: 'organisation',
    params: organisationParams,
    responses: { 200: { description: 'The organisation', schema: organisationSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await service.get(params.organisationId, actor(req)),
    }),
  });
  routes.add({
    method: 'patch',
    path: '/organisations/:organisationId',
    operationId: 'updateOrganisation',
    summary: 'Rename an organisation or change its slug (admin)',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: organisationParams,
    body: updateOrganisationBody,
    responses: { 200: { description: 'The organisation', schema: organisationSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await service.update(params.organisationId, actor(req), body),
    }),
  });
  routes.add({
    method: 'get',
    path: '/organisations/:organisationId/members',
    operationId: 'listMembers',
    summary: 'List members and invitations, oldest first, with cursor pagination',
    tags,
    access: 'organisation',
    params: organisationParams,
    query: memberListQuery,
    responses: { 200: { description: 'A page of members', schema: memberListSchema } },
    handler: async ({ req, params, query }) => ({
      status: 200,
      body: await service.listMembers(params.organisationId, actor(req), query),
    }),
  });
  routes.add({
    method: 'post',
    path: '/organisations/:organisationId/members',
    operationId: 'inviteMember',
    summary: 'Invite someone by e-mail (admin); accepted at their next sign-in',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: organisationParams,
    body: inviteMemberBody,
    responses: { 201: { description: 'Invited', schema: memberSchema } },
    handler: async ({ req, params, body }) => ({
      status: 201,
      body: await service.invite(params.organisationId, actor(req), body),
    }),
  });
  routes.add({
    method: 'patch',
    path: '/organisations/:organisationId/members/:userId',
    operationId: 'changeMemberRole',
    summary: "Change a member's role (admin); role owner transfers ownership (owner only)",
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: memberParams,
    body: changeRoleBody,
    responses: { 200: { description: 'The member after the change', schema: memberSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await service.changeRole(params.organisationId, actor(req), params.userId, body.role),
    }),
  });
  routes.add({
    method: 'delete',
    path: '/organisations/:organisationId/members/:userId',
    operationId: 'removeMember',
    summary: 'Remove a member or cancel an invitation (admin); the owner cannot be removed',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: memberParams,
    responses: { 204: { description: 'Removed' } },
    handler: async ({ req, params }) => {
      await service.removeMember(params.organisationId, actor(req), params.userId);
      return { status: 204 };
    },
  });
}
