import { pageSchema, paginationQuery } from '../../platform/http/pagination.js';
import { text, z } from '../../platform/http/zod.js';
import { CAMPAIGN_STATUSES, ENROLMENT_STATES } from './transitions.js';

const uuid = () => z.string().uuid();

export const campaignStatusSchema = z.enum(CAMPAIGN_STATUSES).openapi('CampaignStatus');
export const enrolmentStateSchema = z.enum(ENROLMENT_STATES).openapi('EnrolmentState');

export const campaignSchema = z
  .object({
    id: uuid(),
    name: z.string(),
    description: z.string().nullable(),
    status: campaignStatusSchema,
    createdBy: uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Campaign');
export type Campaign = z.infer<typeof campaignSchema>;

export const campaignParams = z.object({ campaignId: uuid() }).strict();
export const stepParams = z.object({ campaignId: uuid(), stepId: uuid() }).strict();
export const enrolmentParams = z.object({ campaignId: uuid(), enrolmentId: uuid() }).strict();
export const messageParams = z.object({ campaignId: uuid(), messageId: uuid() }).strict();
export const promptParams = z.object({ promptId: uuid() }).strict();

export const createCampaignBody = z
  .object({
    name: text({ max: 200 }),
    description: text({ max: 2000, min: 0 }).nullable().optional(),
  })
  .strict()
  .openapi('CampaignCreate');
export const updateCampaignBody = z
  .object({
    name: text({ max: 200 }).optional(),
    description: text({ max: 2000, min: 0 }).nullable().optional(),
  })
  .strict()
  .refine((body) => body.name !== undefined || body.description !== undefined, 'give name or description')
  .openapi('CampaignUpdate');
export const campaignStatusBody = z
  .object({ status: campaignStatusSchema })
  .strict()
  .openapi('CampaignStatusChange');
export const campaignListQuery = z
  .object({ ...paginationQuery, status: campaignStatusSchema.optional() })
  .strict();
export const campaignListSchema = pageSchema(campaignSchema, 'CampaignList');

export const stepSchema = z
  .object({
    id: uuid(),
    campaignId: uuid(),
    stepOrder: z.number().int(),
    channel: z.literal('email'),
    delayDays: z.number().int(),
    promptId: uuid().nullable(),
    promptVersion: z.number().int().nullable(),
    subjectTemplate: z.string().nullable(),
    bodyTemplate: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WorkflowStep');
export type Step = z.infer<typeof stepSchema>;

const stepFields = {
  stepOrder: z.number().int().min(1).max(100),
  delayDays: z.number().int().min(0).max(365),
  promptId: uuid().nullable(),
  promptVersion: z.number().int().min(1).nullable(),
  subjectTemplate: text({ max: 500 }).nullable(),
  bodyTemplate: text({ max: 100_000 }).nullable(),
};
export const createStepBody = z
  .object({
    stepOrder: stepFields.stepOrder.optional(),
    channel: z.literal('email').default('email'),
    delayDays: stepFields.delayDays.default(0),
    promptId: stepFields.promptId.optional(),
    promptVersion: stepFields.promptVersion.optional(),
    subjectTemplate: stepFields.subjectTemplate.optional(),
    bodyTemplate: stepFields.bodyTemplate.optional(),
  })
  .strict()
  .openapi('WorkflowStepCreate');
export const updateStepBody = z
  .object({
    stepOrder: stepFields.stepOrder.optional(),
    delayDays: stepFields.delayDays.optional(),
    promptId: stepFields.promptId.optional(),
    promptVersion: stepFields.promptVersion.optional(),
    subjectTemplate: stepFields.subjectTemplate.optional(),
    bodyTemplate: stepFields.bodyTemplate.optional(),
  })
  .strict()
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'give at least one field')
  .openapi('WorkflowStepUpdate');
export const stepListSchema = z.object({ items: z.array(stepSchema) }).openapi('WorkflowStepList');

export const promptVersionSchema = z
  .object({
    version: z.number().int(),
    body: z.string(),
    createdBy: uuid().nullable(),
    createdAt: z.string(),
  })
  .openapi('PromptVersion');
export const promptSchema = z
  .object({
    id: uuid(),
    name: z.string(),
    currentVersion: z.number().int(),
    body: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Prompt');
export const promptWithVersionsSchema = promptSchema
  .extend({ versions: z.array(promptVersionSchema) })
  .openapi('PromptWithVersions');
export type Prompt = z.infer<typeof promptSchema>;
export type PromptVersion = z.infer<typeof promptVersionSchema>;
export const createPromptBody = z
  .object({ name: text({ max: 200 }), body: text({ max: 100_000 }) })
  .strict()
  .openapi('PromptCreate');
export const createPromptVersionBody = z
  .object({ body: text({ max: 100_000 }) })
  .strict()
  .openapi('PromptVersionCreate');
export const promptListQuery = z.object({ ...paginationQuery }).strict();
export const promptListSchema = pageSchema(promptSchema, 'PromptList');

export const variantSchema = z
  .object({
    id: uuid(),
    name: z.string(),
    weight: z.number().int(),
    promptId: uuid().nullable(),
    subjectTemplate: z.string().nullable(),
    bodyTemplate: z.string().nullable(),
  })
  .openapi('ExperimentVariant');
export const experimentSchema = z
  .object({
    id: uuid(),
    stepId: uuid(),
    name: z.string(),
    status: z.enum(['draft', 'running', 'stopped']),
    variants: z.array(variantSchema),
    createdAt: z.string(),
  })
  .openapi('StepExperiment');
export type Experiment = z.infer<typeof experimentSchema>;
export type Variant = z.infer<typeof variantSchema>;
export const createExperimentBody = z
  .object({
    name: text({ max: 200 }),
    variants: z
      .array(
        z
          .object({
            name: text({ max: 100 }),
            weight: z.number().int().min(1).max(1000),
            promptId: uuid().nullable().optional(),
            subjectTemplate: text({ max: 500 }).nullable().optional(),
            bodyTemplate: text({ max: 100_000 }).nullable().optional(),
          })
          .strict(),
      )
      .min(2)
      .max(10)
      .refine((variants) => new Set(variants.map((v) => v.name)).size === variants.length, {
        message: 'variant names must be distinct',
      }),
  })
  .strict()
  .openapi('StepExperimentCreate');
export const experimentListSchema = z
  .object({ items: z.array(experimentSchema) })
  .openapi('StepExperimentList');
export const assignmentBody = z
  .object({ enrolmentIds: z.array(uuid()).min(1).max(10_000) })
  .strict()
  .openapi('VariantAssignmentRequest');
export const assignmentSchema = z
  .object({ enrolmentId: uuid(), variantId: uuid(), variantName: z.string() })
  .openapi('VariantAssignment');
export const assignmentListSchema = z
  .object({ experimentId: uuid(), assignments: z.array(assignmentSchema) })
  .openapi('VariantAssignments');

export const enrolmentSchema = z
  .object({
    id: uuid(),
    campaignId: uuid(),
    personId: uuid(),
    positionId: uuid().nullable(),
    state: enrolmentStateSchema,
    currentStepId: uuid().nullable(),
    enrolledAt: z.string(),
    stateChangedAt: z.string(),
  })
  .openapi('Enrolment');
export type Enrolment = z.infer<typeof enrolmentSchema>;
export const enrolBody = z
  .object({
    people: z
      .array(z.object({ personId: uuid(), positionId: uuid().nullable().optional() }).strict())
      .min(1)
      .superRefine((people, ctx) => {
        const seen = new Set<string>();
        people.forEach((person, index) => {
          if (seen.has(person.personId))
            ctx.addIssue({ code: 'custom', path: [index, 'personId'], message: 'listed twice' });
          seen.add(person.personId);
        });
      }),
  })
  .strict()
  .openapi('EnrolmentRequest');
export const enrolResultSchema = z
  .object({ enrolled: z.array(uuid()), alreadyEnrolled: z.array(uuid()) })
  .openapi('EnrolmentResult');
export const enrolmentStateBody = z
  .object({ state: enrolmentStateSchema })
  .strict()
  .openapi('EnrolmentStateChange');
export const enrolmentListQuery = z
  .object({ ...paginationQuery, state: enrolmentStateSchema.optional() })
  .strict();
export const enrolmentListSchema = pageSchema(enrolmentSchema, 'EnrolmentList');

export const messageSchema = z
  .object({
    id: uuid(),
    enrolmentId: uuid().nullable(),
    taskId: uuid().nullable(),
    direction: z.literal('outbound'),
    status: z.enum(['queued', 'sent', 'delivered', 'bounced', 'failed']),
    subject: z.string().nullable(),
    toAddress: z.string().nullable(),
    sentAt: z.string().nullable(),
    createdAt: z.string(),
    pixel: z.object({ token: z.string(), path: z.string() }).nullable(),
    opens: z
      .object({
        firstOpenAt: z.string(),
        lastOpenAt: z.string(),
        totalOpens: z.number().int(),
        uniqueOpens: z.number().int(),
        humanOpens: z.number().int(),
        humanUniqueOpens: z.number().int(),
      })
      .nullable(),
  })
  .openapi('Message');
export type Message = z.infer<typeof messageSchema>;
export const createMessageBody = z
  .object({
    subject: text({ max: 500 }),
    toAddress: z.string().trim().toLowerCase().email().max(320).optional(),
    fromAddress: z.string().trim().toLowerCase().email().max(320).optional(),
    stepId: uuid().optional(),
    sentAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi('MessageCreate');

export type CreateCampaignInput = z.infer<typeof createCampaignBody>;
export type UpdateCampaignInput = z.infer<typeof updateCampaignBody>;
export type CampaignListQuery = z.infer<typeof campaignListQuery>;
export type CreateStepInput = z.infer<typeof createStepBody>;
export type UpdateStepInput = z.infer<typeof updateStepBody>;
export type CreateExperimentInput = z.infer<typeof createExperimentBody>;
export type EnrolmentListQuery = z.infer<typeof enrolmentListQuery>;
export type CreateMessageInput = z.infer<typeof createMessageBody>;
