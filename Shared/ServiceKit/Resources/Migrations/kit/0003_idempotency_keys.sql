-- Answers to POST requests sent with an Idempotency-Key, per caller, so a repeat of the
-- same request gets the first answer and a reuse of the key for another request is refused.
CREATE TABLE idempotency_keys (
    subject       text NOT NULL,
    key           text NOT NULL,
    scope         text NOT NULL,
    request_hash  text NOT NULL,
    status        integer NOT NULL,
    body          bytea NOT NULL,
    location      text,
    etag          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
