-- Prioritisation rounds (prioriteringsomgångar): one open round at a time per deciding
-- body — SSG for the common track, an organisation's leadership for its own track —
-- with a budget per financing type and a capacity in supplier hours.
CREATE TABLE rounds (
    seq                  bigserial UNIQUE NOT NULL,
    round_id             uuid PRIMARY KEY,
    name                 text NOT NULL,
    budget_year          integer NOT NULL,
    deciding_body        text NOT NULL CHECK (deciding_body IN ('ssg', 'organisation-board')),
    organisation_id      text,
    status               text NOT NULL CHECK (status IN ('open', 'closed')),
    budgets              jsonb NOT NULL,
    capacity_hours       numeric NOT NULL CHECK (capacity_hours >= 0),
    innovation_share     jsonb,
    opened_at            timestamptz NOT NULL,
    opened_by            text NOT NULL,
    closed_at            timestamptz,
    closed_by            text,
    version              integer NOT NULL DEFAULT 1,
    CHECK ((deciding_body = 'ssg') = (organisation_id IS NULL))
);
CREATE UNIQUE INDEX rounds_one_open_per_body ON rounds (deciding_body, coalesce(organisation_id, '')) WHERE status = 'open';

-- The criteria and weights of a round, versioned: once scoring has started, a change of
-- weights is a new version, and every decision names the version it used.
CREATE TABLE criteria_sets (
    round_id     uuid NOT NULL REFERENCES rounds (round_id),
    version      integer NOT NULL,
    criteria     jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL,
    PRIMARY KEY (round_id, version)
);

-- The whole completed-analysis event, so figures are shown as the analysis made them.
ALTER TABLE candidates ADD COLUMN analysis jsonb;

-- The candidates of a round and what the preparer (beredningsansvarig) adds: the legal
-- requirement flag, the budget the cost falls on, supplier hours and dependencies.
CREATE TABLE round_candidates (
    round_id           uuid NOT NULL REFERENCES rounds (round_id),
    initiative_id      uuid NOT NULL REFERENCES candidates (initiative_id),
    entered_at         timestamptz NOT NULL,
    legal_requirement  boolean NOT NULL DEFAULT false,
    financing_type     text NOT NULL,
    supplier_hours     numeric NOT NULL DEFAULT 0 CHECK (supplier_hours >= 0),
    requires           uuid[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (round_id, initiative_id)
);
CREATE INDEX round_candidates_by_initiative ON round_candidates (initiative_id);

-- One score set per member per candidate, replaceable until the round closes.
CREATE TABLE scores (
    round_id          uuid NOT NULL,
    initiative_id     uuid NOT NULL,
    scorer            text NOT NULL,
    scorer_name       text,
    criteria_version  integer NOT NULL,
    scores            jsonb NOT NULL,
    comment           text,
    scored_at         timestamptz NOT NULL,
    PRIMARY KEY (round_id, initiative_id, scorer),
    FOREIGN KEY (round_id, initiative_id) REFERENCES round_candidates (round_id, initiative_id)
);

-- Every selection run (the recommendation and each scenario) with its parameters and
-- every candidate's reason; runs never touch decisions.
CREATE TABLE selection_runs (
    seq               bigserial UNIQUE NOT NULL,
    run_id            uuid PRIMARY KEY,
    round_id          uuid NOT NULL REFERENCES rounds (round_id),
    kind              text NOT NULL CHECK (kind IN ('recommendation', 'scenario')),
    label             text NOT NULL,
    result            jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    created_by        text NOT NULL
);
CREATE INDEX selection_runs_by_round ON selection_runs (round_id, seq);

-- Decision history: a changed decision is a new row naming the one it supersedes; rows
-- are never updated or deleted.
ALTER TABLE decisions DROP CONSTRAINT decisions_initiative_id_key;
ALTER TABLE decisions
    ADD COLUMN seq bigserial,
    ADD COLUMN round_id uuid REFERENCES rounds (round_id),
    ADD COLUMN supersedes uuid REFERENCES decisions (decision_id),
    ADD COLUMN case_number text,
    ADD COLUMN criteria_version integer,
    ADD COLUMN scores jsonb,
    ADD COLUMN weighted_total numeric,
    ADD COLUMN budget_year_cost numeric,
    ADD COLUMN decided_by text;
CREATE UNIQUE INDEX decisions_superseded_once ON decisions (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX decisions_by_initiative ON decisions (initiative_id, seq);
CREATE INDEX decisions_by_round ON decisions (round_id, seq);

CREATE FUNCTION decisions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decisions are immutable: record a new decision that supersedes this one';
END
$$;
CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_are_immutable();
