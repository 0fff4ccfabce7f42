import { z } from '../../platform/http/zod.js';
import { COMPANY_FIELDS, PERSON_FIELDS, POSITION_FIELDS, type FieldSpec } from '../crm/crm.fields.js';

/**
 * The documented shape of a record. Field values are checked by the data rules per record (a bad value
 * rejects that record, not the batch), so the schema only fixes the structure and documents the names.
 */
function partSchema(fields: readonly FieldSpec[], name: string) {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of fields) {
    const description =
      spec.aliases.length > 0 ? `Also accepted as ${spec.aliases.join(', ')} (Pharow export).` : undefined;
    shape[spec.name] = z
      .unknown()
      .optional()
      .openapi({
        anyOf: [{ type: 'string', maxLength: spec.maxLength }, { type: 'number' }, { type: 'null' }],
        ...(description ? { description } : {}),
      });
    for (const alias of spec.aliases) {
      shape[alias] ??= z
        .unknown()
        .optional()
        .openapi({
          anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }],
          description: `Pharow export name of ${spec.name}.`,
        });
    }
  }
  return z.looseObject(shape).openapi(name);
}

export const ingestRecordSchema = z
  .looseObject({
    company: partSchema(COMPANY_FIELDS, 'IngestCompany').nullish(),
    person: partSchema(PERSON_FIELDS, 'IngestPerson').nullish(),
    position: partSchema(POSITION_FIELDS, 'IngestPosition').nullish(),
  })
  .openapi('IngestRecord', {
    description:
      'A company, a person and the position linking them; any part may be absent. Unknown fields are ' +
      'reported as warnings and ignored.',
  });

export const ingestBody = z
  .object({ records: z.array(ingestRecordSchema).min(1) })
  .strict()
  .openapi('IngestBatch');

export const ingestQuery = z
  .object({
    atomic: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .openapi({ description: 'true: any rejected record stores nothing and the answer is 422' }),
  })
  .strict();

const entityOutcome = z
  .object({ id: z.string().uuid(), outcome: z.enum(['created', 'updated', 'unchanged']) })
  .nullable();

export const recordProblemSchema = z
  .object({
    path: z.string(),
    code: z.string(),
    message: z.string(),
    severity: z.enum(['error', 'warning']),
  })
  .openapi('RecordProblem');

export const ingestResultSchema = z
  .object({
    index: z.number().int(),
    outcome: z.enum(['created', 'updated', 'unchanged', 'rejected']),
    company: entityOutcome,
    person: entityOutcome,
    position: entityOutcome,
    changed: z.array(z.string()).openapi({ description: 'Fields written, e.g. company.siren' }),
    problems: z.array(recordProblemSchema),
  })
  .openapi('IngestResult');

export const ingestResponseSchema = z
  .object({
    results: z.array(ingestResultSchema),
    totals: z.object({
      created: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      rejected: z.number().int(),
    }),
  })
  .openapi('IngestResponse');

export type IngestResult = z.infer<typeof ingestResultSchema>;
export type IngestResponse = z.infer<typeof ingestResponseSchema>;
