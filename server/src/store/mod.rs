//! Persistence behind one interface, [`Store`], with two engines: SQLite ([`sqlite`]) and
//! PostgreSQL ([`postgres`]), chosen by the database URL ([`open_store`]). Both keep the same
//! tables (versioned migrations in `server/migrations/{sqlite,postgres}`), batch concurrent
//! grant writes into one transaction ([`batch`]), and keep grant counts per scope so a listing's
//! `total` is exact without counting rows ([`counts`]). [`cache::CachedStore`] keeps what every
//! request reads (keys, agents, apps, providers) in memory, bounded by the change counter that
//! every instance on the database polls.

pub mod batch;
pub mod cache;
pub mod counts;
pub mod postgres;
mod records;
pub(crate) mod sql;
mod sql_store;
pub mod sqlite;

pub use records::*;
pub use sql_store::SqlStore;

use crate::fault::Faults;
use async_trait::async_trait;
use std::sync::Arc;

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `sqlite::memory:`, `sqlite://…`, `sqlite:…` or a plain file path.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Engine {
    /// The engine of `url`; an unknown `scheme://` is an error.
    pub fn of(url: &str) -> StoreResult<Engine> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else if url.starts_with("sqlite:") || !url.contains("://") {
            Ok(Engine::Sqlite)
        } else {
            Err(StoreError::Db(format!(
                "unsupported database URL scheme {:?} (sqlite: or postgres://)",
                url.split("://").next().unwrap_or("")
            )))
        }
    }
}

/// Opens the store `url` names and runs its migrations. `faults` lets transaction-stage faults
/// pause write transactions (a development/test feature).
pub async fn open_store(url: &str, faults: Option<Arc<Faults>>) -> StoreResult<Arc<dyn Store>> {
    Ok(match Engine::of(url)? {
        Engine::Sqlite => Arc::new(SqlStore::open_sqlite(url, faults).await?),
        Engine::Postgres => Arc::new(SqlStore::open_postgres(url, faults).await?),
    })
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (the string names it).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The request's nonce was used already (a replay); nothing was written.
    #[error("replayed nonce")]
    Replay,
    /// The database aborted a transaction for a reason that running it again may cure (a
    /// deadlock, a serialization failure).
    #[error("transaction aborted, may be retried: {0}")]
    Retry(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(String),
}

impl StoreError {
    pub(crate) fn db(e: impl std::fmt::Display) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// Store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the service layer needs from the database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A server-wide setting.
    async fn meta_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Sets a server-wide setting.
    async fn meta_set(&self, key: &str, value: &[u8]) -> StoreResult<()>;
    /// Sets a server-wide setting unless it is set; returns the value it has (the first one
    /// written, when several instances race).
    async fn meta_init(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>>;
    /// Closes the connections (the store is unusable afterwards).
    async fn close(&self);
    /// The change counter: it moves with every write a cache may hold (key and agent status, TTL
    /// ceilings, credentials, identity providers), whichever instance made it.
    async fn change_seq(&self) -> StoreResult<i64>;
    /// Whether only this process can reach the database (an in-memory database), so there is
    /// no other instance to watch.
    fn is_private(&self) -> bool {
        false
    }

    /// Remembers a request's nonce digest ([`crate::nonce::digest`]) until `expires_at` (Unix
    /// seconds): false when it is remembered already (a replay), whichever instance saw it.
    async fn remember_nonce(&self, digest: [u8; 16], expires_at: i64) -> StoreResult<bool>;
    /// Forgets nonces that expired before `before` (Unix seconds); returns how many.
    async fn sweep_nonces(&self, before: i64) -> StoreResult<u64>;

    /// Inserts an app.
    async fn insert_app(&self, app: &AppRec) -> StoreResult<()>;
    /// An app by id.
    async fn get_app(&self, id: &str) -> StoreResult<Option<AppRec>>;
    /// Sets (or clears) an app's TTL ceiling; false if the app does not exist.
    async fn set_app_ttl_ceiling(
        &self,
        id: &str,
        max_ttl_seconds: Option<i64>,
    ) -> StoreResult<bool>;

    /// Inserts an agent.
    async fn insert_agent(&self, agent: &AgentRec) -> StoreResult<()>;
    /// An agent of `app_id` by id.
    async fn get_agent(&self, app_id: &str, id: &str) -> StoreResult<Option<AgentRec>>;
    /// Sets an agent's status; false if it is not an agent of `app_id`.
    async fn set_agent_status(&self, app_id: &str, id: &str, status: &str) -> StoreResult<bool>;

    /// Inserts an API key (conflict `api_key` if its hash exists).
    async fn insert_key(&self, key: &KeyRec) -> StoreResult<()>;
    /// The key whose SHA-256 is `key_hash`.
    async fn find_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<KeyRec>>;
    /// Sets a key's status; false if it is not a key of `app_id`.
    async fn set_key_status(&self, app_id: &str, key_id: &str, status: &str) -> StoreResult<bool>;

    /// Inserts an identity provider.
    async fn insert_idp(&self, idp: &IdpRec) -> StoreResult<()>;
    /// An IDP of `app_id`.
    async fn get_idp(&self, app_id: &str, id: &str) -> StoreResult<Option<IdpRec>>;
    /// Every IDP of `app_id`.
    async fn list_idps(&self, app_id: &str) -> StoreResult<Vec<IdpRec>>;

    /// The app user `(idp_id, sub)`, created on first sight; returns its id.
    async fn upsert_app_user(
        &self,
        app_id: &str,
        idp_id: &str,
        sub: &str,
        email: Option<&str>,
        now: i64,
    ) -> StoreResult<String>;
    /// The group `(idp_id, external_group_id)`, created if new; returns its id.
    async fn upsert_group(
        &self,
        app_id: &str,
        idp_id: &str,
        external_group_id: &str,
        now: i64,
    ) -> StoreResult<String>;
    /// Ids of the existing groups of `idp_id` named in `external_ids`.
    async fn find_group_ids(
        &self,
        idp_id: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<String>>;

    /// Inserts a managed-secret provider (conflict `managed_secret_slug` on a taken slug).
    async fn insert_managed_secret(&self, ms: &ManagedSecretRec) -> StoreResult<()>;
    /// A managed-secret provider of `app_id`.
    async fn get_managed_secret(
        &self,
        app_id: &str,
        id: &str,
    ) -> StoreResult<Option<ManagedSecretRec>>;
    /// Inserts a credential.
    async fn insert_credential(&self, cred: &CredentialRec) -> StoreResult<()>;
    /// The credentials of a provider, oldest first.
    async fn list_credentials(&self, managed_secret_id: &str) -> StoreResult<Vec<CredentialRec>>;

    /// Inserts a grant, its counts and its audit record in one transaction (shared with other
    /// concurrent creates: [`batch`]), durable when this returns. A live sibling with the same
    /// label is a conflict `sibling_label`; an expired one gives its label up first. `nonce`
    /// (digest, expiry) is remembered in the same transaction, whatever becomes of the grant;
    /// when it was remembered already the grant is not written ([`StoreError::Replay`]).
    async fn create_grant(
        &self,
        grant: &GrantRec,
        audit: &AuditRec,
        nonce: Option<([u8; 16], i64)>,
    ) -> StoreResult<()>;
    /// A grant of `app_id`, with its provider's and credential's names.
    async fn get_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<GrantView>>;
    /// Marks a grant revoked, and every delegation below it (each with an audit record of its
    /// own), and writes the audit record, in one transaction that holds the chain's root row
    /// (so a delegation racing it is either revoked with it or refused); false if the grant was
    /// already revoked (or is gone).
    async fn revoke_grant(
        &self,
        app_id: &str,
        id: &str,
        reason: Option<&str>,
        audit: &AuditRec,
    ) -> StoreResult<bool>;
    // ---- The rest of a grant's life (docs/domain.md, "Minting and delegation"). A mint is a
    // create (`create_grant`); a revoke cascades (`revoke_grant`).

    /// Inserts a delegation (`child`, whose parent is `child.chain.parent_grant_id`), its counts
    /// and its audit record, in one transaction that holds its chain's root row: the parent must
    /// still be live at `child.created_at` (conflict `parent_revoked` otherwise), and it must
    /// have no live delegation to the same agent (conflict `delegation_exists`).
    async fn delegate_grant(&self, child: &GrantRec, audit: &AuditRec) -> StoreResult<()>;
    /// The unrevoked delegation of grant `parent_id` to `agent_id`, if any (newest first).
    async fn find_delegation(
        &self,
        app_id: &str,
        parent_id: &str,
        agent_id: &str,
    ) -> StoreResult<Option<GrantRec>>;
    /// For each of `parent_ids`, the agents holding an unrevoked delegation of it.
    async fn delegated_agents(
        &self,
        app_id: &str,
        parent_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;

    /// One page of grants and the total number of matches (exact; see [`counts`]).
    async fn list_grants(&self, query: &ListQuery) -> StoreResult<(Vec<GrantView>, i64)>;
    /// Inserts many grants at once, with their counts, without audit records (benchmark
    /// seeding only).
    async fn seed_grants(&self, grants: &[GrantRec]) -> StoreResult<()>;
    /// Moves the expiry watermark of apps with grants that expired since theirs up to `now`
    /// (see [`counts`]); returns how many apps moved.
    async fn sweep_expired(&self, now: i64) -> StoreResult<u64>;

    /// Audit records of `app_id`, newest first.
    async fn list_audit(&self, app_id: &str, limit: i64, offset: i64)
    -> StoreResult<Vec<AuditRec>>;

    // Using a grant (schema v4; `service/token.rs`).

    /// Sets (replaces) the injection settings of a managed secret.
    async fn set_injection(&self, rec: &InjectionRec) -> StoreResult<()>;
    /// The injection settings of a managed secret, if it has any.
    async fn get_injection(&self, managed_secret_id: &str) -> StoreResult<Option<InjectionRec>>;
    /// Stores (replaces) the access token of an OAuth grant.
    async fn set_grant_token(&self, rec: &GrantTokenRec) -> StoreResult<()>;
    /// The access token of an OAuth grant of `app_id`.
    async fn get_grant_token(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantTokenRec>>;
    /// The usage of a grant of `app_id` (none before its first lease).
    async fn get_grant_usage(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantUsageRec>>;
    /// Records one lease of a grant's credential: `last_used_at`, the use count and the audit
    /// record, in one transaction.
    async fn record_grant_use(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()>;
    /// Flags a grant's scopes as refused by its provider, with an audit record, in one
    /// transaction.
    async fn flag_scope_mismatch(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()>;
    /// Inserts a reported provider call.
    async fn insert_api_call(&self, rec: &ApiCallRec) -> StoreResult<()>;
    /// Reported provider calls of `app_id`, newest first.
    async fn list_api_calls(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<ApiCallRec>>;
}
