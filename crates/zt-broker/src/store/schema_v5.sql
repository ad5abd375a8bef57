-- zt-broker schema, version 5: passkey-confirmed approvals (WebAuthn). Approvers' passkeys
-- (public keys and signature counters: nothing secret), a registration in progress per person,
-- and the nonce of each approver's passkey approval of a pending request: the challenge the
-- authenticator signs is SHA-256 over the request id and this nonce, and the approval that
-- uses it deletes it in its own transaction, so an assertion counts once, for one request.
CREATE TABLE passkeys (
    credential_id  TEXT PRIMARY KEY,
    issuer         TEXT NOT NULL,
    sub            TEXT NOT NULL,
    owner          TEXT NOT NULL,
    passkey        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX passkeys_by_owner ON passkeys (issuer, sub);

CREATE TABLE passkey_registrations (
    issuer      TEXT NOT NULL,
    sub         TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (issuer, sub)
);

CREATE TABLE approval_nonces (
    request_id  TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    sub         TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (request_id, issuer, sub)
);
