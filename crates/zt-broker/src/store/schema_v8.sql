-- zt-broker schema, version 8: scheduled and first-use grants (issue 16). `start_at`: when a
-- grant asked for a set start (`zt request --start-at`) opens; approved ahead of it, its window
-- is (start_at, start_at + ttl). `activation`: NULL (at approval), 'scheduled' or 'first_use'.
-- `claim_secs`: a first-use grant's claim window, fixed at creation from the broker's
-- `[grants] claim_window`; `claim_by`: set while an approved first-use grant waits for its
-- first credential fetch (its `expires_at` is then the same time, so the reaper's read of due
-- grants finds it when it lapses), cleared by the claim that starts its TTL.
ALTER TABLE requests ADD COLUMN start_at BIGINT;
ALTER TABLE requests ADD COLUMN activation TEXT;
ALTER TABLE requests ADD COLUMN claim_secs BIGINT;
ALTER TABLE requests ADD COLUMN claim_by BIGINT;
