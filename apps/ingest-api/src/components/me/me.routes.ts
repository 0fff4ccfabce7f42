import type { Auth } from '@prospectflow/auth-core';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { activeOrganisationBody, sessionViewSchema } from './me.schemas.js';

/** The signed-in user's own session: profile, memberships, active organisation, logout. */
export function registerMeRoutes(routes: ApiRoutes, deps: { auth: Auth }): void {
  const { auth } = deps;
  routes.add({
    method: 'get',
    path: '/me',
    operationId: 'getMe',
    summary: 'The signed-in user, their organisations, and the organisation in effect',
    tags: ['me'],
    access: 'user',
    responses: { 200: { description: 'The session', schema: sessionViewSchema } },
    handler: async ({ req }) => ({
      status: 200,
      body: auth.sessionView(req),
      headers: { 'Cache-Control': 'no-store' },
    }),
  });
  routes.add({
    method: 'put',
    path: '/me/active-organisation',
    operationId: 'setActiveOrganisation',
    summary: 'Choose the organisation later requests act in (null clears the choice)',
    tags: ['me'],
    access: 'user',
    body: activeOrganisationBody,
    responses: { 200: { description: 'The session after the change', schema: sessionViewSchema } },
    handler: async ({ req, body }) => ({
      status: 200,
      body: await auth.setActiveOrganisation(req, body.organisationId),
    }),
  });
  routes.add({
    method: 'post',
    path: '/auth/logout',
    operationId: 'logout',
    summary: 'End this sign-in: the session is deleted and its tokens are refused from now on',
    tags: ['me'],
    access: 'user',
    responses: { 204: { description: 'Logged out' } },
    handler: async ({ req }) => {
      await auth.logout(req);
      return { status: 204 };
    },
  });
}
