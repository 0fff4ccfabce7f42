import { pageSchema, paginationQuery } from '../../platform/http/pagination.js';
import { text, z } from '../../platform/http/zod.js';
import { FIELDS_BY_ENTITY, type Entity } from './crm.fields.js';

const id = z.string().uuid();
const nullableText = z.string().nullable();
const timestamps = { createdAt: z.string(), updatedAt: z.string() };

export const companySchema = z
  .object({
    id,
    pharowCompanyId: nullableText,
    siren: nullableText,
    hqSiret: nullableText,
    vatNumber: nullableText.openapi({
      description: 'French intra-community VAT number, derived from the SIREN',
    }),
    name: z.string(),
    brandName: nullableText,
    nafCode: nullableText,
    nafNomenclature: z.enum(['NAF_REV2', 'NAF_2025']).nullable(),
    activity: nullableText,
    employeeRange: nullableText,
    annualRevenueEur: z.number().int().nullable(),
    mainPhone: nullableText.openapi({ description: 'E.164' }),
    genericEmail: nullableText,
    websiteUrl: nullableText,
    domain: nullableText,
    linkedinUrl: nullableText,
    hqAddress: nullableText,
    hqPostalCode: nullableText,
    hqCity: nullableText,
    hqCountry: z.string(),
    ...timestamps,
  })
  .openapi('Company');

export const personSchema = z
  .object({
    id,
    firstName: nullableText,
    lastName: nullableText,
    salutation: z.enum(['mr', 'mrs', 'mx']).nullable(),
    linkedinUrl: nullableText,
    mobilePhone: nullableText.openapi({ description: 'E.164' }),
    ...timestamps,
  })
  .openapi('Person');

export const positionSchema = z
  .object({
    id,
    personId: id,
    companyId: id,
    jobTitle: nullableText,
    email: nullableText,
    emailStatus: z.enum(['valid', 'risky', 'catch_all', 'invalid', 'unknown']).nullable(),
    emailReliability: z.number().int().nullable(),
    source: nullableText,
    sourceList: nullableText,
    ...timestamps,
  })
  .openapi('Position');

export const companyDetailSchema = companySchema
  .extend({
    positions: z
      .array(positionSchema.extend({ person: personSchema }))
      .openapi({ description: 'The people who work there (up to 200, newest first)' }),
  })
  .openapi('CompanyDetail');
export const personDetailSchema = personSchema
  .extend({
    positions: z
      .array(positionSchema.extend({ company: companySchema }))
      .openapi({ description: 'Where the person works (up to 200, newest first)' }),
  })
  .openapi('PersonDetail');
export const positionDetailSchema = positionSchema
  .extend({ person: personSchema, company: companySchema })
  .openapi('PositionDetail');

export const companyListSchema = pageSchema(companySchema, 'CompanyList');
export const personListSchema = pageSchema(personSchema, 'PersonList');
export const positionListSchema = pageSchema(positionSchema, 'PositionList');

const search = text({ max: 100, min: 1 }).openapi({
  description: 'Name prefix, accent- and case-insensitive',
});

export const companyListQuery = z
  .object({
    ...paginationQuery,
    siren: z
      .string()
      .regex(/^\d{9}$/, '9 digits')
      .optional(),
    nafCode: z
      .string()
      .regex(/^\d{2}\.?\d{2}[A-Za-z]$/, 'a NAF code such as 62.01Z')
      .transform(
        (code) => `${code.slice(0, 2)}.${code.replace('.', '').slice(2, 4)}${code.slice(-1).toUpperCase()}`,
      )
      .optional(),
    domain: z
      .string()
      .max(253)
      .transform((domain) => domain.toLowerCase())
      .optional(),
    q: search.optional(),
    updatedSince: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const personListQuery = z
  .object({
    ...paginationQuery,
    email: z.string().max(320).optional(),
    companyId: id.optional(),
    q: search.optional(),
  })
  .strict();

export const positionListQuery = z
  .object({
    ...paginationQuery,
    companyId: id.optional(),
    personId: id.optional(),
    emailStatus: z.enum(['valid', 'risky', 'catch_all', 'invalid', 'unknown']).optional(),
  })
  .strict();

export const idParams = z.object({ id }).strict();

/** A PATCH body of an entity: its own field names, each a value, or null to clear it. */
function patchSchema(entity: Entity, name: string) {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of FIELDS_BY_ENTITY[entity]) {
    shape[spec.name] = z
      .union([z.string(), z.number(), z.null()])
      .optional()
      .openapi({ description: `Checked by the same rules as ingest; null clears it.` });
  }
  return z
    .object(shape)
    .strict()
    .refine((body) => Object.keys(body).length > 0, 'give at least one field')
    .openapi(name);
}

export const companyPatch = patchSchema('company', 'CompanyPatch');
export const personPatch = patchSchema('person', 'PersonPatch');
export const positionPatch = patchSchema('position', 'PositionPatch');

export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(200)
    .optional()
    .openapi({
      description:
        'The ETag of the version you read: the write is refused with 412 if the record changed since. ' +
        'Without it the write proceeds.',
    }),
});

export type Company = z.infer<typeof companySchema>;
export type Person = z.infer<typeof personSchema>;
export type Position = z.infer<typeof positionSchema>;
export type CompanyListQuery = z.infer<typeof companyListQuery>;
export type PersonListQuery = z.infer<typeof personListQuery>;
export type PositionListQuery = z.infer<typeof positionListQuery>;
export type Patch = Record<string, string | number | null | undefined>;
