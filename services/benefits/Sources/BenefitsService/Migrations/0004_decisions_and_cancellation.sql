-- Every decision (beslut) on an initiative that the service has seen, whatever its outcome,
-- so that the decision in force is found however the decisions arrive: a change names the
-- decision it supersedes, and a superseded decision never (re)opens a plan.
CREATE TABLE decisions (
    decision_id    uuid PRIMARY KEY,
    initiative_id  uuid NOT NULL,
    supersedes     uuid,
    outcome        text NOT NULL CHECK (outcome IN ('prioritised', 'deferred', 'rejected')),
    -- Null only for decisions taken over from plans made before this table existed.
    rationale      text,
    decided_on     date,
    -- The event's time (ce_time): the tie-breaker when the supersedes chain has a gap.
    decided_at     timestamptz,
    received_at    timestamptz NOT NULL
);
CREATE INDEX decisions_by_initiative ON decisions (initiative_id);

-- The plans made so far rest on a prioritising decision; remember it as the first one.
INSERT INTO decisions (decision_id, initiative_id, supersedes, outcome, received_at)
SELECT decision_id, initiative_id, NULL, 'prioritised', created_at FROM benefit_plans
ON CONFLICT (decision_id) DO NOTHING;

-- A plan whose initiative a later decision deferred or rejected is cancelled (avbruten): it
-- stays readable with its history, takes no changes, and its follow-ups are no longer due.
-- `cancellation` records the decision and the status the plan had, to which a later
-- prioritising decision reopens it.
ALTER TABLE benefit_plans DROP CONSTRAINT benefit_plans_status_check;
ALTER TABLE benefit_plans
    ADD CONSTRAINT benefit_plans_status_check CHECK (status IN ('draft', 'agreed', 'cancelled')),
    ADD COLUMN cancellation jsonb,
    ADD CONSTRAINT benefit_plans_cancellation_recorded CHECK ((status = 'cancelled') = (cancellation IS NOT NULL));
