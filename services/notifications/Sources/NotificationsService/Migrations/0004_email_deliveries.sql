-- E-mail (issue 8): who a person is when they ask for e-mail (their roles and address
-- from their token), and one delivery per (notification, person): the unique key makes
-- a redelivered event queue nothing twice.
ALTER TABLE preferences
    ADD COLUMN roles text[] NOT NULL DEFAULT '{}',
    ADD COLUMN email text;

CREATE TABLE email_deliveries (
    delivery_id      uuid PRIMARY KEY,
    notification_id  uuid NOT NULL REFERENCES notifications (notification_id),
    subject          text NOT NULL,
    address          text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    UNIQUE (notification_id, subject)
);
CREATE INDEX email_deliveries_due ON email_deliveries (next_attempt_at) WHERE sent_at IS NULL;
