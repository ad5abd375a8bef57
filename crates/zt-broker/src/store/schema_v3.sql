-- zt-broker schema, version 3: the live grants of each requester on each resource, for the one
-- read every new request makes (does the requester already hold a grant here?). Partial: only
-- rows in a live state are in it, so it stays as small as the grants in force, and the read
-- never walks a requester's past requests — nor, in a plan made without the values (a
-- prepared statement's), the whole table.
CREATE INDEX requests_live ON requests (requester_issuer, requester_sub, resource, expires_at)
    WHERE state IN ('approved', 'active');
