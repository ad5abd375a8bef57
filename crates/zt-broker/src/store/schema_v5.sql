-- zt-broker schema, version 5: the SSH user certificates the broker's CA signed (issue 15), by
-- serial, so that those of grants ended early can be named in the key revocation list
-- (GET /v1/ssh/krl) until they would have expired anyway. No secret: a certificate is public.
CREATE TABLE ssh_certificates (
    serial        BIGINT PRIMARY KEY,
    grant_id      TEXT NOT NULL,
    key_sha256    TEXT NOT NULL,
    valid_before  BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX ssh_certificates_by_grant ON ssh_certificates (grant_id);
CREATE INDEX ssh_certificates_revoked ON ssh_certificates (revoked_at, valid_before);
