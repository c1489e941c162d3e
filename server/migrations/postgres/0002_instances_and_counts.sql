-- grantline-server schema v2 for PostgreSQL: what several instances on one database share (nonces, a change
-- counter for their caches) and grant counts per scope, so a listing's `total` is exact without
-- counting rows. Same version, same meaning in ../sqlite/.

-- Nonces seen within the signature window (docs/wire.md §2), shared by every instance: a
-- request is refused while a row holds its (key, timestamp, nonce). Keyed by expiry first, so
-- new rows go to the end of the index and the sweep deletes a prefix.
CREATE TABLE nonces (
    -- Unix seconds: the request's timestamp plus the window
    expires_at BIGINT NOT NULL,
    -- SHA-256 of (API key id, 0, timestamp, nonce), first 16 bytes
    digest     BYTEA NOT NULL,
    PRIMARY KEY (expires_at, digest)
);

-- Moves with every change an instance may cache (key and agent status, TTL ceilings,
-- credentials, identity providers); instances poll it and drop their caches when it moves.
CREATE TABLE changes (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO changes (id, seq) VALUES (1, 0);

-- Grants per scope of an app: every grant (dim ''), per provider, label, account and principal
-- ('type:ref'). `expired` counts the unrevoked grants whose expiry is at or before the app's
-- watermark (kept on the dim '' row; NULL = nothing counted yet); a listing adds the few
-- expiries between the watermark and now (server/src/store/counts.rs; server/README.md,
-- "Lists at scale").
CREATE TABLE grant_counts (
    app_id    TEXT NOT NULL,
    dim       TEXT NOT NULL,
    value     TEXT NOT NULL,
    total     BIGINT NOT NULL,
    revoked   BIGINT NOT NULL,
    expired   BIGINT NOT NULL,
    watermark BIGINT,
    PRIMARY KEY (app_id, dim, value)
);

INSERT INTO grant_counts (app_id, dim, value, total, revoked, expired, watermark)
SELECT app_id, '', '', COUNT(*), COUNT(revoked_at), 0, CAST(NULL AS BIGINT) FROM grants GROUP BY app_id
UNION ALL
SELECT app_id, 'provider', provider_slug, COUNT(*), COUNT(revoked_at), 0, CAST(NULL AS BIGINT)
  FROM grants GROUP BY app_id, provider_slug
UNION ALL
SELECT app_id, 'label', label, COUNT(*), COUNT(revoked_at), 0, CAST(NULL AS BIGINT)
  FROM grants WHERE label IS NOT NULL GROUP BY app_id, label
UNION ALL
SELECT app_id, 'account', account_identifier, COUNT(*), COUNT(revoked_at), 0, CAST(NULL AS BIGINT)
  FROM grants WHERE account_identifier IS NOT NULL GROUP BY app_id, account_identifier
UNION ALL
SELECT app_id, 'principal', principal_type || ':' || COALESCE(principal_ref, ''), COUNT(*),
       COUNT(revoked_at), 0, CAST(NULL AS BIGINT)
  FROM grants GROUP BY app_id, principal_type, principal_ref;

DROP TABLE app_grant_counts;

-- Unrevoked grants by expiry: the expiries between an app's watermark and now, and the sweep
-- that moves the watermark.
CREATE INDEX grants_expiry ON grants(app_id, grant_expires_at, provider_slug, label,
    account_identifier, principal_type, principal_ref)
    WHERE revoked_at IS NULL AND grant_expires_at IS NOT NULL;

-- Account filter: only grants with an account (OAuth grants) are in its index.
DROP INDEX grants_app_account;
CREATE INDEX grants_app_account ON grants(app_id, account_identifier, created_at, id, revoked_at, grant_expires_at)
    WHERE account_identifier IS NOT NULL;

