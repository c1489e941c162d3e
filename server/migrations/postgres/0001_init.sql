-- grantline-server schema v1 for PostgreSQL (the same tables as ../sqlite/0001_init.sql).
-- Instants are BIGINT microseconds since the Unix epoch.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE apps (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    max_ttl_seconds BIGINT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id),
    name       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'paused', 'revoked')),
    created_at BIGINT NOT NULL
);
CREATE INDEX agents_app ON agents(app_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id),
    key_hash   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('app', 'agent')),
    agent_id   TEXT REFERENCES agents(id),
    actor_id   TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at BIGINT NOT NULL
);

CREATE TABLE idps (
    id              TEXT PRIMARY KEY,
    app_id          TEXT NOT NULL REFERENCES apps(id),
    issuer          TEXT NOT NULL,
    audience        TEXT NOT NULL,
    hs256_secret    BYTEA,
    jwks_file       TEXT,
    jwks_url        TEXT,
    groups_claim    TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX idps_app ON idps(app_id);

CREATE TABLE app_users (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id),
    idp_id     TEXT NOT NULL REFERENCES idps(id),
    sub        TEXT NOT NULL,
    email      TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (idp_id, sub)
);

CREATE TABLE groups (
    id                TEXT PRIMARY KEY,
    app_id            TEXT NOT NULL REFERENCES apps(id),
    idp_id            TEXT NOT NULL REFERENCES idps(id),
    external_group_id TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    UNIQUE (idp_id, external_group_id)
);

CREATE TABLE managed_secrets (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id),
    slug       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (app_id, slug)
);

CREATE TABLE credentials (
    id                TEXT PRIMARY KEY,
    managed_secret_id TEXT NOT NULL REFERENCES managed_secrets(id),
    app_id            TEXT NOT NULL REFERENCES apps(id),
    label             TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('developer', 'end_user')),
    value_enc         BYTEA NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    created_at        BIGINT NOT NULL
);
CREATE INDEX credentials_ms ON credentials(managed_secret_id);

CREATE TABLE grants (
    id                   TEXT PRIMARY KEY,
    app_id               TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('managed_secret', 'oauth')),
    -- managed-secret slug, or OAuth provider id: what the list filter `provider_id` matches
    provider_slug        TEXT NOT NULL,
    managed_secret_id    TEXT,
    credential_id        TEXT,
    principal_type       TEXT NOT NULL CHECK (principal_type IN ('user', 'group', 'system', 'agent')),
    -- app user id, group id or agent id (NULL for system)
    principal_ref        TEXT,
    -- what people read: the user's sub, the group's external id, the agent id, 'system'
    principal_subject    TEXT NOT NULL,
    idp_id               TEXT,
    label                TEXT,
    -- non-NULL only while the grant holds its label; unique, so two live siblings cannot exist
    sibling_key          TEXT,
    account_identifier   TEXT,
    account_display_name TEXT,
    scopes               TEXT,
    grant_policy         TEXT,
    grant_expires_at     BIGINT,
    created_at           BIGINT NOT NULL,
    revoked_at           BIGINT,
    revoke_reason        TEXT,
    created_by           TEXT NOT NULL
);
CREATE UNIQUE INDEX grants_sibling ON grants(sibling_key) WHERE sibling_key IS NOT NULL;
-- order (created_at DESC, id DESC) per app, and per filter; each index also carries the
-- status columns, so pages and counts are served from the index alone
CREATE INDEX grants_app_order ON grants(app_id, created_at, id, revoked_at, grant_expires_at);
CREATE INDEX grants_app_provider ON grants(app_id, provider_slug, created_at, id, revoked_at, grant_expires_at);
CREATE INDEX grants_app_label ON grants(app_id, label, created_at, id, revoked_at, grant_expires_at);
CREATE INDEX grants_app_account ON grants(app_id, account_identifier, created_at, id, revoked_at, grant_expires_at);
CREATE INDEX grants_app_principal ON grants(app_id, principal_type, principal_ref, created_at, id, revoked_at, grant_expires_at);

-- grants per app, maintained with every insert: the unfiltered `total` in O(1)
CREATE TABLE app_grant_counts (
    app_id TEXT PRIMARY KEY,
    n      BIGINT NOT NULL
);

CREATE TABLE audit_log (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    app_id         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    grant_id       TEXT,
    principal_type TEXT,
    principal      TEXT,
    label          TEXT,
    reason         TEXT,
    at             BIGINT NOT NULL
);
CREATE INDEX audit_app ON audit_log(app_id, seq);
