-- Webhooks (issue 8): integrations subscribe to event types; every matching event is
-- queued once per subscription (the unique key), in the same inbox transaction that
-- applies the event, and delivered signed, retried with backoff, every attempt logged.

CREATE TABLE webhook_subscriptions (
    seq                   bigserial PRIMARY KEY,
    subscription_id       uuid NOT NULL UNIQUE,
    url                   text NOT NULL,
    description           text NOT NULL,
    -- Empty: every event type of the catalogue.
    event_types           text[] NOT NULL,
    -- The signing secret. Returned once when created or rotated, never listed. A rotated
    -- secret keeps signing beside the new one until previous_secret_until, so a receiver
    -- can switch over without rejecting deliveries in between.
    secret                text NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    status                text NOT NULL CHECK (status IN ('active', 'paused', 'deleted')),
    paused_reason         text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               integer NOT NULL DEFAULT 1
);

-- The exact bytes every subscriber of an event receives (and that are signed): the event
-- in CloudEvents structured JSON, kept once however many subscribe.
CREATE TABLE webhook_events (
    event_id    text PRIMARY KEY,
    event_type  text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    seq              bigserial PRIMARY KEY,
    delivery_id      uuid NOT NULL UNIQUE,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (subscription_id),
    event_id         text NOT NULL REFERENCES webhook_events (event_id),
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    -- A claimed delivery is being sent by one instance until then; after it (a crash
    -- mid-delivery) any instance sends it again, with the same delivery id.
    leased_until     timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, seq);

CREATE TABLE webhook_attempts (
    seq            bigserial PRIMARY KEY,
    delivery_id    uuid NOT NULL REFERENCES webhook_deliveries (delivery_id),
    attempt        integer NOT NULL,
    started_at     timestamptz NOT NULL,
    duration_ms    integer NOT NULL,
    status_code    integer,
    error          text,
    succeeded      boolean NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, seq);

-- Wakes the delivery workers as soon as the transaction that queued deliveries commits.
CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('styrbord_webhooks_' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_queued AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();
