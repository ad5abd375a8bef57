-- zt-broker schema, version 1. Kept to SQL that SQLite and PostgreSQL both accept: times are
-- BIGINT Unix seconds, JSON documents are TEXT, no AUTOINCREMENT (the audit sequence is
-- assigned by the broker inside the write transaction that links the hash chain).

CREATE TABLE requests (
    id               TEXT PRIMARY KEY,
    requester_issuer TEXT NOT NULL,
    requester_sub    TEXT NOT NULL,
    requester        TEXT NOT NULL,          -- display name, as shown to people
    idempotency_key  TEXT NOT NULL,
    body_sha256      TEXT NOT NULL,          -- of the create body, to spot a reused key
    resource         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    role             TEXT NOT NULL,
    ttl_secs         BIGINT NOT NULL,
    reason           TEXT,
    ticket           TEXT,
    break_glass      BOOLEAN NOT NULL,
    state            TEXT NOT NULL,
    decision         TEXT NOT NULL,          -- api::Decision as JSON
    context          TEXT NOT NULL,          -- api::ClientContext as JSON
    decided_by       TEXT,
    comment          TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    not_before       BIGINT,
    expires_at       BIGINT,
    UNIQUE (requester_issuer, requester_sub, idempotency_key)
);
CREATE INDEX requests_by_state_expiry ON requests (state, expires_at);
CREATE INDEX requests_by_requester ON requests (requester_issuer, requester_sub, created_at);

CREATE TABLE credentials (
    grant_id     TEXT PRIMARY KEY REFERENCES requests (id),
    kind         TEXT NOT NULL,
    credential   TEXT NOT NULL,              -- api::Credential as JSON
    token_sha256 TEXT UNIQUE,                -- bearer tokens the dev Kubernetes API looks up
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT                      -- dead at the target (issuer revoke done)
);

-- Append-only: rows are only ever inserted. Each carries the SHA-256 of the previous row, so
-- an edited or deleted row breaks the chain (see Store::verify_audit_chain).
CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    request_id  TEXT,
    decision    TEXT,
    policy_ids  TEXT NOT NULL,               -- JSON array
    detail      TEXT NOT NULL,
    prev_sha256 TEXT NOT NULL,
    sha256      TEXT NOT NULL
);
