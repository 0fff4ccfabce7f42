import type { Sql } from '../../platform/db/index.js';
import { pixelPath } from '../tracking/pixel-token.js';
import type { Message } from './campaigns.schemas.js';

interface MessageRow {
  id: string;
  enrollment_id: string | null;
  task_id: string | null;
  status: Message['status'];
  subject: string | null;
  to_address: string | null;
  sent_at: Date | null;
  created_at: Date;
  token: string | null;
  first_open_at: Date | null;
  last_open_at: Date | null;
  total_opens: number | null;
  unique_opens: number | null;
  human_opens: number | null;
  human_unique_opens: number | null;
}

const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  enrolmentId: row.enrollment_id,
  taskId: row.task_id,
  direction: 'outbound',
  status: row.status,
  subject: row.subject,
  toAddress: row.to_address,
  sentAt: row.sent_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
  pixel: row.token ? { token: row.token, path: pixelPath(row.token) } : null,
  opens:
    row.first_open_at && row.last_open_at
      ? {
          firstOpenAt: row.first_open_at.toISOString(),
          lastOpenAt: row.last_open_at.toISOString(),
          totalOpens: row.total_opens ?? 0,
          uniqueOpens: row.unique_opens ?? 0,
          humanOpens: row.human_opens ?? 0,
          humanUniqueOpens: row.human_unique_opens ?? 0,
        }
      : null,
});

/**
 * A task for (enrolment, step), created as sent when missing: the step has been carried out by this message.
 * Answers the task id.
 */
export async function ensureSentTask(
  sql: Sql,
  input: { organisationId: string; enrolmentId: string; stepId: string; at: string | null },
): Promise<string> {
  const row = await sql.one<{ id: string }>(
    `INSERT INTO outreach.tasks AS t (organisation_id, enrollment_id, step_id, status, due_at)
     VALUES ($1, $2, $3, 'sent', coalesce($4::timestamptz, now()))
     ON CONFLICT ON CONSTRAINT tasks_enrollment_step_key DO UPDATE SET status = 'sent'
     RETURNING t.id`,
    [input.organisationId, input.enrolmentId, input.stepId, input.at],
  );
  return row.id;
}

/** An outbound message and its pixel, in one statement each. */
export async function insertMessageWithPixel(
  sql: Sql,
  input: {
    organisationId: string;
    campaignId: string;
    enrolmentId: string;
    taskId: string | null;
    subject: string;
    toAddress: string | null;
    fromAddress: string | null;
    sentAt: string | null;
    token: string;
  },
): Promise<string> {
  const { id } = await sql.one<{ id: string }>(
    `INSERT INTO outreach.messages (organisation_id, enrollment_id, task_id, direction, status, subject, to_address,
            from_address, sent_at)
     VALUES ($1, $2, $3, 'outbound', CASE WHEN $7::timestamptz IS NULL THEN 'queued' ELSE 'sent' END, $4, $5, $6, $7)
     RETURNING id`,
    [
      input.organisationId,
      input.enrolmentId,
      input.taskId,
      input.subject,
      input.toAddress,
      input.fromAddress,
      input.sentAt,
    ],
  );
  await sql.query(
    `INSERT INTO tracking.pixels (organisation_id, message_id, campaign_id, token) VALUES ($1, $2, $3, $4)`,
    [input.organisationId, id, input.campaignId, input.token],
  );
  return id;
}

/** A message of the campaign (through its enrolment), with its pixel and open counts. */
export async function findMessage(
  sql: Sql,
  organisationId: string,
  campaignId: string,
  messageId: string,
): Promise<Message | null> {
  const row = await sql.maybeOne<MessageRow>(
    `SELECT m.id, m.enrollment_id, m.task_id, m.status, m.subject, m.to_address::text AS to_address, m.sent_at,
            m.created_at, p.token, s.first_open_at, s.last_open_at, s.total_opens, s.unique_opens, s.human_opens,
            s.human_unique_opens
       FROM outreach.messages m
       JOIN outreach.campaign_enrollments e ON e.organisation_id = m.organisation_id AND e.id = m.enrollment_id
       LEFT JOIN tracking.pixels p ON p.organisation_id = m.organisation_id AND p.message_id = m.id
       LEFT JOIN tracking.message_open_stats s ON s.organisation_id = m.organisation_id AND s.message_id = m.id
      WHERE m.organisation_id = $1 AND e.campaign_id = $2 AND m.id = $3 AND m.direction = 'outbound'`,
    [organisationId, campaignId, messageId],
  );
  return row ? toMessage(row) : null;
}
