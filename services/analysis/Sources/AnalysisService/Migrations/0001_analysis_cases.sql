-- Analysis cases: one per submitted need, opened from intake's events.
CREATE TABLE analysis_cases (
    seq                        bigserial UNIQUE NOT NULL,
    initiative_id              uuid PRIMARY KEY,
    organisation_id            text NOT NULL,
    analysing_organisation_id  text NOT NULL,
    track                      text NOT NULL,
    title                      text NOT NULL,
    status                     text NOT NULL CHECK (status IN ('open', 'completed')),
    opened_at                  timestamptz NOT NULL,
    completed_at               timestamptz,
    summary                    jsonb
);
CREATE INDEX analysis_cases_by_status ON analysis_cases (status, seq);
