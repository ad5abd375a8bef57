-- zt-broker schema, version 7: bundles (issue 16). The requests of one bundle (POST /v1/bundles)
-- share its id; a single request has none. A bundle is no row of its own: its requests are
-- inserted together in one transaction, and found again by this index.
ALTER TABLE requests ADD COLUMN bundle_id TEXT;
CREATE INDEX requests_by_bundle ON requests (bundle_id);
