-- Överlapp (issue 5): when a new case's text matches another organisation's initiative
-- above the threshold, the pair is recorded once (whichever came second finds it) and an
-- overlap.detected event tells both organisations and the supplier.
CREATE TABLE overlap_pairs (
    overlap_id           uuid PRIMARY KEY,
    initiative_id        uuid NOT NULL,
    other_initiative_id  uuid NOT NULL,
    supplier_id          text NOT NULL,
    score                numeric NOT NULL,
    matched_terms        text[] NOT NULL,
    detected_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX overlap_pairs_pair ON overlap_pairs (LEAST(initiative_id, other_initiative_id), GREATEST(initiative_id, other_initiative_id));
CREATE INDEX overlap_pairs_by_other ON overlap_pairs (other_initiative_id);
