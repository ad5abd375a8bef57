-- zt-broker schema, version 2: the approvals a request has so far, for decisions that need
-- several approvers (`@approvals("N")`). A JSON array of {issuer, sub, by, at, comment}, oldest
-- first, written in the same transaction as the audit row of each approval.
ALTER TABLE requests ADD COLUMN approvals TEXT NOT NULL DEFAULT '[]';
