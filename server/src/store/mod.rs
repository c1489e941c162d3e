//! Persistence behind a small interface: [`Store`]. The SQLite implementation lives in
//! [`sqlite`]; a Postgres one can follow without touching the service layer.

mod records;
pub mod sqlite;

pub use records::*;

use async_trait::async_trait;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (the string names it).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(String),
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

    /// Inserts a grant and its audit record in one transaction. A live sibling with the same
    /// label is a conflict `sibling_label`; an expired one gives its label up first.
    async fn create_grant(&self, grant: &GrantRec, audit: &AuditRec) -> StoreResult<()>;
    /// A grant of `app_id`, with its provider's and credential's names.
    async fn get_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<GrantView>>;
    /// Marks a grant revoked and writes the audit record, in one transaction; false if the
    /// grant was already revoked (or is gone).
    async fn revoke_grant(
        &self,
        app_id: &str,
        id: &str,
        reason: Option<&str>,
        audit: &AuditRec,
    ) -> StoreResult<bool>;
    /// One page of grants and the total number of matches.
    async fn list_grants(&self, query: &ListQuery) -> StoreResult<(Vec<GrantView>, i64)>;
    /// Inserts many grants at once, without audit records (benchmark seeding only).
    async fn seed_grants(&self, grants: &[GrantRec]) -> StoreResult<()>;

    /// Audit records of `app_id`, newest first.
    async fn list_audit(&self, app_id: &str, limit: i64, offset: i64)
    -> StoreResult<Vec<AuditRec>>;
}
