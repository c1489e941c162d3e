-- grantline-server schema v4: using a grant (`/sdk/token`, the api-call audit, scope-mismatch
-- reports). Same version, same meaning in ../postgres/. Instants are INTEGER microseconds.

-- How a managed secret's credential is injected into a provider request, and where it may go.
-- One row per managed secret that has settings; a secret without one injects
-- `Authorization: Bearer {token}` and may be sent to any https URL.
CREATE TABLE secret_injections (
    managed_secret_id TEXT PRIMARY KEY REFERENCES managed_secrets(id),
    app_id            TEXT NOT NULL REFERENCES apps(id),
    -- header name, e.g. `Authorization`, `X-Api-Key`
    header            TEXT NOT NULL,
    -- the header value, with `{token}` where the credential goes
    format            TEXT NOT NULL,
    -- also (or only) put the credential into this query parameter
    query_param       TEXT,
    -- JSON array of base URLs (`https://api.example.com/v1`); NULL: any
    allowed_base_urls TEXT
);

-- The access token of an OAuth grant provisioned through the admin API, encrypted (AAD = grant id).
CREATE TABLE grant_tokens (
    grant_id   TEXT PRIMARY KEY REFERENCES grants(id),
    app_id     TEXT NOT NULL,
    value_enc  BLOB NOT NULL,
    -- a UUID that changes when the token does (`token_generation` on the wire)
    generation TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- When a grant last leased its credential, and whether the provider reported missing scopes.
CREATE TABLE grant_usage (
    grant_id       TEXT PRIMARY KEY,
    app_id         TEXT NOT NULL,
    last_used_at   INTEGER NOT NULL,
    uses           INTEGER NOT NULL,
    scope_mismatch INTEGER NOT NULL DEFAULT 0
);

-- Provider calls reported by clients (`POST /sdk/oauth/audit/api-call`), sanitised and bounded.
CREATE TABLE api_calls (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    app_id          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    grant_id        TEXT NOT NULL,
    method          TEXT NOT NULL,
    url             TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    latency_ms      INTEGER NOT NULL,
    -- the rest of the record (headers, bodies, reason, context, ...) as a JSON object
    record          TEXT NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX api_calls_app ON api_calls(app_id, seq);
