-- Benefit realisation plans (nyttorealiseringsplaner), one per prioritised initiative.
CREATE TABLE benefit_plans (
    seq              bigserial UNIQUE NOT NULL,
    plan_id          uuid PRIMARY KEY,
    initiative_id    uuid NOT NULL UNIQUE,
    organisation_id  text NOT NULL,
    title            text NOT NULL,
    decision_id      uuid NOT NULL,
    status           text NOT NULL CHECK (status IN ('draft', 'agreed')),
    created_at       timestamptz NOT NULL
);
