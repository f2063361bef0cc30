-- Needs (behov) as the intake service registers them.
CREATE TABLE needs (
    seq              bigserial UNIQUE NOT NULL,
    initiative_id    uuid PRIMARY KEY,
    organisation_id  text NOT NULL,
    track            text NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL,
    category         text NOT NULL,
    driver           text NOT NULL,
    target_groups    text[] NOT NULL,
    status           text NOT NULL,
    idempotency_key  text UNIQUE,
    request_hash     text,
    submitted_at     timestamptz NOT NULL
);
CREATE INDEX needs_by_organisation ON needs (organisation_id, seq);
