-- zt-broker schema, version 4: credentials are sealed (AES-256-GCM under the store's key, see
-- store/keys.rs) and kept only while their grant is live, and the audit chain's head is signed
-- with that key outside the chain itself. Credentials stored in clear by earlier versions are
-- forgotten here (a live grant's next credential call mints one afresh); the row stays until
-- the credential is revoked at its target. The head recorded here is the log's last row, and
-- is signed by the broker that applies this migration.
UPDATE credentials SET credential = '';
UPDATE credentials SET token_sha256 = NULL
    WHERE grant_id IN (SELECT id FROM requests WHERE state NOT IN ('approved', 'active'));

-- One row (id = 1): the last audit row as of the last append, and the HMAC of it under the
-- store's key. A database editor who deletes the newest rows cannot move it back without the
-- key (see Store::verify_audit_chain).
CREATE TABLE audit_head (
    id      BIGINT PRIMARY KEY,
    seq     BIGINT NOT NULL,
    sha256  TEXT NOT NULL,
    mac     TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, sha256, mac)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', '');
UPDATE audit_head
    SET seq = (SELECT MAX(seq) FROM audit),
        sha256 = (SELECT sha256 FROM audit WHERE seq = (SELECT MAX(seq) FROM audit))
    WHERE EXISTS (SELECT 1 FROM audit);
