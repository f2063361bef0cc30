-- The candidate pool: initiatives whose analysis is complete, awaiting a decision.
CREATE TABLE candidates (
    seq              bigserial UNIQUE NOT NULL,
    initiative_id    uuid PRIMARY KEY,
    organisation_id  text NOT NULL,
    track            text NOT NULL,
    title            text NOT NULL,
    summary          jsonb NOT NULL,
    entered_at       timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('awaiting-decision', 'decided'))
);

-- Decisions (prioriterad / uppskjuten / avslagen) with body, date and rationale.
CREATE TABLE decisions (
    decision_id      uuid PRIMARY KEY,
    initiative_id    uuid NOT NULL UNIQUE REFERENCES candidates (initiative_id),
    outcome          text NOT NULL,
    financing_type   text,
    deciding_body    text NOT NULL,
    rationale        text NOT NULL,
    decided_on       date NOT NULL,
    followed_by_slk  boolean NOT NULL,
    recorded_at      timestamptz NOT NULL
);
