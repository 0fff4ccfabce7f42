import { pageSchema, paginationQuery } from '../../platform/http/pagination.js';
import { z } from '../../platform/http/zod.js';

const statuses = [
  'uploading',
  'uploaded',
  'mapped',
  'validating',
  'validated',
  'committing',
  'committed',
  'reverting',
  'reverted',
  'failed',
  'cancelled',
] as const;

const mappingColumn = z.object({
  index: z.number().int(),
  header: z.string(),
  field: z
    .string()
    .nullable()
    .openapi({ description: 'e.g. company.siren, person.lastName, position.email' }),
  confidence: z.number().openapi({ description: '0 to 1' }),
  reason: z.string().openapi({ description: 'remembered, exact, alias, fuzzy or none' }),
});

export const importViewSchema = z
  .object({
    id: z.string().uuid(),
    fileName: z.string(),
    status: z.enum(statuses),
    format: z.enum(['csv', 'xlsx']).nullable(),
    encoding: z
      .string()
      .nullable()
      .openapi({ description: 'utf-8, utf-8-bom, utf-16le, utf-16be, windows-1252' }),
    delimiter: z.string().nullable(),
    sheet: z.string().nullable(),
    headers: z.array(z.string()),
    rowsTotal: z.number().int(),
    fileSizeBytes: z.number().int().nullable(),
    preview: z.array(z.array(z.string())).openapi({ description: 'The first 20 rows' }),
    suggestedMapping: z
      .object({
        columns: z.array(mappingColumn),
        conflicts: z.array(z.object({ field: z.string(), columns: z.array(z.number().int()) })),
      })
      .nullable(),
    mapping: z
      .record(z.string(), z.string().nullable())
      .nullable()
      .openapi({ description: 'header → field' }),
    campaignId: z.string().uuid().nullable(),
    counts: z.object({
      valid: z.number().int(),
      invalid: z.number().int(),
      duplicates: z.number().int().openapi({ description: 'Rows that repeat an earlier row of the file' }),
      existing: z.number().int().openapi({ description: 'Rows that match stored records (would update)' }),
      warnings: z.number().int(),
      created: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      rejected: z.number().int(),
      enrolled: z.number().int(),
    }),
    progress: z
      .object({
        job: z.enum(['validate', 'commit', 'revert']),
        state: z.enum(['queued', 'running', 'done', 'failed']),
        rowsDone: z.number().int(),
        rowsTotal: z.number().int(),
        rowsPerSecond: z.number().nullable(),
        startedAt: z.string().nullable(),
      })
      .nullable(),
    error: z.string().nullable(),
    revertReport: z
      .object({
        restoredRows: z.number().int(),
        restoredFields: z.number().int(),
        deleted: z.object({
          companies: z.number().int(),
          people: z.number().int(),
          positions: z.number().int(),
          campaign_enrollments: z
            .number()
            .int()
            .openapi({ description: 'Enrolments the commit made in its campaign' }),
        }),
        conflictCount: z.number().int(),
        conflicts: z.array(
          z.object({
            table: z.enum(['companies', 'people', 'positions', 'campaign_enrollments']),
            id: z.string().uuid(),
            field: z.string().nullable(),
            reason: z.enum(['changed_since', 'deleted_since', 'still_referenced']),
          }),
        ),
      })
      .nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    committedAt: z.string().nullable(),
    revertedAt: z.string().nullable(),
  })
  .openapi('Import');

export const importListSchema = pageSchema(importViewSchema, 'ImportList');

export const importParams = z.object({ id: z.string().uuid() }).strict();

export const uploadQuery = z
  .object({
    sheet: z
      .string()
      .min(1)
      .max(31)
      .optional()
      .openapi({ description: 'XLSX: the sheet to read (default: the first)' }),
    fileName: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .openapi({ description: 'For a raw body without Content-Disposition' }),
    mapping: z.string().max(20_000).optional().openapi({
      description: '`auto` (the suggested mapping) or a JSON object header → field: maps at once',
    }),
    commit: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .openapi({
        description: 'With a mapping: validate and commit without stopping (poll GET /imports/:id)',
      }),
    campaignId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: 'Enrol the imported people in this campaign' }),
  })
  .strict();

export const mappingBody = z
  .object({
    mapping: z.record(z.string(), z.string().max(100).nullable()).openapi({
      description: 'Header → field (company.siren, person.firstName, position.email ...) or null to skip',
    }),
  })
  .strict()
  .openapi('ImportMapping');

export const jobBody = z
  .object({
    campaignId: z
      .string()
      .uuid()
      .nullable()
      .optional()
      .openapi({ description: 'Validation: check enrolments against it; commit: enrol the people in it' }),
  })
  .strict()
  .openapi('ImportJobOptions');

export const importListQuery = z.object({ ...paginationQuery, status: z.enum(statuses).optional() }).strict();

export const errorsQuery = z
  .object({
    delimiter: z.enum([',', ';']).default(',').openapi({ description: '`;` for French Excel' }),
  })
  .strict();

export type ImportView = z.infer<typeof importViewSchema>;
export type ImportListQuery = z.infer<typeof importListQuery>;
