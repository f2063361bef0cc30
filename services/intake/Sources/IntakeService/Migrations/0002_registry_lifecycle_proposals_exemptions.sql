-- The organisation registry, the need lifecycle (draft → submitted → withdrawn) with
-- versions for optimistic concurrency, supplier proposals and exemptions (avsteg).
-- Idempotency keys moved to the kit's idempotency_keys table.

CREATE TABLE organisations (
    seq              bigserial UNIQUE NOT NULL,
    organisation_id  text PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('administration', 'company', 'supplier')),
    board            text NOT NULL,
    active           boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE needs
    DROP COLUMN idempotency_key,
    DROP COLUMN request_hash,
    ALTER COLUMN submitted_at DROP NOT NULL,
    ADD COLUMN goal_area          text,
    ADD COLUMN urgency            text,
    ADD COLUMN expected_benefits  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN rough_cost         jsonb,
    ADD COLUMN contact            jsonb,
    ADD COLUMN links              jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN version            integer NOT NULL DEFAULT 1,
    ADD COLUMN created_by         text NOT NULL DEFAULT '',
    ADD COLUMN submitted_by       text,
    ADD COLUMN created_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN withdrawn_at       timestamptz,
    ADD COLUMN withdrawal_reason  text,
    -- Bulk import: the row's identity within its organisation, so a re-import adds nothing.
    ADD COLUMN import_key         text UNIQUE,
    ADD CONSTRAINT needs_status CHECK (status IN ('draft', 'submitted', 'withdrawn'));
CREATE INDEX needs_by_track ON needs (track, seq);

CREATE TABLE proposals (
    seq                        bigserial UNIQUE NOT NULL,
    initiative_id              uuid PRIMARY KEY,
    supplier_id                text NOT NULL REFERENCES organisations (organisation_id),
    title                      text NOT NULL,
    description                text NOT NULL,
    category                   text NOT NULL,
    goal_area                  text,
    expected_benefits          jsonb NOT NULL DEFAULT '[]',
    rough_cost                 jsonb,
    customer_organisation_ids  text[] NOT NULL,
    submitted_by               text NOT NULL,
    submitted_at               timestamptz NOT NULL
);

-- Which customer needs a proposal answers (several needs, several organisations).
CREATE TABLE proposal_needs (
    proposal_id  uuid NOT NULL REFERENCES proposals (initiative_id),
    need_id      uuid NOT NULL REFERENCES needs (initiative_id),
    PRIMARY KEY (proposal_id, need_id)
);
CREATE INDEX proposal_needs_by_need ON proposal_needs (need_id);

CREATE TABLE exemptions (
    seq                  bigserial UNIQUE NOT NULL,
    exemption_id         uuid PRIMARY KEY,
    organisation_id      text NOT NULL REFERENCES organisations (organisation_id),
    supplier_id          text NOT NULL REFERENCES organisations (organisation_id),
    base_service         text NOT NULL,
    motivation           text NOT NULL,
    dialogue             jsonb NOT NULL,
    board                text NOT NULL,
    decided_on           date NOT NULL,
    decision_reference   text NOT NULL,
    registered_by        text NOT NULL,
    registered_at        timestamptz NOT NULL
);
CREATE INDEX exemptions_by_organisation ON exemptions (organisation_id, seq);
