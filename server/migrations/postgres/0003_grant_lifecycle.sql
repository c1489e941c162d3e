-- grantline-server schema v3: the rest of a grant's life (docs/domain.md, "Minting and
-- delegation"): delegation chains and a minted sibling's tags. Same version, same meaning in
-- ../sqlite/.
--
-- A delegation is a grant row of its own (principal: the agent it was delegated to), so a
-- listing, the counts, revocation and the audit log treat it like any grant. Root grants keep
-- NULL / 0 in every column below.

-- The grant this one was delegated from, and the root of its chain (the grant an app issued).
-- A delegate and a revoke of any grant of a chain lock the root's row first, so a cascade
-- revoke and a delegation racing it are ordered (server/src/store/sql_store.rs).
ALTER TABLE grants ADD COLUMN parent_grant_id TEXT;
ALTER TABLE grants ADD COLUMN root_grant_id TEXT;
-- Hops from the root (root 0).
ALTER TABLE grants ADD COLUMN depth BIGINT NOT NULL DEFAULT 0;
-- 1 when this delegation may be delegated onward (roots: see docs/domain.md).
ALTER TABLE grants ADD COLUMN delegable BIGINT NOT NULL DEFAULT 0;
-- JSON array of the provider scopes this delegation is narrowed to (NULL: its parent's).
ALTER TABLE grants ADD COLUMN scope_constraint TEXT;
-- The agents that handed this grant down, root holder first, space-separated: the delegation
-- works only while every one of them is active.
ALTER TABLE grants ADD COLUMN chain_agents TEXT;
-- JSON array of the tags a minted sibling was given.
ALTER TABLE grants ADD COLUMN grant_tags TEXT;

-- A grant's delegations, by the agent holding each (delegate, revoke_delegation, cascades).
CREATE INDEX grants_parent ON grants(parent_grant_id, principal_ref) WHERE parent_grant_id IS NOT NULL;
