-- Notifications per recipient (organisation + role) and channel. The unique key makes a
-- redelivered or replayed event record nothing twice.
CREATE TABLE notifications (
    seq                     bigserial PRIMARY KEY,
    notification_id         uuid NOT NULL UNIQUE,
    event_id                text NOT NULL,
    event_type              text NOT NULL,
    initiative_id           uuid NOT NULL,
    recipient_organisation  text NOT NULL,
    recipient_role          text NOT NULL,
    channel                 text NOT NULL DEFAULT 'in-app',
    kind                    text NOT NULL,
    mandatory               boolean NOT NULL,
    title_sv                text NOT NULL,
    body_sv                 text NOT NULL,
    title_en                text NOT NULL,
    body_en                 text NOT NULL,
    created_at              timestamptz NOT NULL,
    read_at                 timestamptz,
    UNIQUE (event_id, recipient_organisation, recipient_role, channel)
);
CREATE INDEX notifications_by_recipient ON notifications (recipient_organisation, recipient_role, seq);
CREATE INDEX notifications_by_initiative ON notifications (initiative_id, seq);
