-- Benefit realisation (nyttorealisering): the plan's benefits and versions, the
-- initiative's phase, measurements, deviations, follow-ups and the city plan's actions.

ALTER TABLE benefit_plans
    ADD COLUMN version                   integer NOT NULL DEFAULT 1,
    ADD COLUMN revision                  integer NOT NULL DEFAULT 1,
    ADD COLUMN benefits                  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN goal_areas                text[] NOT NULL DEFAULT '{}',
    ADD COLUMN ssg_prioritised           boolean NOT NULL DEFAULT false,
    ADD COLUMN phase                     text NOT NULL DEFAULT 'initiate'
        CHECK (phase IN ('initiate', 'develop', 'implement', 'management', 'evaluated')),
    ADD COLUMN go_live_on                date,
    ADD COLUMN management_plan_reference text,
    ADD COLUMN published                 boolean NOT NULL DEFAULT false,
    ADD COLUMN agreed_by                 text,
    ADD COLUMN agreed_by_name            text,
    ADD COLUMN agreed_at                 timestamptz,
    ADD COLUMN evaluation                jsonb,
    ADD COLUMN updated_at                timestamptz;

-- The benefit lines of a completed analysis, kept until (or after) the decision arrives.
CREATE TABLE analysis_benefits (
    initiative_id  uuid PRIMARY KEY,
    benefits       jsonb NOT NULL,
    received_at    timestamptz NOT NULL
);

-- Agreed plan versions: revision 1 is the agreed baseline, later ones revisions with a reason.
CREATE TABLE plan_revisions (
    initiative_id  uuid NOT NULL REFERENCES benefit_plans (initiative_id),
    revision       integer NOT NULL,
    benefits       jsonb NOT NULL,
    reason         text,
    made_by        text NOT NULL,
    made_at        timestamptz NOT NULL,
    PRIMARY KEY (initiative_id, revision)
);

-- An agreed version never changes: re-baselining is how overruns hide.
CREATE FUNCTION plan_revisions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'plan_revisions are immutable: make a new revision instead';
END $$;
CREATE TRIGGER plan_revisions_immutable BEFORE UPDATE OR DELETE ON plan_revisions
    FOR EACH ROW EXECUTE FUNCTION plan_revisions_are_immutable();

CREATE TABLE measurements (
    seq             bigserial UNIQUE NOT NULL,
    measurement_id  uuid PRIMARY KEY,
    initiative_id   uuid NOT NULL REFERENCES benefit_plans (initiative_id),
    benefit_id      uuid NOT NULL,
    value           numeric NOT NULL,
    measured_on     date NOT NULL,
    source          text NOT NULL,
    comment         text,
    share           numeric,
    expected_share  numeric,
    status          text NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX measurements_by_benefit ON measurements (initiative_id, benefit_id, measured_on, seq);

CREATE TABLE deviations (
    seq                 bigserial UNIQUE NOT NULL,
    deviation_id        uuid PRIMARY KEY,
    initiative_id       uuid NOT NULL REFERENCES benefit_plans (initiative_id),
    benefit_id          uuid NOT NULL,
    measurement_id      uuid NOT NULL UNIQUE REFERENCES measurements (measurement_id),
    share               numeric NOT NULL,
    expected_share      numeric NOT NULL,
    detected_at         timestamptz NOT NULL,
    action              jsonb
);

-- One row per benefit and scheduled month after go-live; fixed when the initiative goes live.
CREATE TABLE follow_ups (
    follow_up_id   uuid PRIMARY KEY,
    initiative_id  uuid NOT NULL REFERENCES benefit_plans (initiative_id),
    benefit_id     uuid NOT NULL,
    months         integer NOT NULL,
    due_on         date NOT NULL,
    UNIQUE (initiative_id, benefit_id, months)
);
CREATE INDEX follow_ups_by_due_date ON follow_ups (due_on);

-- Which announcements a follow-up has had: one per kind, ever (several job instances).
CREATE TABLE follow_up_notices (
    follow_up_id  uuid NOT NULL REFERENCES follow_ups (follow_up_id),
    kind          text NOT NULL CHECK (kind IN ('due', 'overdue')),
    emitted_at    timestamptz NOT NULL,
    PRIMARY KEY (follow_up_id, kind)
);

-- The city plan's actions (insatser), seeded from Data/city-plan.json, and their history.
CREATE TABLE city_plan_actions (
    action_id   text PRIMARY KEY,
    goal_area   text NOT NULL,
    title       text NOT NULL,
    status      text NOT NULL CHECK (status IN ('klar', 'pågår', 'pausad', 'svårbedömd')),
    note        text NOT NULL DEFAULT '',
    position    integer NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE city_plan_action_history (
    seq         bigserial PRIMARY KEY,
    action_id   text NOT NULL REFERENCES city_plan_actions (action_id),
    status      text NOT NULL,
    note        text NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL
);
