//! The SQLite store: WAL, one writer connection (writes are serialized in-process, so they
//! never wait on SQLITE_BUSY) and a small pool of readers. An in-memory database uses one
//! shared connection for both, plus an idle anchor connection that keeps the database alive for
//! as long as the store exists: an in-memory database vanishes with its last connection, and a
//! pool may close and reopen its connection at any time.

use super::*;
use crate::fault::{FaultStage, Faults};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, QueryBuilder, Sqlite};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The embedded migrations (server/migrations).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// In-memory databases only: a connection that is never used, only held.
    _anchor: Option<Arc<Mutex<SqliteConnection>>>,
    /// Injected delays inside write transactions (development/test feature).
    faults: Option<Arc<Faults>>,
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Db(e.to_string())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

const GRANT_VIEW_SELECT: &str = "SELECT g.*, ms.slug AS ms_slug, ms.name AS ms_name, \
     c.label AS credential_label, c.kind AS credential_kind FROM grants g \
     LEFT JOIN managed_secrets ms ON ms.id = g.managed_secret_id \
     LEFT JOIN credentials c ON c.id = g.credential_id";

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and runs the migrations.
    ///
    /// `url`: `sqlite::memory:`, `sqlite:///abs/path.db`, `sqlite://rel.db`, `sqlite:path` or a
    /// plain file path.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let memory = url == "sqlite::memory:" || url == ":memory:" || url == "sqlite://:memory:";
        let opts = if memory {
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(db)?
        } else if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).map_err(db)?
        } else if url.contains("://") {
            return Err(StoreError::Db(format!(
                "unsupported database URL scheme (only sqlite is built in): {}",
                url.split("://").next().unwrap_or("")
            )));
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let opts = opts
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let (writer, reader, anchor) = if memory {
            // Same options, same named shared-cache database (sqlx names it when parsing).
            let anchor = opts.connect().await.map_err(db)?;
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await
                .map_err(db)?;
            (pool.clone(), pool, Some(Arc::new(Mutex::new(anchor))))
        } else {
            let opts = opts.journal_mode(SqliteJournalMode::Wal);
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts.clone())
                .await
                .map_err(db)?;
            MIGRATOR
                .run(&writer)
                .await
                .map_err(|e| StoreError::Db(e.to_string()))?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts.read_only(true))
                .await
                .map_err(db)?;
            return Ok(SqliteStore {
                writer,
                reader,
                _anchor: None,
                faults: None,
            });
        };
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Db(e.to_string()))?;
        Ok(SqliteStore {
            writer,
            reader,
            _anchor: anchor,
            faults: None,
        })
    }

    /// Lets injected faults of the transaction stage pause write transactions.
    pub fn with_faults(mut self, faults: Arc<Faults>) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Holds a write transaction open when a transaction-stage fault asks for it.
    async fn pause_in_transaction(&self) {
        if let Some(f) = &self.faults {
            f.pause(FaultStage::Transaction).await;
        }
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Insert one grant inside an open transaction (shared by create and seed).
    async fn insert_grant_tx(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        g: &GrantRec,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO grants (id, app_id, kind, provider_slug, managed_secret_id, credential_id, \
             principal_type, principal_ref, principal_subject, idp_id, label, sibling_key, \
             account_identifier, account_display_name, scopes, grant_policy, grant_expires_at, \
             created_at, revoked_at, revoke_reason, created_by) \
             VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(&g.id)
        .bind(&g.app_id)
        .bind(&g.kind)
        .bind(&g.provider_slug)
        .bind(&g.managed_secret_id)
        .bind(&g.credential_id)
        .bind(&g.principal_type)
        .bind(&g.principal_ref)
        .bind(&g.principal_subject)
        .bind(&g.idp_id)
        .bind(&g.label)
        .bind(&g.sibling_key)
        .bind(&g.account_identifier)
        .bind(&g.account_display_name)
        .bind(&g.scopes)
        .bind(&g.grant_policy)
        .bind(g.grant_expires_at)
        .bind(g.created_at)
        .bind(g.revoked_at)
        .bind(&g.revoke_reason)
        .bind(&g.created_by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn bump_count(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        app_id: &str,
        by: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO app_grant_counts (app_id, n) VALUES (?, ?) \
             ON CONFLICT(app_id) DO UPDATE SET n = n + excluded.n",
        )
        .bind(app_id)
        .bind(by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn insert_audit_tx(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        a: &AuditRec,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO audit_log (id, app_id, actor, action, grant_id, principal_type, \
             principal, label, reason, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        )
        .bind(&a.id)
        .bind(&a.app_id)
        .bind(&a.actor)
        .bind(&a.action)
        .bind(&a.grant_id)
        .bind(&a.principal_type)
        .bind(&a.principal)
        .bind(&a.label)
        .bind(&a.reason)
        .bind(a.at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Appends the WHERE clause of a listing (everything but order and paging).
fn push_list_filters<'a>(qb: &mut QueryBuilder<'a, Sqlite>, q: &'a ListQuery) {
    qb.push(" WHERE app_id = ").push_bind(&q.app_id);
    match &q.visibility {
        Visibility::App => {}
        Visibility::Agent { agent_id } => {
            qb.push(" AND principal_type = 'agent' AND principal_ref = ")
                .push_bind(agent_id);
        }
        Visibility::User { user_id, group_ids } => {
            qb.push(" AND ((principal_type = 'user' AND principal_ref = ")
                .push_bind(user_id)
                .push(")");
            if !group_ids.is_empty() {
                qb.push(" OR (principal_type = 'group' AND principal_ref IN (");
                let mut sep = qb.separated(", ");
                for g in group_ids {
                    sep.push_bind(g);
                }
                qb.push("))");
            }
            qb.push(")");
        }
    }
    if let Some(p) = &q.provider {
        qb.push(" AND provider_slug = ").push_bind(p);
    }
    if let Some(a) = &q.account {
        qb.push(" AND account_identifier = ").push_bind(a);
    }
    if let Some(l) = &q.label {
        qb.push(" AND label = ").push_bind(l);
    }
    match q.status {
        None => {}
        Some(StatusFilter::Revoked) => {
            qb.push(" AND revoked_at IS NOT NULL");
        }
        Some(StatusFilter::Active) => {
            qb.push(" AND revoked_at IS NULL AND (grant_expires_at IS NULL OR grant_expires_at > ")
                .push_bind(q.now)
                .push(")");
        }
        Some(StatusFilter::Expired) => {
            qb.push(" AND revoked_at IS NULL AND grant_expires_at <= ")
                .push_bind(q.now);
        }
    }
}

fn unfiltered(q: &ListQuery) -> bool {
    matches!(q.visibility, Visibility::App)
        && q.provider.is_none()
        && q.account.is_none()
        && q.label.is_none()
        && q.status.is_none()
}

#[async_trait]
impl Store for SqliteStore {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn meta_set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES (?, ?) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn insert_app(&self, app: &AppRec) -> StoreResult<()> {
        sqlx::query("INSERT INTO apps (id, name, max_ttl_seconds, created_at) VALUES (?,?,?,?)")
            .bind(&app.id)
            .bind(&app.name)
            .bind(app.max_ttl_seconds)
            .bind(app.created_at)
            .execute(&self.writer)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("app")
                } else {
                    db(e)
                }
            })?;
        Ok(())
    }

    async fn get_app(&self, id: &str) -> StoreResult<Option<AppRec>> {
        sqlx::query_as("SELECT * FROM apps WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn set_app_ttl_ceiling(&self, id: &str, max_ttl: Option<i64>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE apps SET max_ttl_seconds = ? WHERE id = ?")
            .bind(max_ttl)
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn insert_agent(&self, a: &AgentRec) -> StoreResult<()> {
        sqlx::query("INSERT INTO agents (id, app_id, name, status, created_at) VALUES (?,?,?,?,?)")
            .bind(&a.id)
            .bind(&a.app_id)
            .bind(&a.name)
            .bind(&a.status)
            .bind(a.created_at)
            .execute(&self.writer)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("agent")
                } else {
                    db(e)
                }
            })?;
        Ok(())
    }

    async fn get_agent(&self, app_id: &str, id: &str) -> StoreResult<Option<AgentRec>> {
        sqlx::query_as("SELECT * FROM agents WHERE id = ? AND app_id = ?")
            .bind(id)
            .bind(app_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn set_agent_status(&self, app_id: &str, id: &str, status: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE agents SET status = ? WHERE id = ? AND app_id = ?")
            .bind(status)
            .bind(id)
            .bind(app_id)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn insert_key(&self, k: &KeyRec) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, app_id, key_hash, kind, agent_id, actor_id, status, \
             created_at) VALUES (?,?,?,?,?,?,?,?)",
        )
        .bind(&k.id)
        .bind(&k.app_id)
        .bind(&k.key_hash)
        .bind(&k.kind)
        .bind(&k.agent_id)
        .bind(&k.actor_id)
        .bind(&k.status)
        .bind(k.created_at)
        .execute(&self.writer)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("api_key")
            } else {
                db(e)
            }
        })?;
        Ok(())
    }

    async fn find_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<KeyRec>> {
        sqlx::query_as("SELECT * FROM api_keys WHERE key_hash = ?")
            .bind(key_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn set_key_status(&self, app_id: &str, key_id: &str, status: &str) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE api_keys SET status = ? WHERE id = ? AND app_id = ?")
            .bind(status)
            .bind(key_id)
            .bind(app_id)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn insert_idp(&self, i: &IdpRec) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO idps (id, app_id, issuer, audience, hs256_secret, jwks_file, jwks_url, \
             groups_claim, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        )
        .bind(&i.id)
        .bind(&i.app_id)
        .bind(&i.issuer)
        .bind(&i.audience)
        .bind(&i.hs256_secret)
        .bind(&i.jwks_file)
        .bind(&i.jwks_url)
        .bind(&i.groups_claim)
        .bind(i.created_at)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_idp(&self, app_id: &str, id: &str) -> StoreResult<Option<IdpRec>> {
        sqlx::query_as("SELECT * FROM idps WHERE id = ? AND app_id = ?")
            .bind(id)
            .bind(app_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn list_idps(&self, app_id: &str) -> StoreResult<Vec<IdpRec>> {
        sqlx::query_as("SELECT * FROM idps WHERE app_id = ? ORDER BY created_at, id")
            .bind(app_id)
            .fetch_all(&self.reader)
            .await
            .map_err(db)
    }

    async fn upsert_app_user(
        &self,
        app_id: &str,
        idp_id: &str,
        sub: &str,
        email: Option<&str>,
        now: i64,
    ) -> StoreResult<String> {
        if let Some(id) =
            sqlx::query_scalar("SELECT id FROM app_users WHERE idp_id = ? AND sub = ?")
                .bind(idp_id)
                .bind(sub)
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?
        {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO app_users (id, app_id, idp_id, sub, email, created_at) VALUES (?,?,?,?,?,?) \
             ON CONFLICT(idp_id, sub) DO NOTHING",
        )
        .bind(&id)
        .bind(app_id)
        .bind(idp_id)
        .bind(sub)
        .bind(email)
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        sqlx::query_scalar("SELECT id FROM app_users WHERE idp_id = ? AND sub = ?")
            .bind(idp_id)
            .bind(sub)
            .fetch_one(&self.writer)
            .await
            .map_err(db)
    }

    async fn upsert_group(
        &self,
        app_id: &str,
        idp_id: &str,
        external_group_id: &str,
        now: i64,
    ) -> StoreResult<String> {
        if let Some(id) =
            sqlx::query_scalar("SELECT id FROM groups WHERE idp_id = ? AND external_group_id = ?")
                .bind(idp_id)
                .bind(external_group_id)
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?
        {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO groups (id, app_id, idp_id, external_group_id, created_at) \
             VALUES (?,?,?,?,?) ON CONFLICT(idp_id, external_group_id) DO NOTHING",
        )
        .bind(&id)
        .bind(app_id)
        .bind(idp_id)
        .bind(external_group_id)
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        sqlx::query_scalar("SELECT id FROM groups WHERE idp_id = ? AND external_group_id = ?")
            .bind(idp_id)
            .bind(external_group_id)
            .fetch_one(&self.writer)
            .await
            .map_err(db)
    }

    async fn find_group_ids(
        &self,
        idp_id: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if external_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT id FROM groups WHERE idp_id = ");
        qb.push_bind(idp_id).push(" AND external_group_id IN (");
        let mut sep = qb.separated(", ");
        for e in external_ids {
            sep.push_bind(e);
        }
        qb.push(")");
        qb.build_query_scalar()
            .fetch_all(&self.reader)
            .await
            .map_err(db)
    }

    async fn insert_managed_secret(&self, m: &ManagedSecretRec) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO managed_secrets (id, app_id, slug, name, created_at) VALUES (?,?,?,?,?)",
        )
        .bind(&m.id)
        .bind(&m.app_id)
        .bind(&m.slug)
        .bind(&m.name)
        .bind(m.created_at)
        .execute(&self.writer)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("managed_secret")
            } else {
                db(e)
            }
        })?;
        Ok(())
    }

    async fn get_managed_secret(
        &self,
        app_id: &str,
        id: &str,
    ) -> StoreResult<Option<ManagedSecretRec>> {
        sqlx::query_as("SELECT * FROM managed_secrets WHERE id = ? AND app_id = ?")
            .bind(id)
            .bind(app_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)
    }

    async fn insert_credential(&self, c: &CredentialRec) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO credentials (id, managed_secret_id, app_id, label, kind, value_enc, status, \
             created_at) VALUES (?,?,?,?,?,?,?,?)",
        )
        .bind(&c.id)
        .bind(&c.managed_secret_id)
        .bind(&c.app_id)
        .bind(&c.label)
        .bind(&c.kind)
        .bind(&c.value_enc)
        .bind(&c.status)
        .bind(c.created_at)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_credentials(&self, managed_secret_id: &str) -> StoreResult<Vec<CredentialRec>> {
        sqlx::query_as(
            "SELECT * FROM credentials WHERE managed_secret_id = ? ORDER BY created_at, id",
        )
        .bind(managed_secret_id)
        .fetch_all(&self.reader)
        .await
        .map_err(db)
    }

    async fn create_grant(&self, g: &GrantRec, audit: &AuditRec) -> StoreResult<()> {
        let mut tx = self.writer.begin().await.map_err(db)?;
        if let Some(key) = &g.sibling_key {
            // An expired sibling no longer holds its label.
            sqlx::query(
                "UPDATE grants SET sibling_key = NULL WHERE sibling_key = ? \
                 AND grant_expires_at IS NOT NULL AND grant_expires_at <= ?",
            )
            .bind(key)
            .bind(g.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        if let Err(e) = Self::insert_grant_tx(&mut tx, g).await {
            return Err(if is_unique_violation(&e) {
                StoreError::Conflict("sibling_label")
            } else {
                db(e)
            });
        }
        self.pause_in_transaction().await;
        Self::bump_count(&mut tx, &g.app_id, 1).await.map_err(db)?;
        Self::insert_audit_tx(&mut tx, audit).await.map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn get_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<GrantView>> {
        sqlx::query_as(&format!(
            "{GRANT_VIEW_SELECT} WHERE g.id = ? AND g.app_id = ?"
        ))
        .bind(id)
        .bind(app_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)
    }

    async fn revoke_grant(
        &self,
        app_id: &str,
        id: &str,
        reason: Option<&str>,
        audit: &AuditRec,
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await.map_err(db)?;
        let r = sqlx::query(
            "UPDATE grants SET revoked_at = ?, revoke_reason = ?, sibling_key = NULL \
             WHERE id = ? AND app_id = ? AND revoked_at IS NULL",
        )
        .bind(audit.at)
        .bind(reason)
        .bind(id)
        .bind(app_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        self.pause_in_transaction().await;
        Self::insert_audit_tx(&mut tx, audit).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn list_grants(&self, q: &ListQuery) -> StoreResult<(Vec<GrantView>, i64)> {
        // Page: pick the ids through the covering indexes, then join the few rows of the page.
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "{GRANT_VIEW_SELECT} JOIN (SELECT id AS pid FROM grants"
        ));
        push_list_filters(&mut qb, q);
        qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(q.limit)
            .push(" OFFSET ")
            .push_bind(q.offset)
            .push(") p ON p.pid = g.id ORDER BY g.created_at DESC, g.id DESC");
        let rows: Vec<GrantView> = qb
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(db)?;

        let total: i64 = if unfiltered(q) {
            sqlx::query_scalar(
                "SELECT COALESCE((SELECT n FROM app_grant_counts WHERE app_id = ?), 0)",
            )
            .bind(&q.app_id)
            .fetch_one(&self.reader)
            .await
            .map_err(db)?
        } else if (rows.len() as i64) < q.limit && (q.offset == 0 || !rows.is_empty()) {
            // The page is the tail: no need to count.
            q.offset + rows.len() as i64
        } else {
            let mut cq = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM grants");
            push_list_filters(&mut cq, q);
            cq.build_query_scalar()
                .fetch_one(&self.reader)
                .await
                .map_err(db)?
        };
        Ok((rows, total))
    }

    async fn seed_grants(&self, grants: &[GrantRec]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await.map_err(db)?;
        let mut per_app: std::collections::HashMap<&str, i64> = Default::default();
        for g in grants {
            Self::insert_grant_tx(&mut tx, g).await.map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict("sibling_label")
                } else {
                    db(e)
                }
            })?;
            *per_app.entry(g.app_id.as_str()).or_default() += 1;
        }
        for (app, n) in per_app {
            Self::bump_count(&mut tx, app, n).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn list_audit(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<AuditRec>> {
        sqlx::query_as(
            "SELECT id, app_id, actor, action, grant_id, principal_type, principal, label, reason, at \
             FROM audit_log WHERE app_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
        )
        .bind(app_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.reader)
        .await
        .map_err(db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool may close its connection (a query cut off, a connection found broken) and open a
    /// new one: an in-memory database must still be there when it does.
    #[tokio::test]
    async fn an_in_memory_database_outlives_its_pooled_connection() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        store.meta_set("k", b"v").await.unwrap();
        store.writer.acquire().await.unwrap().close().await.unwrap();
        assert_eq!(
            store.meta_get("k").await.unwrap().as_deref(),
            Some(&b"v"[..])
        );
    }
}
