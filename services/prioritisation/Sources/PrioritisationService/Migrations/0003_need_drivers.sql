-- The driver (drivkraft) of every submitted need, from intake's need.submitted: a need
-- driven by a new law (ny lagstiftning) is a legal requirement and comes first.
CREATE TABLE need_drivers (
    initiative_id  uuid PRIMARY KEY,
    driver         text NOT NULL,
    recorded_at    timestamptz NOT NULL
);
