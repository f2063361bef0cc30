-- The case's analyst (a person of the analysing organisation), where the case came from
-- (a need or a supplier proposal), and its history: who did what when, in order.
ALTER TABLE analysis_cases
    ADD COLUMN assignee  text,
    ADD COLUMN origin    text NOT NULL DEFAULT 'need' CHECK (origin IN ('need', 'proposal'));

CREATE TABLE analysis_history (
    seq            bigserial PRIMARY KEY,
    initiative_id  uuid NOT NULL,
    at             timestamptz NOT NULL,
    actor          text NOT NULL,
    action         text NOT NULL,
    detail         text
);
CREATE INDEX analysis_history_by_case ON analysis_history (initiative_id, seq);
