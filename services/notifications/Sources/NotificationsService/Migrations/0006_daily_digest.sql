-- Daily digest (issue 8): a person with `digest: daily` gets, instead of one e-mail per
-- notification, one e-mail per period listing what arrived in it. Each notification is
-- an entry once per person (the key), and each entry lands in exactly one digest.
CREATE TABLE digest_entries (
    notification_id  uuid NOT NULL REFERENCES notifications (notification_id),
    subject          text NOT NULL,
    created_at       timestamptz NOT NULL,
    digest_id        uuid,
    PRIMARY KEY (notification_id, subject)
);
CREATE INDEX digest_entries_waiting ON digest_entries (subject, created_at) WHERE digest_id IS NULL;

-- One digest per person and period end, whatever the number of instances making them.
CREATE TABLE digests (
    digest_id        uuid PRIMARY KEY,
    subject          text NOT NULL,
    address          text NOT NULL,
    period_end       timestamptz NOT NULL,
    entries          integer NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    sent_at          timestamptz,
    UNIQUE (subject, period_end)
);
CREATE INDEX digests_due ON digests (next_attempt_at) WHERE sent_at IS NULL;
