-- The service kit's own tables, created in every service's schema.

-- Transactional outbox: written in the same transaction as the state change it
-- announces; the relay publishes rows in `position` order and marks them.
CREATE TABLE outbox (
    position        bigserial PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    event_type      text NOT NULL,
    topic           text NOT NULL,
    message_key     text NOT NULL,
    headers         jsonb NOT NULL,
    payload         bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text
);
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at IS NULL;

-- Inbox: one row per event a consumer applied, inserted in the same transaction as the
-- event's effect. A redelivered event finds its row and is acknowledged without effect.
CREATE TABLE inbox (
    consumer        text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    topic           text NOT NULL,
    kafka_partition integer NOT NULL,
    kafka_offset    bigint NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
