import type { Response } from 'express';
import { z } from './zod.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://prospectflow.dev/problems/validation_failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    code: z.string().openapi({ description: 'Stable machine-readable reason' }),
    errors: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          code: z
            .string()
            .optional()
            .openapi({ description: 'Stable reason of a data rule, where it has one' }),
        }),
      )
      .optional(),
    conflictingId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: 'On a 409 over a unique value: the id of the record that already holds it' }),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_TYPE_BASE = 'https://prospectflow.dev/problems/';

export function sendProblem(
  res: Response,
  problem: Omit<Problem, 'type'> & { type?: string } & Record<string, unknown>,
  headers: Readonly<Record<string, string>> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ type: problem.type ?? `${PROBLEM_TYPE_BASE}${problem.code}`, ...problem }));
}
