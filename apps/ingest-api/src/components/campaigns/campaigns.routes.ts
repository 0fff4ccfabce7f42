import type { Pool } from 'pg';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { tenantOf } from '../../platform/http/tenant.js';
import {
  assignmentBody,
  assignmentListSchema,
  campaignListQuery,
  campaignListSchema,
  campaignParams,
  campaignSchema,
  campaignStatusBody,
  createCampaignBody,
  createExperimentBody,
  createMessageBody,
  createPromptBody,
  createPromptVersionBody,
  createStepBody,
  enrolBody,
  enrolmentListQuery,
  enrolmentListSchema,
  enrolmentParams,
  enrolmentSchema,
  enrolmentStateBody,
  enrolResultSchema,
  experimentListSchema,
  experimentSchema,
  messageParams,
  messageSchema,
  promptListQuery,
  promptListSchema,
  promptParams,
  promptSchema,
  promptWithVersionsSchema,
  stepListSchema,
  stepParams,
  stepSchema,
  updateCampaignBody,
  updateStepBody,
} from './campaigns.schemas.js';
import { CampaignService } from './campaigns.service.js';
import { EnrolmentService } from './enrolments.service.js';

/** Campaigns, steps, prompts, experiments, enrolments and messages: viewers read, members write, admins delete. */
export function registerCampaignRoutes(
  routes: ApiRoutes,
  deps: { pool: Pool; statementTimeoutMs: number; enrolMaxPerCall: number },
): void {
  const campaigns = new CampaignService(deps);
  const enrolments = new EnrolmentService(deps);
  const tags = ['campaigns'];
  const base = '/campaigns/:campaignId';

  routes.add({
    method: 'post',
    path: '/campaigns',
    operationId: 'createCampaign',
    summary: 'Create a campaign (draft)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    body: createCampaignBody,
    responses: { 201: { description: 'Created', schema: campaignSchema } },
    handler: async ({ req, body }) => {
      const campaign = await campaigns.create(tenantOf(req), body);
      return { status: 201, body: campaign, headers: { Location: `/api/v1/campaigns/${campaign.id}` } };
    },
  });
  routes.add({
    method: 'get',
    path: '/campaigns',
    operationId: 'listCampaigns',
    summary: 'List campaigns, newest first, with cursor pagination and a status filter',
    tags,
    access: 'organisation',
    query: campaignListQuery,
    responses: { 200: { description: 'A page of campaigns', schema: campaignListSchema } },
    handler: async ({ req, query }) => ({ status: 200, body: await campaigns.list(tenantOf(req), query) }),
  });
  routes.add({
    method: 'get',
    path: base,
    operationId: 'getCampaign',
    summary: 'Read a campaign',
    tags,
    access: 'organisation',
    params: campaignParams,
    responses: { 200: { description: 'The campaign', schema: campaignSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await campaigns.get(tenantOf(req), params.campaignId),
    }),
  });
  routes.add({
    method: 'patch',
    path: base,
    operationId: 'updateCampaign',
    summary: 'Rename a campaign or change its description (status moves have their own route)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: campaignParams,
    body: updateCampaignBody,
    responses: { 200: { description: 'The campaign', schema: campaignSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await campaigns.update(tenantOf(req), params.campaignId, body),
    }),
  });
  routes.add({
    method: 'delete',
    path: base,
    operationId: 'deleteCampaign',
    summary: 'Delete a campaign with its steps, enrolments and statistics (admin)',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: campaignParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ req, params }) => {
      await campaigns.delete(tenantOf(req), params.campaignId);
      return { status: 204 };
    },
  });
  routes.add({
    method: 'post',
    path: `${base}/status`,
    operationId: 'changeCampaignStatus',
    summary: 'Move a campaign along draft → running ↔ paused → archived (409 invalid_transition otherwise)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: campaignParams,
    body: campaignStatusBody,
    responses: { 200: { description: 'The campaign after the move', schema: campaignSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await campaigns.changeStatus(tenantOf(req), params.campaignId, body.status),
    }),
  });

  routes.add({
    method: 'get',
    path: `${base}/steps`,
    operationId: 'listSteps',
    summary: 'The workflow steps of a campaign, in order',
    tags,
    access: 'organisation',
    params: campaignParams,
    responses: { 200: { description: 'The steps', schema: stepListSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: { items: await campaigns.listSteps(tenantOf(req), params.campaignId) },
    }),
  });
  routes.add({
    method: 'post',
    path: `${base}/steps`,
    operationId: 'createStep',
    summary: 'Add an e-mail step (at a position, default last)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: campaignParams,
    body: createStepBody,
    responses: { 201: { description: 'Created', schema: stepSchema } },
    handler: async ({ req, params, body }) => ({
      status: 201,
      body: await campaigns.createStep(tenantOf(req), params.campaignId, body),
    }),
  });
  routes.add({
    method: 'patch',
    path: `${base}/steps/:stepId`,
    operationId: 'updateStep',
    summary: 'Change or move a step',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: stepParams,
    body: updateStepBody,
    responses: { 200: { description: 'The step', schema: stepSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await campaigns.updateStep(tenantOf(req), params.campaignId, params.stepId, body),
    }),
  });
  routes.add({
    method: 'delete',
    path: `${base}/steps/:stepId`,
    operationId: 'deleteStep',
    summary: 'Delete a step (admin)',
    tags,
    access: 'organisation',
    minimumRole: 'admin',
    params: stepParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ req, params }) => {
      await campaigns.deleteStep(tenantOf(req), params.campaignId, params.stepId);
      return { status: 204 };
    },
  });
  routes.add({
    method: 'get',
    path: `${base}/steps/:stepId/experiments`,
    operationId: 'listExperiments',
    summary: 'The A/B experiments of a step, newest first',
    tags,
    access: 'organisation',
    params: stepParams,
    responses: { 200: { description: 'The experiments', schema: experimentListSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: { items: await campaigns.listExperiments(tenantOf(req), params.campaignId, params.stepId) },
    }),
  });
  routes.add({
    method: 'post',
    path: `${base}/steps/:stepId/experiments`,
    operationId: 'createExperiment',
    summary: "Start an A/B experiment with weighted variants (stops the step's running one)",
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: stepParams,
    body: createExperimentBody,
    responses: { 201: { description: 'Started', schema: experimentSchema } },
    handler: async ({ req, params, body }) => ({
      status: 201,
      body: await campaigns.createExperiment(tenantOf(req), params.campaignId, params.stepId, body),
    }),
  });
  routes.add({
    method: 'post',
    path: `${base}/steps/:stepId/assignments`,
    operationId: 'assignVariants',
    summary: "Each listed enrolment's variant of the step's running experiment (stable once assigned)",
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: stepParams,
    body: assignmentBody,
    responses: { 200: { description: 'The assignments', schema: assignmentListSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await campaigns.assignVariants(
        tenantOf(req),
        params.campaignId,
        params.stepId,
        body.enrolmentIds,
      ),
    }),
  });

  routes.add({
    method: 'post',
    path: '/prompts',
    operationId: 'createPrompt',
    summary: 'Create a prompt (version 1)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    body: createPromptBody,
    responses: { 201: { description: 'Created', schema: promptSchema } },
    handler: async ({ req, body }) => ({
      status: 201,
      body: await campaigns.createPrompt(tenantOf(req), body),
    }),
  });
  routes.add({
    method: 'get',
    path: '/prompts',
    operationId: 'listPrompts',
    summary: 'List prompts, newest first',
    tags,
    access: 'organisation',
    query: promptListQuery,
    responses: { 200: { description: 'A page of prompts', schema: promptListSchema } },
    handler: async ({ req, query }) => ({
      status: 200,
      body: await campaigns.listPrompts(tenantOf(req), query),
    }),
  });
  routes.add({
    method: 'get',
    path: '/prompts/:promptId',
    operationId: 'getPrompt',
    summary: 'A prompt with all its versions',
    tags,
    access: 'organisation',
    params: promptParams,
    responses: { 200: { description: 'The prompt', schema: promptWithVersionsSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await campaigns.getPrompt(tenantOf(req), params.promptId),
    }),
  });
  routes.add({
    method: 'post',
    path: '/prompts/:promptId/versions',
    operationId: 'createPromptVersion',
    summary: 'Add a version that becomes the current text',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: promptParams,
    body: createPromptVersionBody,
    responses: { 201: { description: 'The prompt with its versions', schema: promptWithVersionsSchema } },
    handler: async ({ req, params, body }) => ({
      status: 201,
      body: await campaigns.addPromptVersion(tenantOf(req), params.promptId, body.body),
    }),
  });

  routes.add({
    method: 'post',
    path: `${base}/enrolments`,
    operationId: 'enrolPeople',
    summary: 'Enrol people (bulk, idempotent: those already enrolled are reported, nothing is duplicated)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: campaignParams,
    body: enrolBody,
    responses: {
      200: { description: 'Who was enrolled now and who already was', schema: enrolResultSchema },
    },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await enrolments.enrol(tenantOf(req), params.campaignId, body.people),
    }),
  });
  routes.add({
    method: 'get',
    path: `${base}/enrolments`,
    operationId: 'listEnrolments',
    summary: 'List enrolments, oldest first, with cursor pagination and a state filter',
    tags,
    access: 'organisation',
    params: campaignParams,
    query: enrolmentListQuery,
    responses: { 200: { description: 'A page of enrolments', schema: enrolmentListSchema } },
    handler: async ({ req, params, query }) => ({
      status: 200,
      body: await enrolments.list(tenantOf(req), params.campaignId, query),
    }),
  });
  routes.add({
    method: 'get',
    path: `${base}/enrolments/:enrolmentId`,
    operationId: 'getEnrolment',
    summary: 'Read an enrolment',
    tags,
    access: 'organisation',
    params: enrolmentParams,
    responses: { 200: { description: 'The enrolment', schema: enrolmentSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await enrolments.get(tenantOf(req), params.campaignId, params.enrolmentId),
    }),
  });
  routes.add({
    method: 'patch',
    path: `${base}/enrolments/:enrolmentId`,
    operationId: 'changeEnrolmentState',
    summary: 'Move an enrolment to another state (409 invalid_transition naming the allowed moves otherwise)',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: enrolmentParams,
    body: enrolmentStateBody,
    responses: { 200: { description: 'The enrolment', schema: enrolmentSchema } },
    handler: async ({ req, params, body }) => ({
      status: 200,
      body: await enrolments.changeState(tenantOf(req), params.campaignId, params.enrolmentId, body.state),
    }),
  });
  routes.add({
    method: 'post',
    path: `${base}/enrolments/:enrolmentId/messages`,
    operationId: 'createMessage',
    summary: 'Record an outbound message to an enrolled person; its tracking pixel is created with it',
    tags,
    access: 'organisation',
    minimumRole: 'member',
    params: enrolmentParams,
    body: createMessageBody,
    responses: { 201: { description: 'The message and its pixel', schema: messageSchema } },
    handler: async ({ req, params, body }) => ({
      status: 201,
      body: await campaigns.createMessage(tenantOf(req), params.campaignId, params.enrolmentId, body),
    }),
  });
  routes.add({
    method: 'get',
    path: `${base}/messages/:messageId`,
    operationId: 'getMessage',
    summary: 'A message with its pixel and open counts',
    tags,
    access: 'organisation',
    params: messageParams,
    responses: { 200: { description: 'The message', schema: messageSchema } },
    handler: async ({ req, params }) => ({
      status: 200,
      body: await campaigns.getMessage(tenantOf(req), params.campaignId, params.messageId),
    }),
  });
}
