-- Cost-benefit analysis, risk and security assessment and the supplier board's
-- information (common track): the parts an analysis needs before it can be completed.
-- The stored lines are the truth; every figure is recomputed from them on read.
ALTER TABLE analysis_cases
    ADD COLUMN version                  integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at               timestamptz,
    ADD COLUMN cost_benefit             jsonb,
    ADD COLUMN risk                     jsonb,
    ADD COLUMN supplier_board_informed  jsonb;

-- Timpris per organisation: internal staff hours count as hours × rate so that costs
-- compare across organisations. The row 'default' is the city's rate for every
-- organisation without its own (650 kr per hour, DOMAIN.md / the guideline's model).
CREATE TABLE hourly_rates (
    organisation_id  text PRIMARY KEY,
    rate             numeric(12, 2) NOT NULL CHECK (rate > 0),
    note             text NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hourly_rates (organisation_id, rate, note)
VALUES ('default', 650, 'Stadens standardtimpris för intern tid (lön, sociala avgifter och overhead).');
