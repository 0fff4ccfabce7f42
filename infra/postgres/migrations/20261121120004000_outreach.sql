-- Up Migration

CREATE TABLE outreach.campaigns (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  description text,
  status text NOT NULL DEFAULT 'draft',
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT campaigns_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT campaigns_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT campaigns_created_by_fkey FOREIGN KEY (created_by) REFERENCES iam.users (id) ON DELETE SET NULL,
  CONSTRAINT campaigns_status_check CHECK (status IN ('draft', 'running', 'paused', 'archived')),
  CONSTRAINT campaigns_name_check CHECK (char_length(btrim(name)) BETWEEN 1 AND 200)
);
CREATE INDEX campaigns_list_idx ON outreach.campaigns (organisation_id, created_at, id);
CREATE INDEX campaigns_status_idx ON outreach.campaigns (organisation_id, status);

-- Status moves only along draft -> running <-> paused -> archived (and draft -> archived).
CREATE FUNCTION outreach.assert_campaign_transition() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'draft' AND NEW.status IN ('running', 'archived'))
    OR (OLD.status = 'running' AND NEW.status IN ('paused', 'archived'))
    OR (OLD.status = 'paused' AND NEW.status IN ('running', 'archived'))) THEN
    RAISE EXCEPTION 'campaign status cannot move from % to %', OLD.status, NEW.status
      USING ERRCODE = '23514', CONSTRAINT = 'campaigns_status_transition';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER campaigns_status_transition BEFORE UPDATE OF status ON outreach.campaigns
  FOR EACH ROW EXECUTE FUNCTION outreach.assert_campaign_transition();

CREATE TABLE outreach.prompts (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prompts_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT prompts_organisation_fkey FOREIGN KEY (organisation_id)
    REFERENCES iam.organisations (id) ON DELETE CASCADE,
  CONSTRAINT prompts_name_check CHECK (char_length(btrim(name)) BETWEEN 1 AND 200)
);

CREATE TABLE outreach.workflow_steps (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL,
  step_order integer NOT NULL,
  channel text NOT NULL DEFAULT 'email',
  delay_days integer NOT NULL DEFAULT 0,
  prompt_id uuid,
  subject_template text,
  body_template text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT workflow_steps_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT workflow_steps_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT workflow_steps_prompt_fkey FOREIGN KEY (organisation_id, prompt_id)
    REFERENCES outreach.prompts (organisation_id, id) ON DELETE RESTRICT,
  CONSTRAINT workflow_steps_order_key UNIQUE (organisation_id, campaign_id, step_order) DEFERRABLE INITIALLY IMMEDIATE,
  CONSTRAINT workflow_steps_channel_check CHECK (channel IN ('email', 'linkedin', 'call', 'task')),
  CONSTRAINT workflow_steps_delay_check CHECK (delay_days BETWEEN 0 AND 365),
  CONSTRAINT workflow_steps_order_check CHECK (step_order >= 1)
);
CREATE INDEX workflow_steps_prompt_idx ON outreach.workflow_steps (organisation_id, prompt_id);

CREATE TABLE outreach.step_experiments (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  step_id uuid NOT NULL,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'draft',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT step_experiments_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT step_experiments_step_fkey FOREIGN KEY (organisation_id, step_id)
    REFERENCES outreach.workflow_steps (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT step_experiments_status_check CHECK (status IN ('draft', 'running', 'stopped'))
);
CREATE INDEX step_experiments_step_idx ON outreach.step_experiments (organisation_id, step_id);

CREATE TABLE outreach.step_experiment_variants (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  experiment_id uuid NOT NULL,
  name text NOT NULL,
  weight integer NOT NULL DEFAULT 1,
  prompt_id uuid,
  subject_template text,
  body_template text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT step_experiment_variants_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT step_experiment_variants_experiment_fkey FOREIGN KEY (organisation_id, experiment_id)
    REFERENCES outreach.step_experiments (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT step_experiment_variants_prompt_fkey FOREIGN KEY (organisation_id, prompt_id)
    REFERENCES outreach.prompts (organisation_id, id) ON DELETE RESTRICT,
  CONSTRAINT step_experiment_variants_weight_check CHECK (weight BETWEEN 1 AND 1000)
);
CREATE INDEX step_experiment_variants_experiment_idx ON outreach.step_experiment_variants (organisation_id, experiment_id);
CREATE INDEX step_experiment_variants_prompt_idx ON outreach.step_experiment_variants (organisation_id, prompt_id);

CREATE TABLE outreach.campaign_enrollments (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  campaign_id uuid NOT NULL,
  person_id uuid NOT NULL,
  position_id uuid,
  state text NOT NULL DEFAULT 'active',
  current_step_id uuid,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  state_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT campaign_enrollments_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT campaign_enrollments_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
    REFERENCES outreach.campaigns (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT campaign_enrollments_person_fkey FOREIGN KEY (organisation_id, person_id)
    REFERENCES crm.people (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT campaign_enrollments_position_fkey FOREIGN KEY (organisation_id, position_id)
    REFERENCES crm.positions (organisation_id, id) ON DELETE SET NULL (position_id),
  CONSTRAINT campaign_enrollments_step_fkey FOREIGN KEY (organisation_id, current_step_id)
    REFERENCES outreach.workflow_steps (organisation_id, id) ON DELETE SET NULL (current_step_id),
  CONSTRAINT campaign_enrollments_person_key UNIQUE (organisation_id, campaign_id, person_id),
  CONSTRAINT campaign_enrollments_state_check CHECK (state IN
    ('active', 'paused', 'replied', 'bounced', 'unsubscribed', 'finished'))
);
-- "Enrolled in another campaign within N days" looks people up by person and date.
CREATE INDEX campaign_enrollments_person_idx ON outreach.campaign_enrollments (organisation_id, person_id, enrolled_at);
CREATE INDEX campaign_enrollments_state_idx ON outreach.campaign_enrollments (organisation_id, campaign_id, state);
CREATE INDEX campaign_enrollments_position_idx ON outreach.campaign_enrollments (organisation_id, position_id);
CREATE INDEX campaign_enrollments_step_idx ON outreach.campaign_enrollments (organisation_id, current_step_id);

CREATE TABLE outreach.enrollment_step_variant_assignments (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  enrollment_id uuid NOT NULL,
  step_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT enrollment_step_variant_assignments_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT enrollment_step_variant_assignments_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id)
    REFERENCES outreach.campaign_enrollments (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT enrollment_step_variant_assignments_step_fkey FOREIGN KEY (organisation_id, step_id)
    REFERENCES outreach.workflow_steps (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT enrollment_step_variant_assignments_variant_fkey FOREIGN KEY (organisation_id, variant_id)
    REFERENCES outreach.step_experiment_variants (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT enrollment_step_variant_assignments_key UNIQUE (organisation_id, enrollment_id, step_id)
);
CREATE INDEX enrollment_step_variant_assignments_step_idx
  ON outreach.enrollment_step_variant_assignments (organisation_id, step_id);
CREATE INDEX enrollment_step_variant_assignments_variant_idx
  ON outreach.enrollment_step_variant_assignments (organisation_id, variant_id);

CREATE TABLE outreach.tasks (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  enrollment_id uuid NOT NULL,
  step_id uuid NOT NULL,
  status text NOT NULL DEFAULT 'scheduled',
  due_at timestamptz NOT NULL,
  locked_at timestamptz,
  locked_by text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tasks_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT tasks_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id)
    REFERENCES outreach.campaign_enrollments (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT tasks_step_fkey FOREIGN KEY (organisation_id, step_id)
    REFERENCES outreach.workflow_steps (organisation_id, id) ON DELETE CASCADE,
  CONSTRAINT tasks_enrollment_step_key UNIQUE (organisation_id, enrollment_id, step_id),
  CONSTRAINT tasks_status_check CHECK (status IN ('scheduled', 'locked', 'sent', 'skipped', 'cancelled', 'failed')),
  CONSTRAINT tasks_attempts_check CHECK (attempts >= 0),
  CONSTRAINT tasks_locked_check CHECK ((status = 'locked') = (locked_at IS NOT NULL))
);
CREATE INDEX tasks_due_idx ON outreach.tasks (organisation_id, status, due_at);
CREATE INDEX tasks_step_idx ON outreach.tasks (organisation_id, step_id);

CREATE TABLE outreach.messages (
  organisation_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  enrollment_id uuid,
  task_id uuid,
  direction text NOT NULL,
  status text NOT NULL,
  subject text,
  from_address citext,
  to_address citext,
  provider_message_id text,
  sent_at timestamptz,
  received_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT messages_pkey PRIMARY KEY (organisation_id, id),
  CONSTRAINT messages_enrollment_fkey FOREIGN KEY (organisation_id, enrollment_id)
    REFERENCES outreach.campaign_enrollments (organisation_id, id) ON DELETE SET NULL (enrollment_id),
  CONSTRAINT messages_task_fkey FOREIGN KEY (organisation_id, task_id)
    REFERENCES outreach.tasks (organisation_id, id) ON DELETE SET NULL (task_id),
  CONSTRAINT messages_direction_check CHECK (direction IN ('outbound', 'inbound')),
  CONSTRAINT messages_status_check CHECK (status IN ('queued', 'sent', 'delivered', 'bounced', 'received', 'failed')),
  CONSTRAINT messages_direction_status_check CHECK (
    (direction = 'outbound' AND status <> 'received') OR (direction = 'inbound' AND status IN ('received', 'failed')))
);
CREATE UNIQUE INDEX messages_provider_key ON outreach.messages (organisation_id, provider_message_id)
  WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_enrollment_idx ON outreach.messages (organisation_id, enrollment_id, created_at);
CREATE INDEX messages_task_idx ON outreach.messages (organisation_id, task_id);

-- Validating a new foreign key reads both tables as the owner, whom FORCE ROW LEVEL SECURITY would restrict to
-- one tenant (or, with no tenant set, refuse). Lifting FORCE inside this migration's transaction is atomic and
-- lets the check see every row; it is the pattern for any migration that must read across tenants.
ALTER TABLE crm.imports NO FORCE ROW LEVEL SECURITY;
ALTER TABLE outreach.campaigns NO FORCE ROW LEVEL SECURITY;
ALTER TABLE crm.imports ADD CONSTRAINT imports_campaign_fkey FOREIGN KEY (organisation_id, campaign_id)
  REFERENCES outreach.campaigns (organisation_id, id) ON DELETE SET NULL (campaign_id);
ALTER TABLE crm.imports FORCE ROW LEVEL SECURITY;
ALTER TABLE outreach.campaigns FORCE ROW LEVEL SECURITY;
CREATE INDEX imports_campaign_idx ON crm.imports (organisation_id, campaign_id);

CREATE TRIGGER campaigns_touch BEFORE UPDATE ON outreach.campaigns FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER prompts_touch BEFORE UPDATE ON outreach.prompts FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER workflow_steps_touch BEFORE UPDATE ON outreach.workflow_steps FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER step_experiments_touch BEFORE UPDATE ON outreach.step_experiments FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER campaign_enrollments_touch BEFORE UPDATE ON outreach.campaign_enrollments FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER tasks_touch BEFORE UPDATE ON outreach.tasks FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();
CREATE TRIGGER messages_touch BEFORE UPDATE ON outreach.messages FOR EACH ROW EXECUTE FUNCTION iam.touch_updated_at();

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['campaigns', 'prompts', 'workflow_steps', 'step_experiments', 'step_experiment_variants',
                           'campaign_enrollments', 'enrollment_step_variant_assignments', 'tasks', 'messages'] LOOP
    EXECUTE format('ALTER TABLE outreach.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE outreach.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON outreach.%I
                      USING (organisation_id = (SELECT iam.current_organisation_id()))
                      WITH CHECK (organisation_id = (SELECT iam.current_organisation_id()))', t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA outreach TO prospectflow_app;
GRANT SELECT ON ALL TABLES IN SCHEMA outreach TO prospectflow_readonly;

-- Down Migration

DROP INDEX crm.imports_campaign_idx;
ALTER TABLE crm.imports DROP CONSTRAINT imports_campaign_fkey;
DROP TABLE outreach.messages;
DROP TABLE outreach.tasks;
DROP TABLE outreach.enrollment_step_variant_assignments;
DROP TABLE outreach.campaign_enrollments;
DROP TABLE outreach.step_experiment_variants;
DROP TABLE outreach.step_experiments;
DROP TABLE outreach.workflow_steps;
DROP TABLE outreach.prompts;
DROP TABLE outreach.campaigns;
DROP FUNCTION outreach.assert_campaign_transition();
