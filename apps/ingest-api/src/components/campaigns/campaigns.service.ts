import type { Pool } from 'pg';
import { ForeignKeyViolationError, withScope, type Sql } from '../../platform/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import type { TenantScope } from '../../platform/tenant.js';
import { newPixelToken } from '../tracking/pixel-token.js';
import * as repository from './campaigns.repository.js';
import type {
  Campaign,
  CampaignListQuery,
  CreateCampaignInput,
  CreateExperimentInput,
  CreateMessageInput,
  CreateStepInput,
  Experiment,
  Message,
  Prompt,
  PromptVersion,
  Step,
  UpdateCampaignInput,
  UpdateStepInput,
} from './campaigns.schemas.js';
import * as enrolments from './enrolments.repository.js';
import * as messages from './messages.repository.js';
import { campaignTransitionError, type CampaignStatus } from './transitions.js';

type Page<T> = { items: T[]; nextCursor: string | null };

/** Campaigns, their steps, prompts, experiments and messages. Status moves are checked by the database. */
export class CampaignService {
  constructor(private readonly deps: { pool: Pool; statementTimeoutMs: number }) {}

  #tx<T>(scope: TenantScope, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return withScope(this.deps.pool, scope, this.deps.statementTimeoutMs, fn);
  }

  async #campaign(sql: Sql, scope: TenantScope, id: string, lock: 'none' | 'share' | 'update' = 'none') {
    const campaign = await repository.findCampaign(sql, scope.organisationId, id, lock);
    if (!campaign) throw new NotFoundError('No such campaign.', 'campaign_not_found');
    return campaign;
  }

  create(scope: TenantScope, input: CreateCampaignInput): Promise<Campaign> {
    return this.#tx(scope, (sql) =>
      repository.insertCampaign(sql, {
        organisationId: scope.organisationId,
        name: input.name,
        description: input.description ?? null,
        createdBy: scope.userId,
      }),
    );
  }

  async list(scope: TenantScope, query: CampaignListQuery): Promise<Page<Campaign>> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await this.#tx(scope, (sql) =>
      repository.listCampaigns(sql, {
        organisationId: scope.organisationId,
        after,
        limit: query.limit,
        status: query.status,
      }),
    );
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /** @throws {NotFoundError} */
  get(scope: TenantScope, id: string): Promise<Campaign> {
    return this.#tx(scope, (sql) => this.#campaign(sql, scope, id));
  }

  /** Changes name or description; values equal to the stored ones change nothing. @throws {NotFoundError} */
  update(scope: TenantScope, id: string, input: UpdateCampaignInput): Promise<Campaign> {
    return this.#tx(scope, async (sql) => {
      const current = await this.#campaign(sql, scope, id, 'update');
      const updated = await repository.updateCampaign(sql, scope.organisationId, id, {
        name: input.name,
        description: input.description,
      });
      return updated ?? current;
    });
  }

  /**
   * Moves the status along draft → running ↔ paused → archived; asking for the current status is a no-op.
   *
   * @throws {NotFoundError} @throws {ConflictError} invalid_transition naming the allowed moves
   */
  changeStatus(scope: TenantScope, id: string, status: CampaignStatus): Promise<Campaign> {
    return this.#tx(scope, async (sql) => {
      const current = await this.#campaign(sql, scope, id, 'update');
      if (current.status === status) return current;
      try {
        return (await repository.updateCampaign(sql, scope.organisationId, id, { status })) ?? current;
      } catch (error) {
        throw campaignTransitionError(error, current.status, status);
      }
    });
  }

  /** Deletes the campaign with its steps, enrolments and statistics; sent messages stay. @throws {NotFoundError} */
  async delete(scope: TenantScope, id: string): Promise<void> {
    const deleted = await this.#tx(scope, (sql) => repository.deleteCampaign(sql, scope.organisationId, id));
    if (deleted === 0) throw new NotFoundError('No such campaign.', 'campaign_not_found');
  }

  listSteps(scope: TenantScope, campaignId: string): Promise<Step[]> {
    return this.#tx(scope, async (sql) => {
      await this.#campaign(sql, scope, campaignId);
      return repository.listSteps(sql, scope.organisationId, campaignId);
    });
  }

  async #checkPrompt(sql: Sql, scope: TenantScope, promptId: string | null, version: number | null) {
    if (promptId === null) {
      if (version !== null)
        throw new ValidationError([{ path: 'body.promptVersion', message: 'needs a promptId' }]);
      return;
    }
    if (!(await repository.findPrompt(sql, scope.organisationId, promptId)))
      throw new ValidationError([
        { path: 'body.promptId', message: 'no such prompt', code: 'unknown_prompt' },
      ]);
    if (
      version !== null &&
      !(await repository.promptVersionExists(sql, scope.organisationId, promptId, version))
    )
      throw new ValidationError([
        {
          path: 'body.promptVersion',
          message: 'no such version of the prompt',
          code: 'unknown_prompt_version',
        },
      ]);
  }

  /**
   * Adds an e-mail step at a position (default: last); the steps from that position on move one place down.
   *
   * @throws {NotFoundError} @throws {ValidationError} position past the end, unknown prompt or version
   */
  createStep(scope: TenantScope, campaignId: string, input: CreateStepInput): Promise<Step> {
    return this.#tx(scope, async (sql) => {
      await this.#campaign(sql, scope, campaignId, 'update');
      const count = await repository.countSteps(sql, scope.organisationId, campaignId);
      const stepOrder = input.stepOrder ?? count + 1;
      if (stepOrder > count + 1) {
        throw new ValidationError([
          {
            path: 'body.stepOrder',
            message: `must be between 1 and ${count + 1} (the campaign has ${count} steps)`,
          },
        ]);
      }
      const promptId = input.promptId ?? null;
      const promptVersion = input.promptVersion ?? null;
      await this.#checkPrompt(sql, scope, promptId, promptVersion);
      if (stepOrder <= count) {
        await repository.shiftSteps(sql, scope.organisationId, campaignId, {
          from: stepOrder,
          to: null,
          delta: 1,
          exceptId: null,
        });
      }
      return repository.insertStep(sql, scope.organisationId, campaignId, {
        stepOrder,
        delayDays: input.delayDays,
        promptId,
        promptVersion,
        subjectTemplate: input.subjectTemplate ?? null,
        bodyTemplate: input.bodyTemplate ?? null,
      });
    });
  }

  /** Changes a step; a new stepOrder moves it and closes the gap it leaves. @throws {NotFoundError} @throws {ValidationError} */
  updateStep(scope: TenantScope, campaignId: string, stepId: string, input: UpdateStepInput): Promise<Step> {
    return this.#tx(scope, async (sql) => {
      await this.#campaign(sql, scope, campaignId, 'update');
      const step = await repository.findStep(sql, scope.organisationId, campaignId, stepId);
      if (!step) throw new NotFoundError('No such step.');
      const count = await repository.countSteps(sql, scope.organisationId, campaignId);
      const stepOrder = input.stepOrder ?? step.stepOrder;
      if (stepOrder > count) {
        throw new ValidationError([{ path: 'body.stepOrder', message: `must be between 1 and ${count}` }]);
      }
      const promptId = input.promptId !== undefined ? input.promptId : step.promptId;
      const promptVersion =
        input.promptVersion !== undefined
          ? input.promptVersion
          : promptId === step.promptId
            ? step.promptVersion
            : null;
      await this.#checkPrompt(sql, scope, promptId, promptVersion);
      if (stepOrder < step.stepOrder) {
        await repository.shiftSteps(sql, scope.organisationId, campaignId, {
          from: stepOrder,
          to: step.stepOrder - 1,
          delta: 1,
          exceptId: stepId,
        });
      } else if (stepOrder > step.stepOrder) {
        await repository.shiftSteps(sql, scope.organisationId, campaignId, {
          from: step.stepOrder + 1,
          to: stepOrder,
          delta: -1,
          exceptId: stepId,
        });
      }
      return repository.updateStep(sql, scope.organisationId, stepId, {
        stepOrder,
        delayDays: input.delayDays ?? step.delayDays,
        promptId,
        promptVersion,
        subjectTemplate: input.subjectTemplate !== undefined ? input.subjectTemplate : step.subjectTemplate,
        bodyTemplate: input.bodyTemplate !== undefined ? input.bodyTemplate : step.bodyTemplate,
      });
    });
  }

  /** Deletes a step (its experiments, tasks and assignments go with it) and closes the gap. @throws {NotFoundError} */
  deleteStep(scope: TenantScope, campaignId: string, stepId: string): Promise<void> {
    return this.#tx(scope, async (sql) => {
      await this.#campaign(sql, scope, campaignId, 'update');
      const step = await repository.findStep(sql, scope.organisationId, campaignId, stepId);
      if (!step) throw new NotFoundError('No such step.');
      await repository.deleteStep(sql, scope.organisationId, stepId);
      await repository.shiftSteps(sql, scope.organisationId, campaignId, {
        from: step.stepOrder + 1,
        to: null,
        delta: -1,
        exceptId: null,
      });
    });
  }

  createPrompt(scope: TenantScope, input: { name: string; body: string }): Promise<Prompt> {
    return this.#tx(scope, (sql) =>
      repository.insertPrompt(sql, {
        organisationId: scope.organisationId,
        ...input,
        createdBy: scope.userId,
      }),
    );
  }

  async listPrompts(
    scope: TenantScope,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Prompt>> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const page = await this.#tx(scope, (sql) =>
      repository.listPrompts(sql, { organisationId: scope.organisationId, after, limit: query.limit }),
    );
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  /** @throws {NotFoundError} */
  getPrompt(scope: TenantScope, promptId: string): Promise<Prompt & { versions: PromptVersion[] }> {
    return this.#tx(scope, async (sql) => {
      const prompt = await repository.findPrompt(sql, scope.organisationId, promptId);
      if (!prompt) throw new NotFoundError('No such prompt.');
      return {
        ...prompt,
        versions: await repository.listPromptVersions(sql, scope.organisationId, promptId),
      };
    });
  }

  /** Adds a version that becomes the current text; earlier versions stay readable. @throws {NotFoundError} */
  addPromptVersion(
    scope: TenantScope,
    promptId: string,
    body: string,
  ): Promise<Prompt & { versions: PromptVersion[] }> {
    return this.#tx(scope, async (sql) => {
      const prompt = await repository.findPrompt(sql, scope.organisationId, promptId, true);
      if (!prompt) throw new NotFoundError('No such prompt.');
      await repository.addPromptVersion(sql, {
        organisationId: scope.organisationId,
        promptId,
        version: prompt.currentVersion + 1,
        body,
        createdBy: scope.userId,
      });
      const updated = await repository.findPrompt(sql, scope.organisationId, promptId);
      if (!updated) throw new NotFoundError('No such prompt.');
      return {
        ...updated,
        versions: await repository.listPromptVersions(sql, scope.organisationId, promptId),
      };
    });
  }

  async #step(sql: Sql, scope: TenantScope, campaignId: string, stepId: string): Promise<Step> {
    await this.#campaign(sql, scope, campaignId);
    const step = await repository.findStep(sql, scope.organisationId, campaignId, stepId);
    if (!step) throw new NotFoundError('No such step.');
    return step;
  }

  listExperiments(scope: TenantScope, campaignId: string, stepId: string): Promise<Experiment[]> {
    return this.#tx(scope, async (sql) => {
      await this.#step(sql, scope, campaignId, stepId);
      return repository.listExperiments(sql, scope.organisationId, stepId);
    });
  }

  /**
   * Starts an A/B experiment on a step with weighted variants; the step's previous running experiment stops.
   * Enrolments already assigned keep their variant.
   *
   * @throws {NotFoundError} @throws {ValidationError} unknown prompt of a variant
   */
  createExperiment(
    scope: TenantScope,
    campaignId: string,
    stepId: string,
    input: CreateExperimentInput,
  ): Promise<Experiment> {
    return this.#tx(scope, async (sql) => {
      await this.#step(sql, scope, campaignId, stepId);
      try {
        return await repository.insertRunningExperiment(sql, {
          organisationId: scope.organisationId,
          stepId,
          name: input.name,
          variants: input.variants.map((v) => ({
            name: v.name,
            weight: v.weight,
            promptId: v.promptId ?? null,
            subjectTemplate: v.subjectTemplate ?? null,
            bodyTemplate: v.bodyTemplate ?? null,
          })),
        });
      } catch (error) {
        if (
          error instanceof ForeignKeyViolationError &&
          error.constraint === 'step_experiment_variants_prompt_fkey'
        )
          throw new ValidationError([
            { path: 'body.variants', message: 'a variant names an unknown prompt', code: 'unknown_prompt' },
          ]);
        throw error;
      }
    });
  }

  /**
   * The variant of the step's running experiment for each listed enrolment of the campaign: assigned once,
   * then the same on every call.
   *
   * @throws {NotFoundError} @throws {ConflictError} no_running_experiment
   */
  assignVariants(
    scope: TenantScope,
    campaignId: string,
    stepId: string,
    enrolmentIds: string[],
  ): Promise<{
    experimentId: string;
    assignments: { enrolmentId: string; variantId: string; variantName: string }[];
  }> {
    return this.#tx(scope, async (sql) => {
      await this.#step(sql, scope, campaignId, stepId);
      const experiment = await repository.findRunningExperiment(sql, scope.organisationId, stepId);
      if (!experiment)
        throw new ConflictError('The step has no running experiment.', 'no_running_experiment');
      const assignments = await repository.assignVariants(sql, {
        organisationId: scope.organisationId,
        campaignId,
        stepId,
        experimentId: experiment.id,
        enrolmentIds: [...new Set(enrolmentIds.map((id) => id.toLowerCase()))],
      });
      return { experimentId: experiment.id, assignments };
    });
  }

  /**
   * Records an outbound message to an enrolled person and creates its tracking pixel (a token with 128 random
   * bits). With a step, the step's task is marked sent and linked. With sentAt the message is sent, else queued.
   *
   * @throws {NotFoundError}
   */
  createMessage(
    scope: TenantScope,
    campaignId: string,
    enrolmentId: string,
    input: CreateMessageInput,
  ): Promise<Message> {
    return this.#tx(scope, async (sql) => {
      await this.#campaign(sql, scope, campaignId, 'share');
      const enrolment = await enrolments.findEnrolment(sql, scope.organisationId, campaignId, enrolmentId);
      if (!enrolment) throw new NotFoundError('No such enrolment.');
      let taskId: string | null = null;
      if (input.stepId !== undefined) {
        const step = await repository.findStep(sql, scope.organisationId, campaignId, input.stepId);
        if (!step)
          throw new ValidationError([
            { path: 'body.stepId', message: 'no such step in this campaign', code: 'unknown_step' },
          ]);
        taskId = await messages.ensureSentTask(sql, {
          organisationId: scope.organisationId,
          enrolmentId,
          stepId: step.id,
          at: input.sentAt ?? null,
        });
      }
      const messageId = await messages.insertMessageWithPixel(sql, {
        organisationId: scope.organisationId,
        campaignId,
        enrolmentId,
        taskId,
        subject: input.subject,
        toAddress: input.toAddress ?? null,
        fromAddress: input.fromAddress ?? null,
        sentAt: input.sentAt ?? null,
        token: newPixelToken(scope.organisationId),
      });
      const message = await messages.findMessage(sql, scope.organisationId, campaignId, messageId);
      if (!message) throw new NotFoundError('The message could not be read back.');
      return message;
    });
  }

  /** @throws {NotFoundError} */
  async getMessage(scope: TenantScope, campaignId: string, messageId: string): Promise<Message> {
    const message = await this.#tx(scope, (sql) =>
      messages.findMessage(sql, scope.organisationId, campaignId, messageId),
    );
    if (!message) throw new NotFoundError('No such message.');
    return message;
  }
}
