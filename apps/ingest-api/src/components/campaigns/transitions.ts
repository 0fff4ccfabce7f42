import { CheckViolationError } from '../../platform/db/index.js';
import { ConflictError } from '../../platform/errors.js';

export const CAMPAIGN_STATUSES = ['draft', 'running', 'paused', 'archived'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const ENROLMENT_STATES = [
  'active',
  'paused',
  'replied',
  'bounced',
  'unsubscribed',
  'finished',
] as const;
export type EnrolmentState = (typeof ENROLMENT_STATES)[number];

/**
 * The moves the database triggers allow (migration 20261202130000000). The triggers enforce them; these tables
 * only name the allowed moves in a refusal. A test walks every pair against the API.
 */
export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignStatus, readonly CampaignStatus[]>> = {
  draft: ['running'],
  running: ['paused'],
  paused: ['running', 'archived'],
  archived: [],
};

export const ENROLMENT_TRANSITIONS: Readonly<Record<EnrolmentState, readonly EnrolmentState[]>> = {
  active: ['paused', 'replied', 'bounced', 'unsubscribed', 'finished'],
  paused: ['active', 'replied', 'bounced', 'unsubscribed', 'finished'],
  replied: ['unsubscribed'],
  bounced: [],
  unsubscribed: [],
  finished: ['replied', 'bounced', 'unsubscribed'],
};

function refusal(kind: string, from: string, to: string, allowed: readonly string[]): ConflictError {
  const moves = allowed.length > 0 ? allowed.join(', ') : 'none (final)';
  return new ConflictError(
    `A ${kind} cannot move from ${from} to ${to}. Allowed from ${from}: ${moves}.`,
    'invalid_transition',
    { from, to, allowed: [...allowed] },
  );
}

/**
 * Turns the trigger's refusal (SQLSTATE 23514, constraint `campaigns_status_transition`) into a 409 that
 * names the allowed moves; any other error passes through.
 */
export function campaignTransitionError(error: unknown, from: CampaignStatus, to: CampaignStatus): unknown {
  if (error instanceof CheckViolationError && error.constraint === 'campaigns_status_transition') {
    return refusal('campaign', from, to, CAMPAIGN_TRANSITIONS[from]);
  }
  return error;
}

/** The same for enrolments (constraint `campaign_enrollments_state_transition`). */
export function enrolmentTransitionError(error: unknown, from: EnrolmentState, to: EnrolmentState): unknown {
  if (error instanceof CheckViolationError && error.constraint === 'campaign_enrollments_state_transition') {
    return refusal('enrolment', from, to, ENROLMENT_TRANSITIONS[from]);
  }
  return error;
}
