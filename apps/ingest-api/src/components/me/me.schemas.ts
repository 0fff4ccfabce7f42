import { z } from '../../platform/http/zod.js';

export const roleSchema = z.enum(['viewer', 'member', 'admin', 'owner']).openapi('Role');

export const membershipSchema = z
  .object({
    organisationId: z.string().uuid(),
    organisationName: z.string(),
    organisationSlug: z.string(),
    role: roleSchema,
    status: z.enum(['invited', 'active', 'disabled']),
  })
  .openapi('OrganisationMembership');

export const sessionViewSchema = z
  .object({
    user: z.object({
      id: z.string().uuid(),
      email: z.string(),
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
    }),
    memberships: z.array(membershipSchema),
    activeOrganisationId: z.string().uuid().nullable(),
    organisation: membershipSchema.nullable(),
    role: roleSchema.nullable(),
    session: z.object({
      authenticatedAt: z.string(),
      expiresAt: z.string(),
      idleTimeoutSeconds: z.number().int().nullable(),
    }),
  })
  .openapi('SessionView');

export const activeOrganisationBody = z
  .object({ organisationId: z.string().uuid().nullable() })
  .strict()
  .openapi('ActiveOrganisationChange');
