import { pageSchema, paginationQuery } from '../../platform/http/pagination.js';
import { text, z } from '../../platform/http/zod.js';
import { normaliseEmail } from '../crm/rules/index.js';
import { roleSchema } from '../me/me.schemas.js';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const name = text({ max: 200 });
const slug = z.string().regex(SLUG_PATTERN, 'lower-case letters, digits and hyphens, 1 to 63 characters');

export const organisationSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    slug: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Organisation');

export const createOrganisationBody = z
  .object({ name, slug: slug.optional() })
  .strict()
  .openapi('OrganisationCreate');
export const updateOrganisationBody = z
  .object({ name: name.optional(), slug: slug.optional() })
  .strict()
  .refine((body) => body.name !== undefined || body.slug !== undefined, 'give name or slug')
  .openapi('OrganisationUpdate');

export const organisationParams = z.object({ organisationId: z.string().uuid() }).strict();
export const memberParams = z
  .object({ organisationId: z.string().uuid(), userId: z.string().uuid() })
  .strict();

export const memberSchema = z
  .object({
    userId: z.string().uuid(),
    email: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    role: roleSchema,
    status: z.enum(['invited', 'active', 'disabled']),
    joinedAt: z.string(),
  })
  .openapi('Member');

export const memberListQuery = z
  .object({
    ...paginationQuery,
    role: roleSchema.optional(),
    status: z.enum(['invited', 'active', 'disabled']).optional(),
  })
  .strict();

export const memberListSchema = pageSchema(memberSchema, 'MemberList');

export const inviteMemberBody = z
  .object({
    // The CRM-core e-mail rule, the same everywhere: syntax, 64-octet local part, 254-octet address, IDN.
    email: z.string().transform((value, ctx) => {
      const result = normaliseEmail(value);
      if (!result.ok) {
        ctx.addIssue({ code: 'custom', message: result.problem.message });
        return z.NEVER;
      }
      return result.value.email.toLowerCase();
    }),
    role: z.enum(['viewer', 'member', 'admin']).default('member'),
  })
  .strict()
  .openapi('MemberInvite');

export const changeRoleBody = z.object({ role: roleSchema }).strict().openapi('MemberRoleChange');

export type CreateOrganisationInput = z.infer<typeof createOrganisationBody>;
export type UpdateOrganisationInput = z.infer<typeof updateOrganisationBody>;
export type MemberListQuery = z.infer<typeof memberListQuery>;
export type Member = z.infer<typeof memberSchema>;
export type Organisation = z.infer<typeof organisationSchema>;
