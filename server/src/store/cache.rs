//! What every request reads — its API key, its agent, its app, the managed secret and its
//! credentials, the app's identity providers, users and groups by name — kept in memory in
//! front of any [`Store`].
//!
//! **The bound.** Every write that changes a cached thing (a key or agent status, a TTL
//! ceiling, a credential, an identity provider) moves the database's change counter in the same
//! transaction, whichever instance made it. Each instance reads the counter every
//! [`POLL_INTERVAL`] and drops its whole cache when it moved; a change made through this
//! instance drops it at once. An entry is only served while the last successful poll is younger
//! than [`STALE_AFTER`]: when the database cannot be polled, every read goes to the database.
//! So a key revoked (or an agent paused) through any instance is refused by every instance
//! within [`STALE_AFTER`] — in practice within one poll interval plus one poll.
//!
//! Only positive answers are kept (a key minted on another instance works at once), and only
//! things whose absence is not cached can be created without moving the counter.

use super::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How often an instance reads the change counter.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long after the last successful poll cached entries are still served: the documented
/// bound on how long another instance's revocation can go unseen.
pub const STALE_AFTER: Duration = Duration::from_secs(1);

/// Entries per kind before that kind is dropped wholesale (a bound on memory).
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
struct Maps {
    keys: HashMap<String, KeyRec>,
    agents: HashMap<(String, String), AgentRec>,
    apps: HashMap<String, AppRec>,
    managed_secrets: HashMap<(String, String), ManagedSecretRec>,
    credentials: HashMap<String, Vec<CredentialRec>>,
    idps: HashMap<String, Vec<IdpRec>>,
    users: HashMap<(String, String), String>,
    groups: HashMap<(String, String), String>,
}

struct State {
    maps: Mutex<Maps>,
    /// Moves whenever the maps are dropped, so a read that started before cannot put back
    /// what it read.
    generation: AtomicU64,
    /// Milliseconds since `base` until which entries may be served.
    fresh_until: AtomicU64,
    base: Instant,
    closed: AtomicBool,
}

impl State {
    fn now_ms(&self) -> u64 {
        self.base.elapsed().as_millis() as u64
    }

    fn fresh(&self) -> bool {
        self.now_ms() < self.fresh_until.load(Ordering::Acquire)
    }

    fn get<T>(&self, f: impl FnOnce(&Maps) -> Option<T>) -> Option<T> {
        if !self.fresh() {
            return None;
        }
        f(&self.maps.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn put(&self, generation: u64, f: impl FnOnce(&mut Maps)) {
        if !self.fresh() {
            return;
        }
        let mut m = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            f(&mut m);
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn clear(&self) {
        let mut m = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *m = Maps::default();
    }
}

fn bounded<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, k: K, v: V) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(k, v);
}

/// A [`Store`] with the read-mostly records cached (see the module documentation for the
/// bound).
pub struct CachedStore {
    inner: Arc<dyn Store>,
    state: Arc<State>,
}

impl std::fmt::Debug for CachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore").finish_non_exhaustive()
    }
}

impl CachedStore {
    /// Caches `inner`; starts the change-counter poll on the current runtime (none for a store
    /// no other process can reach).
    pub async fn new(inner: Arc<dyn Store>) -> StoreResult<CachedStore> {
        let state = Arc::new(State {
            maps: Mutex::new(Maps::default()),
            generation: AtomicU64::new(0),
            fresh_until: AtomicU64::new(0),
            base: Instant::now(),
            closed: AtomicBool::new(false),
        });
        if inner.is_private() {
            state.fresh_until.store(u64::MAX, Ordering::Release);
        } else {
            let seq = inner.change_seq().await?;
            let until = state.now_ms() + STALE_AFTER.as_millis() as u64;
            state.fresh_until.store(until, Ordering::Release);
            tokio::spawn(poll(Arc::downgrade(&inner), Arc::downgrade(&state), seq));
        }
        Ok(CachedStore { inner, state })
    }
}

/// Reads the change counter every [`POLL_INTERVAL`] until the cache is dropped or closed.
async fn poll(inner: Weak<dyn Store>, state: Weak<State>, mut seen: i64) {
    let mut tick = tokio::time::interval(POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (Some(inner), Some(state)) = (inner.upgrade(), state.upgrade()) else {
            return;
        };
        if state.closed.load(Ordering::Acquire) {
            return;
        }
        let started = state.now_ms();
        match inner.change_seq().await {
            Ok(seq) => {
                if seq != seen {
                    state.clear();
                    seen = seq;
                }
                // Fresh for STALE_AFTER from when this poll started.
                let until = started + STALE_AFTER.as_millis() as u64;
                state.fresh_until.fetch_max(until, Ordering::AcqRel);
            }
            Err(e) => {
                if !state.closed.load(Ordering::Acquire) {
                    tracing::warn!(error = %e, "cannot read the change counter; not caching");
                }
            }
        }
    }
}

macro_rules! cached {
    ($self:ident, $map:ident, $key:expr, $load:expr) => {{
        let key = $key;
        if let Some(v) = $self.state.get(|m| m.$map.get(&key).cloned()) {
            return Ok(Some(v));
        }
        let generation = $self.state.generation();
        let loaded = $load;
        if let Some(v) = &loaded {
            $self
                .state
                .put(generation, |m| bounded(&mut m.$map, key, v.clone()));
        }
        Ok(loaded)
    }};
}

#[async_trait]
impl Store for CachedStore {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.inner.meta_get(key).await
    }
    async fn meta_set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.inner.meta_set(key, value).await
    }
    async fn meta_init(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        self.inner.meta_init(key, value).await
    }
    async fn close(&self) {
        self.state.closed.store(true, Ordering::Release);
        self.inner.close().await
    }
    async fn change_seq(&self) -> StoreResult<i64> {
        self.inner.change_seq().await
    }
    fn is_private(&self) -> bool {
        self.inner.is_private()
    }
    async fn remember_nonce(&self, digest: [u8; 16], expires_at: i64) -> StoreResult<bool> {
        self.inner.remember_nonce(digest, expires_at).await
    }
    async fn sweep_nonces(&self, before: i64) -> StoreResult<u64> {
        self.inner.sweep_nonces(before).await
    }

    async fn insert_app(&self, app: &AppRec) -> StoreResult<()> {
        self.inner.insert_app(app).await
    }
    async fn get_app(&self, id: &str) -> StoreResult<Option<AppRec>> {
        cached!(self, apps, id.to_string(), self.inner.get_app(id).await?)
    }
    async fn set_app_ttl_ceiling(&self, id: &str, max_ttl: Option<i64>) -> StoreResult<bool> {
        let r = self.inner.set_app_ttl_ceiling(id, max_ttl).await;
        self.state.clear();
        r
    }

    async fn insert_agent(&self, agent: &AgentRec) -> StoreResult<()> {
        self.inner.insert_agent(agent).await
    }
    async fn get_agent(&self, app_id: &str, id: &str) -> StoreResult<Option<AgentRec>> {
        cached!(
            self,
            agents,
            (app_id.to_string(), id.to_string()),
            self.inner.get_agent(app_id, id).await?
        )
    }
    async fn set_agent_status(&self, app_id: &str, id: &str, status: &str) -> StoreResult<bool> {
        let r = self.inner.set_agent_status(app_id, id, status).await;
        self.state.clear();
        r
    }

    async fn insert_key(&self, key: &KeyRec) -> StoreResult<()> {
        self.inner.insert_key(key).await
    }
    async fn find_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<KeyRec>> {
        cached!(
            self,
            keys,
            key_hash.to_string(),
            self.inner.find_key_by_hash(key_hash).await?
        )
    }
    async fn set_key_status(&self, app_id: &str, key_id: &str, status: &str) -> StoreResult<bool> {
        let r = self.inner.set_key_status(app_id, key_id, status).await;
        self.state.clear();
        r
    }

    async fn insert_idp(&self, idp: &IdpRec) -> StoreResult<()> {
        let r = self.inner.insert_idp(idp).await;
        self.state.clear();
        r
    }
    async fn get_idp(&self, app_id: &str, id: &str) -> StoreResult<Option<IdpRec>> {
        self.inner.get_idp(app_id, id).await
    }
    async fn list_idps(&self, app_id: &str) -> StoreResult<Vec<IdpRec>> {
        let key = app_id.to_string();
        if let Some(v) = self.state.get(|m| m.idps.get(&key).cloned()) {
            return Ok(v);
        }
        let generation = self.state.generation();
        let v = self.inner.list_idps(app_id).await?;
        self.state
            .put(generation, |m| bounded(&mut m.idps, key, v.clone()));
        Ok(v)
    }

    async fn upsert_app_user(
        &self,
        app_id: &str,
        idp_id: &str,
        sub: &str,
        email: Option<&str>,
        now: i64,
    ) -> StoreResult<String> {
        let key = (idp_id.to_string(), sub.to_string());
        if let Some(v) = self.state.get(|m| m.users.get(&key).cloned()) {
            return Ok(v);
        }
        let generation = self.state.generation();
        let id = self
            .inner
            .upsert_app_user(app_id, idp_id, sub, email, now)
            .await?;
        self.state
            .put(generation, |m| bounded(&mut m.users, key, id.clone()));
        Ok(id)
    }
    async fn upsert_group(
        &self,
        app_id: &str,
        idp_id: &str,
        external_group_id: &str,
        now: i64,
    ) -> StoreResult<String> {
        let key = (idp_id.to_string(), external_group_id.to_string());
        if let Some(v) = self.state.get(|m| m.groups.get(&key).cloned()) {
            return Ok(v);
        }
        let generation = self.state.generation();
        let id = self
            .inner
            .upsert_group(app_id, idp_id, external_group_id, now)
            .await?;
        self.state
            .put(generation, |m| bounded(&mut m.groups, key, id.clone()));
        Ok(id)
    }
    async fn find_group_ids(
        &self,
        idp_id: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        self.inner.find_group_ids(idp_id, external_ids).await
    }

    async fn insert_managed_secret(&self, ms: &ManagedSecretRec) -> StoreResult<()> {
        self.inner.insert_managed_secret(ms).await
    }
    async fn get_managed_secret(
        &self,
        app_id: &str,
        id: &str,
    ) -> StoreResult<Option<ManagedSecretRec>> {
        cached!(
            self,
            managed_secrets,
            (app_id.to_string(), id.to_string()),
            self.inner.get_managed_secret(app_id, id).await?
        )
    }
    async fn insert_credential(&self, cred: &CredentialRec) -> StoreResult<()> {
        let r = self.inner.insert_credential(cred).await;
        self.state.clear();
        r
    }
    async fn list_credentials(&self, managed_secret_id: &str) -> StoreResult<Vec<CredentialRec>> {
        let key = managed_secret_id.to_string();
        if let Some(v) = self.state.get(|m| m.credentials.get(&key).cloned()) {
            return Ok(v);
        }
        let generation = self.state.generation();
        let v = self.inner.list_credentials(managed_secret_id).await?;
        self.state
            .put(generation, |m| bounded(&mut m.credentials, key, v.clone()));
        Ok(v)
    }

    async fn create_grant(
        &self,
        grant: &GrantRec,
        audit: &AuditRec,
        nonce: Option<([u8; 16], i64)>,
    ) -> StoreResult<()> {
        self.inner.create_grant(grant, audit, nonce).await
    }
    async fn get_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<GrantView>> {
        self.inner.get_grant(app_id, id).await
    }
    async fn revoke_grant(
        &self,
        app_id: &str,
        id: &str,
        reason: Option<&str>,
        audit: &AuditRec,
    ) -> StoreResult<bool> {
        self.inner.revoke_grant(app_id, id, reason, audit).await
    }
    async fn delegate_grant(&self, child: &GrantRec, audit: &AuditRec) -> StoreResult<()> {
        self.inner.delegate_grant(child, audit).await
    }
    async fn find_delegation(
        &self,
        app_id: &str,
        parent_id: &str,
        agent_id: &str,
    ) -> StoreResult<Option<GrantRec>> {
        self.inner
            .find_delegation(app_id, parent_id, agent_id)
            .await
    }
    async fn delegated_agents(
        &self,
        app_id: &str,
        parent_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        self.inner.delegated_agents(app_id, parent_ids).await
    }
    async fn list_grants(&self, query: &ListQuery) -> StoreResult<(Vec<GrantView>, i64)> {
        self.inner.list_grants(query).await
    }
    async fn seed_grants(&self, grants: &[GrantRec]) -> StoreResult<()> {
        self.inner.seed_grants(grants).await
    }
    async fn sweep_expired(&self, now: i64) -> StoreResult<u64> {
        self.inner.sweep_expired(now).await
    }
    async fn list_audit(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<AuditRec>> {
        self.inner.list_audit(app_id, limit, offset).await
    }

    // Using a grant: not cached (each lease reads its settings; a change applies at once).
    async fn set_injection(&self, rec: &InjectionRec) -> StoreResult<()> {
        self.inner.set_injection(rec).await
    }
    async fn get_injection(&self, managed_secret_id: &str) -> StoreResult<Option<InjectionRec>> {
        self.inner.get_injection(managed_secret_id).await
    }
    async fn set_grant_token(&self, rec: &GrantTokenRec) -> StoreResult<()> {
        self.inner.set_grant_token(rec).await
    }
    async fn get_grant_token(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantTokenRec>> {
        self.inner.get_grant_token(app_id, grant_id).await
    }
    async fn get_grant_usage(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantUsageRec>> {
        self.inner.get_grant_usage(app_id, grant_id).await
    }
    async fn record_grant_use(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()> {
        self.inner.record_grant_use(grant_id, audit).await
    }
    async fn flag_scope_mismatch(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()> {
        self.inner.flag_scope_mismatch(grant_id, audit).await
    }
    async fn insert_api_call(&self, rec: &ApiCallRec) -> StoreResult<()> {
        self.inner.insert_api_call(rec).await
    }
    async fn list_api_calls(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<ApiCallRec>> {
        self.inner.list_api_calls(app_id, limit, offset).await
    }
}
