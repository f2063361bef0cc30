-- Rules as data (issue 8): what a notification is about may be an exemption (avsteg),
-- which is no initiative; each notification keeps the action, due date, link and the
-- rules version that planned it, and the event's time for the evidence.
ALTER TABLE notifications ALTER COLUMN initiative_id DROP NOT NULL;
ALTER TABLE notifications
    ADD COLUMN exemption_id   uuid,
    ADD COLUMN action_sv      text,
    ADD COLUMN action_en      text,
    ADD COLUMN due_on         date,
    ADD COLUMN link           text,
    ADD COLUMN rules_version  integer,
    ADD COLUMN event_time     timestamptz,
    ADD CONSTRAINT notifications_about_something CHECK (initiative_id IS NOT NULL OR exemption_id IS NOT NULL);
CREATE INDEX notifications_by_exemption ON notifications (exemption_id, seq) WHERE exemption_id IS NOT NULL;

-- Read state per person: a notification goes to an organisation and role, and each
-- person in it reads it (or not) on their own. Also the evidence of who read what when.
CREATE TABLE notification_reads (
    notification_id  uuid NOT NULL REFERENCES notifications (notification_id),
    subject          text NOT NULL,
    organisation_id  text NOT NULL,
    read_at          timestamptz NOT NULL,
    PRIMARY KEY (notification_id, subject)
);

-- One preferences document per person (muted kinds, channels per kind, digest).
CREATE TABLE preferences (
    subject          text PRIMARY KEY,
    organisation_id  text NOT NULL,
    document         jsonb NOT NULL,
    updated_at       timestamptz NOT NULL
);
