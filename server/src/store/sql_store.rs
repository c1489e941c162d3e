//! The store, once for both engines: every statement written here with `?` placeholders, run
//! through [`Engine`] (SQLite or PostgreSQL). Writes of the hot path go through group commit
//! ([`super::batch`]); grant counts are kept per scope ([`super::counts`]).

use super::batch::{BatchWriter, GroupCommit, WriteOp};
use super::counts::{self, ALL, Deltas};
use super::sql::{Arg, Engine, ROWS, ROWS_AS_V, Row, Stmt, Tx, decode_all, stmt};
use super::*;
use crate::fault::{FaultStage, Faults};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A store on one database (SQLite or PostgreSQL).
pub struct SqlStore {
    engine: Arc<dyn Engine>,
    writes: GroupCommit,
    faults: Option<Arc<Faults>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("engine", &self.engine.kind())
            .finish_non_exhaustive()
    }
}

const GRANT_COLUMNS: &str = "id, app_id, kind, provider_slug, managed_secret_id, credential_id, \
     principal_type, principal_ref, principal_subject, idp_id, label, sibling_key, \
     account_identifier, account_display_name, scopes, grant_policy, grant_expires_at, \
     created_at, revoked_at, revoke_reason, created_by, parent_grant_id, root_grant_id, depth, \
     delegable, scope_constraint, chain_agents, grant_tags";

const GRANT_VIEW_SELECT: &str = "SELECT g.*, ms.slug AS ms_slug, ms.name AS ms_name, \
     c.label AS credential_label, c.kind AS credential_kind FROM grants g \
     LEFT JOIN managed_secrets ms ON ms.id = g.managed_secret_id \
     LEFT JOIN credentials c ON c.id = g.credential_id";

fn grant_args(g: &GrantRec) -> Vec<Arg> {
    vec![
        (&g.id).into(),
        (&g.app_id).into(),
        (&g.kind).into(),
        (&g.provider_slug).into(),
        (&g.managed_secret_id).into(),
        (&g.credential_id).into(),
        (&g.principal_type).into(),
        (&g.principal_ref).into(),
        (&g.principal_subject).into(),
        (&g.idp_id).into(),
        (&g.label).into(),
        (&g.sibling_key).into(),
        (&g.account_identifier).into(),
        (&g.account_display_name).into(),
        (&g.scopes).into(),
        (&g.grant_policy).into(),
        g.grant_expires_at.into(),
        g.created_at.into(),
        g.revoked_at.into(),
        (&g.revoke_reason).into(),
        (&g.created_by).into(),
        (&g.chain.parent_grant_id).into(),
        (&g.chain.root_grant_id).into(),
        g.chain.depth.into(),
        g.chain.delegable.into(),
        (&g.chain.scope_constraint).into(),
        (&g.chain.chain_agents).into(),
        (&g.chain.grant_tags).into(),
    ]
}

fn audit_args(a: &AuditRec) -> Vec<Arg> {
    vec![
        (&a.id).into(),
        (&a.app_id).into(),
        (&a.actor).into(),
        (&a.action).into(),
        (&a.grant_id).into(),
        (&a.principal_type).into(),
        (&a.principal).into(),
        (&a.label).into(),
        (&a.reason).into(),
        a.at.into(),
    ]
}

/// A conflict of any unique rule, named `what`.
fn conflict_as(what: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(what),
        other => other,
    }
}

/// Moves the change counter (inside the transaction that made the change).
fn bump_changes() -> Stmt {
    stmt!("UPDATE changes SET seq = seq + 1 WHERE id = 1")
}

/// Inserts grants (`ON CONFLICT DO NOTHING`); returns the ids that went in.
async fn insert_grants(tx: &mut dyn Tx, grants: &[&GrantRec]) -> StoreResult<HashSet<String>> {
    let mut inserted = HashSet::new();
    let s = Stmt::with_rows(
        &format!("INSERT INTO grants ({GRANT_COLUMNS}) {ROWS} ON CONFLICT DO NOTHING RETURNING id"),
        grants.iter().map(|g| grant_args(g)).collect(),
    );
    for row in tx.fetch(s).await? {
        inserted.insert(row.text(0)?.unwrap_or_default());
    }
    Ok(inserted)
}

async fn insert_audits(tx: &mut dyn Tx, audits: &[&AuditRec]) -> StoreResult<()> {
    let s = Stmt::with_rows(
        &format!(
            "INSERT INTO audit_log (id, app_id, actor, action, grant_id, principal_type, \
             principal, label, reason, at) {ROWS}"
        ),
        audits.iter().map(|a| audit_args(a)).collect(),
    );
    tx.execute(s).await?;
    Ok(())
}

/// Applies count changes: the apps' rows first (locking them and reading each app's watermark),
/// then the grants in `maybe_expired` whose expiry is at or before their app's watermark are
/// counted expired too, then every other row; all in lock order (see [`counts`]).
async fn apply_counts(
    tx: &mut dyn Tx,
    mut deltas: Deltas,
    maybe_expired: &[&GrantRec],
) -> StoreResult<()> {
    let apps: Vec<(String, [i64; 3])> = deltas.apps().map(|(a, d)| (a.to_string(), d)).collect();
    let mut watermark: HashMap<String, i64> = HashMap::new();
    let s = Stmt::with_rows(
        &format!(
            "INSERT INTO grant_counts (app_id, dim, value, total, revoked, expired, watermark) \
             {ROWS} ON CONFLICT (app_id, dim, value) DO UPDATE SET \
             total = grant_counts.total + excluded.total, \
             revoked = grant_counts.revoked + excluded.revoked, \
             expired = grant_counts.expired + excluded.expired \
             RETURNING app_id, watermark"
        ),
        apps.iter()
            .map(|(app, d)| {
                vec![
                    app.into(),
                    ALL.into(),
                    "".into(),
                    d[0].into(),
                    d[1].into(),
                    d[2].into(),
                    Arg::Int(None),
                ]
            })
            .collect(),
    );
    for row in tx.fetch(s).await? {
        if let (Some(app), Some(w)) = (row.text(0)?, row.int(1)?) {
            watermark.insert(app, w);
        }
    }
    // Grants already expired by their app's watermark (a clock ahead of this one moved it).
    let mut late: HashMap<String, i64> = HashMap::new();
    for g in maybe_expired {
        if let (Some(e), Some(w)) = (g.grant_expires_at, watermark.get(&g.app_id))
            && e <= *w
        {
            *late.entry(g.app_id.clone()).or_default() += 1;
            for (dim, value) in counts::scopes(g) {
                deltas.add(&g.app_id, dim, &value, [0, 0, 1]);
            }
        }
    }
    for (app, n) in late {
        tx.execute(stmt!(
            "UPDATE grant_counts SET expired = expired + ? WHERE app_id = ? AND dim = '' AND value = ''",
            n,
            app
        ))
        .await?;
    }
    let others: Vec<Vec<Arg>> = deltas
        .others()
        .map(|(app, dim, value, d)| {
            vec![
                app.into(),
                dim.into(),
                value.into(),
                d[0].into(),
                d[1].into(),
                d[2].into(),
                Arg::Int(None),
            ]
        })
        .collect();
    let s = Stmt::with_rows(
        &format!(
            "INSERT INTO grant_counts (app_id, dim, value, total, revoked, expired, watermark) \
             {ROWS} ON CONFLICT (app_id, dim, value) DO UPDATE SET \
             total = grant_counts.total + excluded.total, \
             revoked = grant_counts.revoked + excluded.revoked, \
             expired = grant_counts.expired + excluded.expired"
        ),
        others,
    );
    tx.execute(s).await?;
    Ok(())
}

/// Holds the row of the root of `id`'s delegation chain until the transaction ends, so the
/// writes of one chain (delegations, revokes) take turns: a cascade revoke then sees every
/// delegation committed before it, and a delegation after it sees its parent revoked. SQLite
/// needs nothing: its write transactions (`BEGIN IMMEDIATE`) already take turns.
async fn lock_chain(
    tx: &mut dyn Tx,
    engine: super::Engine,
    app_id: &str,
    id: &str,
) -> StoreResult<()> {
    if engine == super::Engine::Postgres {
        tx.fetch(stmt!(
            "SELECT id FROM grants WHERE id = \
             (SELECT COALESCE(root_grant_id, id) FROM grants WHERE id = ? AND app_id = ?) \
             FOR UPDATE",
            id,
            app_id
        ))
        .await?;
    }
    Ok(())
}

/// Counts `revoked` (grants of `app_id` revoked in this transaction): the app's row first (its
/// watermark says which of them were counted expired), then their other scopes.
async fn count_revoked(tx: &mut dyn Tx, app_id: &str, revoked: &[GrantRec]) -> StoreResult<()> {
    let rows = tx
        .fetch(stmt!(
            "INSERT INTO grant_counts (app_id, dim, value, total, revoked, expired, watermark) \
             VALUES (?, '', '', 0, ?, 0, NULL) ON CONFLICT (app_id, dim, value) DO UPDATE \
             SET revoked = grant_counts.revoked + excluded.revoked RETURNING watermark",
            app_id,
            revoked.len() as i64
        ))
        .await?;
    let watermark = rows.first().map(|r| r.int(0)).transpose()?.flatten();
    let mut deltas = Deltas::default();
    let mut expired = 0i64;
    for g in revoked {
        let was_expired = matches!((g.grant_expires_at, watermark), (Some(e), Some(w)) if e <= w);
        expired += was_expired as i64;
        for (dim, value) in counts::scopes(g) {
            deltas.add(app_id, dim, &value, [0, 1, -(was_expired as i64)]);
        }
    }
    if expired > 0 {
        tx.execute(stmt!(
            "UPDATE grant_counts SET expired = expired - ? \
             WHERE app_id = ? AND dim = '' AND value = ''",
            expired,
            app_id
        ))
        .await?;
    }
    apply_counts(tx, deltas, &[]).await
}

/// Runs the hot-path writes of one batch in one transaction.
struct Writer {
    engine: Arc<dyn Engine>,
}

#[async_trait]
impl BatchWriter for Writer {
    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<Vec<StoreResult<bool>>> {
        let mut answers: Vec<Option<StoreResult<bool>>> = (0..ops.len()).map(|_| None).collect();
        let mut tx = self.engine.begin_write().await?;

        // Nonces (of nonce ops and of creates): one insert; a row comes back when the nonce is
        // fresh. A digest twice in one batch is a replay the second time.
        let nonce_of = |op: &WriteOp| match op {
            WriteOp::Nonce { digest, expires_at } => Some((*digest, *expires_at)),
            WriteOp::Create { nonce, .. } => *nonce,
        };
        let mut first: HashMap<[u8; 16], usize> = HashMap::new();
        let mut replayed: HashSet<usize> = HashSet::new();
        for (i, op) in ops.iter().enumerate() {
            if let Some((digest, _)) = nonce_of(op) {
                match first.entry(digest) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        replayed.insert(i);
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(i);
                    }
                }
            }
        }
        let unique: Vec<usize> = first.values().copied().collect();
        let s = Stmt::with_rows(
            &format!(
                "INSERT INTO nonces (expires_at, digest) {ROWS} \
                 ON CONFLICT (expires_at, digest) DO NOTHING RETURNING digest"
            ),
            unique
                .iter()
                .map(|&i| {
                    let (digest, expires_at) = nonce_of(&ops[i]).expect("a nonce");
                    vec![expires_at.into(), digest.to_vec().into()]
                })
                .collect(),
        );
        let fresh: HashSet<Vec<u8>> = tx
            .fetch(s)
            .await?
            .iter()
            .filter_map(|r| r.bytes(0).ok().flatten())
            .collect();
        for &i in &unique {
            let (digest, _) = nonce_of(&ops[i]).expect("a nonce");
            if !fresh.contains(&digest[..]) {
                replayed.insert(i);
            }
        }
        for (i, op) in ops.iter().enumerate() {
            match op {
                WriteOp::Nonce { .. } => answers[i] = Some(Ok(!replayed.contains(&i))),
                WriteOp::Create { .. } if replayed.contains(&i) => {
                    answers[i] = Some(Err(StoreError::Replay))
                }
                WriteOp::Create { .. } => {}
            }
        }

        // Creates, in sibling-key order (the same order on every instance: fewer lock waits).
        let mut creates: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(i, op)| matches!(op, WriteOp::Create { .. }) && !replayed.contains(i))
            .map(|(i, _)| i)
            .collect();
        if !creates.is_empty() {
            let grant = |i: usize| match &ops[i] {
                WriteOp::Create { grant, .. } => grant.as_ref(),
                WriteOp::Nonce { .. } => unreachable!("creates only"),
            };
            creates.sort_by(|a, b| {
                let (ka, kb) = (&grant(*a).sibling_key, &grant(*b).sibling_key);
                (ka.is_none(), ka).cmp(&(kb.is_none(), kb))
            });
            // An expired sibling gives its label up first.
            let labelled: Vec<&GrantRec> = creates
                .iter()
                .map(|&i| grant(i))
                .filter(|g| g.sibling_key.is_some())
                .collect();
            let s = Stmt::with_rows(
                &format!(
                    "UPDATE grants SET sibling_key = NULL FROM {ROWS_AS_V} \
                     WHERE grants.sibling_key = v.column1 \
                     AND grants.grant_expires_at IS NOT NULL \
                     AND grants.grant_expires_at <= v.column2"
                ),
                labelled
                    .iter()
                    .map(|g| vec![(&g.sibling_key).into(), g.created_at.into()])
                    .collect(),
            );
            tx.execute(s).await?;
            let grants: Vec<&GrantRec> = creates.iter().map(|&i| grant(i)).collect();
            let inserted = insert_grants(tx.as_mut(), &grants).await?;
            let pause = creates
                .iter()
                .filter_map(|&i| match &ops[i] {
                    WriteOp::Create { pause, .. } => *pause,
                    WriteOp::Nonce { .. } => None,
                })
                .max();
            if let Some(d) = pause {
                tokio::time::sleep(d).await;
            }
            let mut audits = Vec::new();
            let mut deltas = Deltas::default();
            let mut made = Vec::new();
            for &i in &creates {
                if let WriteOp::Create { grant, audit, .. } = &ops[i] {
                    if inserted.contains(&grant.id) {
                        audits.push(audit.as_ref());
                        deltas.add_grant(grant, [1, 0, 0]);
                        made.push(grant.as_ref());
                        answers[i] = Some(Ok(true));
                    } else {
                        answers[i] = Some(Err(StoreError::Conflict("sibling_label")));
                    }
                }
            }
            insert_audits(tx.as_mut(), &audits).await?;
            apply_counts(tx.as_mut(), deltas, &made).await?;
        }
        tx.commit().await?;
        Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or(Err(StoreError::Db("no answer".into()))))
            .collect())
    }
}

impl SqlStore {
    /// A store over `engine`; starts its group-commit writer on the current runtime.
    pub(crate) fn new(engine: Arc<dyn Engine>, faults: Option<Arc<Faults>>) -> SqlStore {
        let writes = GroupCommit::start(Arc::new(Writer {
            engine: engine.clone(),
        }));
        SqlStore {
            engine,
            writes,
            faults,
        }
    }

    /// Which engine this store runs on.
    pub fn engine(&self) -> super::Engine {
        self.engine.kind()
    }

    fn pause_delay(&self) -> Option<std::time::Duration> {
        self.faults
            .as_ref()
            .and_then(|f| f.delay(FaultStage::Transaction))
    }

    async fn fetch_one_opt<T>(&self, s: Stmt) -> StoreResult<Option<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        self.engine
            .fetch(s)
            .await?
            .first()
            .map(Row::decode)
            .transpose()
    }

    /// Runs `change` and moves the change counter, in one transaction; returns the rows the
    /// change touched.
    async fn change(&self, change: Stmt) -> StoreResult<u64> {
        let mut tx = self.engine.begin_write().await?;
        let n = tx.execute(change).await?;
        if n > 0 {
            tx.execute(bump_changes()).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// Appends the WHERE clause of a listing (everything but order and paging), with the principal
/// condition given (or the visibility's when `None`).
fn push_filters(s: &mut Stmt, q: &ListQuery, principal: Option<&(String, String)>) {
    s.sql(" WHERE app_id = ").arg(&q.app_id);
    match (principal, &q.visibility) {
        (Some((t, r)), _) => {
            s.sql(" AND principal_type = ")
                .arg(t.as_str())
                .sql(" AND principal_ref = ")
                .arg(r.as_str());
        }
        (None, Visibility::App) => {}
        (None, Visibility::Agent { agent_id }) => {
            s.sql(" AND principal_type = 'agent' AND principal_ref = ")
                .arg(agent_id);
        }
        (None, Visibility::User { user_id, group_ids }) => {
            s.sql(" AND ((principal_type = 'user' AND principal_ref = ")
                .arg(user_id)
                .sql(")");
            if !group_ids.is_empty() {
                s.sql(" OR (principal_type = 'group' AND principal_ref IN ")
                    .tuple(group_ids.iter().map(Arg::from))
                    .sql(")");
            }
            s.sql(")");
        }
    }
    if let Some(p) = &q.provider {
        s.sql(" AND provider_slug = ").arg(p);
    }
    if let Some(a) = &q.account {
        s.sql(" AND account_identifier = ").arg(a);
    }
    if let Some(l) = &q.label {
        s.sql(" AND label = ").arg(l);
    }
    match q.status {
        None => {}
        Some(StatusFilter::Revoked) => {
            s.sql(" AND revoked_at IS NOT NULL");
        }
        Some(StatusFilter::Active) => {
            s.sql(" AND revoked_at IS NULL AND (grant_expires_at IS NULL OR grant_expires_at > ")
                .arg(q.now)
                .sql(")");
        }
        Some(StatusFilter::Expired) => {
            s.sql(" AND revoked_at IS NULL AND grant_expires_at <= ")
                .arg(q.now);
        }
    }
}

// The app check in the two lookups by parent below is written `app_id || '' = ?` so that it is
// not an index term: as `app_id = ?`, SQLite's planner walked the app's whole `grants_app_order`
// range (every grant of the app) instead of the few rows under `grants_parent`, and a listing's
// first page at 1M grants took 470 ms instead of 3 ms (`make bench`; the test below).

/// The live delegations under some of an app's grants: (parent id, delegated agent id).
pub(super) fn delegated_agents_stmt(app_id: &str, parent_ids: &[String]) -> Stmt {
    let mut s = Stmt::new(
        "SELECT parent_grant_id, principal_ref FROM grants WHERE revoked_at IS NULL \
         AND app_id || '' = ",
    );
    s.arg(app_id).sql(" AND parent_grant_id IN ");
    s.tuple(parent_ids.iter().map(Arg::from));
    s.sql(" ORDER BY created_at, id");
    s
}

/// An agent's live delegation under a grant, the newest first.
pub(super) fn find_delegation_stmt(app_id: &str, parent_id: &str, agent_id: &str) -> Stmt {
    stmt!(
        &format!(
            "SELECT {GRANT_COLUMNS} FROM grants WHERE parent_grant_id = ? AND principal_ref = ? \
             AND app_id || '' = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC"
        ),
        parent_id,
        agent_id,
        app_id
    )
}

/// The ids of one page, newest first. A user's listing reads each principal's index range
/// separately and merges them (an `OR` over principals would sort every match).
fn page_ids(q: &ListQuery) -> Stmt {
    let order = " ORDER BY created_at DESC, id DESC";
    match &q.visibility {
        Visibility::User { user_id, group_ids } if !group_ids.is_empty() => {
            let mut principals = vec![("user".to_string(), user_id.clone())];
            principals.extend(group_ids.iter().map(|g| ("group".to_string(), g.clone())));
            let mut s = Stmt::new("SELECT pid FROM (");
            for (i, p) in principals.iter().enumerate() {
                if i > 0 {
                    s.sql(" UNION ALL ");
                }
                s.sql("SELECT pid, pc FROM (SELECT id AS pid, created_at AS pc FROM grants");
                push_filters(&mut s, q, Some(p));
                s.sql(order)
                    .sql(" LIMIT ")
                    .arg(q.offset + q.limit)
                    .sql(&format!(") AS s{i}"));
            }
            s.sql(") AS u ORDER BY pc DESC, pid DESC LIMIT ")
                .arg(q.limit)
                .sql(" OFFSET ")
                .arg(q.offset);
            s
        }
        _ => {
            let mut s = Stmt::new("SELECT id AS pid FROM grants");
            push_filters(&mut s, q, None);
            s.sql(order)
                .sql(" LIMIT ")
                .arg(q.limit)
                .sql(" OFFSET ")
                .arg(q.offset);
            s
        }
    }
}

/// The condition selecting a count scope's grants (for the expiries between watermark and now).
fn push_scope(s: &mut Stmt, scope: &counts::CountScope) {
    match scope.dim {
        "provider" => {
            s.sql(" AND provider_slug IN ")
                .tuple(scope.values.iter().map(Arg::from));
        }
        "label" => {
            s.sql(" AND label IN ")
                .tuple(scope.values.iter().map(Arg::from));
        }
        "account" => {
            s.sql(" AND account_identifier IN ")
                .tuple(scope.values.iter().map(Arg::from));
        }
        "principal" => {
            s.sql(" AND (");
            for (i, v) in scope.values.iter().enumerate() {
                let (t, r) = v.split_once(':').unwrap_or((v, ""));
                if i > 0 {
                    s.sql(" OR ");
                }
                s.sql("(principal_type = ")
                    .arg(t)
                    .sql(" AND principal_ref = ")
                    .arg(r)
                    .sql(")");
            }
            s.sql(")");
        }
        _ => {}
    }
}

/// The unrevoked grants of `scope` that expired between the app's watermark and now (negative
/// when now is before the watermark), counted from the expiry index.
async fn expired_since(
    tx: &mut dyn Tx,
    q: &ListQuery,
    scope: &counts::CountScope,
    watermark: Option<i64>,
) -> StoreResult<i64> {
    let (lo, hi, sign) = match watermark {
        Some(w) if q.now < w => (Some(q.now), w, -1),
        w => (w, q.now, 1),
    };
    let mut c = Stmt::new("SELECT COUNT(*) FROM grants WHERE app_id = ");
    c.arg(&q.app_id)
        .sql(" AND revoked_at IS NULL AND grant_expires_at IS NOT NULL AND grant_expires_at <= ")
        .arg(hi);
    if let Some(lo) = lo {
        c.sql(" AND grant_expires_at > ").arg(lo);
    }
    push_scope(&mut c, scope);
    let n = tx
        .fetch(c)
        .await?
        .first()
        .map(|r| r.int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    Ok(sign * n)
}

/// The exact total of `q` from the counts (see [`counts`]), inside the listing's snapshot.
async fn counted_total(
    tx: &mut dyn Tx,
    q: &ListQuery,
    scope: &counts::CountScope,
) -> StoreResult<i64> {
    let mut s = Stmt::new(
        "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT), CAST(COALESCE(SUM(revoked), 0) AS BIGINT), \
         CAST(COALESCE(SUM(expired), 0) AS BIGINT), \
         (SELECT watermark FROM grant_counts WHERE app_id = ",
    );
    s.arg(&q.app_id)
        .sql(" AND dim = '' AND value = '') FROM grant_counts WHERE app_id = ")
        .arg(&q.app_id)
        .sql(" AND dim = ")
        .arg(scope.dim)
        .sql(" AND value IN ")
        .tuple(scope.values.iter().map(Arg::from));
    let rows = tx.fetch(s).await?;
    let row = rows.first();
    let get =
        |i| -> StoreResult<i64> { Ok(row.map(|r| r.int(i)).transpose()?.flatten().unwrap_or(0)) };
    let (total, revoked, swept) = (get(0)?, get(1)?, get(2)?);
    let watermark = row.map(|r| r.int(3)).transpose()?.flatten();
    Ok(match q.status {
        None => total,
        Some(StatusFilter::Revoked) => revoked,
        Some(StatusFilter::Expired) => swept + expired_since(tx, q, scope, watermark).await?,
        Some(StatusFilter::Active) => {
            total - revoked - swept - expired_since(tx, q, scope, watermark).await?
        }
    })
}

#[async_trait]
impl Store for SqlStore {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let rows = self
            .engine
            .fetch(stmt!("SELECT value FROM meta WHERE key = ?", key))
            .await?;
        rows.first()
            .map(|r| r.bytes(0))
            .transpose()
            .map(Option::flatten)
    }

    async fn meta_set(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO meta (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key,
                value
            ))
            .await?;
        Ok(())
    }

    async fn meta_init(&self, key: &str, value: &[u8]) -> StoreResult<Vec<u8>> {
        self.engine
            .execute(stmt!(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                key,
                value
            ))
            .await?;
        let rows = self
            .engine
            .fetch_writing(stmt!("SELECT value FROM meta WHERE key = ?", key))
            .await?;
        rows.first()
            .map(|r| r.bytes(0))
            .transpose()?
            .flatten()
            .ok_or_else(|| StoreError::Db(format!("meta {key} vanished")))
    }

    async fn close(&self) {
        self.engine.close().await;
    }

    async fn change_seq(&self) -> StoreResult<i64> {
        let rows = self
            .engine
            .fetch(stmt!("SELECT seq FROM changes WHERE id = 1"))
            .await?;
        Ok(rows
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .flatten()
            .unwrap_or(0))
    }

    fn is_private(&self) -> bool {
        self.engine.is_private()
    }

    async fn remember_nonce(&self, digest: [u8; 16], expires_at: i64) -> StoreResult<bool> {
        // Queued with the creates: a nonce alone shares their transaction.
        self.writes
            .submit(WriteOp::Nonce { digest, expires_at })
            .await
    }

    async fn sweep_nonces(&self, before: i64) -> StoreResult<u64> {
        // A prefix of the index (run every second, it is about a second's worth of nonces).
        self.engine
            .execute(stmt!("DELETE FROM nonces WHERE expires_at < ?", before))
            .await
    }

    async fn insert_app(&self, app: &AppRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO apps (id, name, max_ttl_seconds, created_at) VALUES (?, ?, ?, ?)",
                &app.id,
                &app.name,
                app.max_ttl_seconds,
                app.created_at
            ))
            .await
            .map_err(conflict_as("app"))?;
        Ok(())
    }

    async fn get_app(&self, id: &str) -> StoreResult<Option<AppRec>> {
        self.fetch_one_opt(stmt!("SELECT * FROM apps WHERE id = ?", id))
            .await
    }

    async fn set_app_ttl_ceiling(&self, id: &str, max_ttl: Option<i64>) -> StoreResult<bool> {
        let n = self
            .change(stmt!(
                "UPDATE apps SET max_ttl_seconds = ? WHERE id = ?",
                max_ttl,
                id
            ))
            .await?;
        Ok(n == 1)
    }

    async fn insert_agent(&self, a: &AgentRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO agents (id, app_id, name, status, created_at) VALUES (?, ?, ?, ?, ?)",
                &a.id,
                &a.app_id,
                &a.name,
                &a.status,
                a.created_at
            ))
            .await
            .map_err(conflict_as("agent"))?;
        Ok(())
    }

    async fn get_agent(&self, app_id: &str, id: &str) -> StoreResult<Option<AgentRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM agents WHERE id = ? AND app_id = ?",
            id,
            app_id
        ))
        .await
    }

    async fn set_agent_status(&self, app_id: &str, id: &str, status: &str) -> StoreResult<bool> {
        let n = self
            .change(stmt!(
                "UPDATE agents SET status = ? WHERE id = ? AND app_id = ?",
                status,
                id,
                app_id
            ))
            .await?;
        Ok(n == 1)
    }

    async fn insert_key(&self, k: &KeyRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO api_keys (id, app_id, key_hash, kind, agent_id, actor_id, status, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &k.id,
                &k.app_id,
                &k.key_hash,
                &k.kind,
                &k.agent_id,
                &k.actor_id,
                &k.status,
                k.created_at
            ))
            .await
            .map_err(conflict_as("api_key"))?;
        Ok(())
    }

    async fn find_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<KeyRec>> {
        self.fetch_one_opt(stmt!("SELECT * FROM api_keys WHERE key_hash = ?", key_hash))
            .await
    }

    async fn set_key_status(&self, app_id: &str, key_id: &str, status: &str) -> StoreResult<bool> {
        let n = self
            .change(stmt!(
                "UPDATE api_keys SET status = ? WHERE id = ? AND app_id = ?",
                status,
                key_id,
                app_id
            ))
            .await?;
        Ok(n == 1)
    }

    async fn insert_idp(&self, i: &IdpRec) -> StoreResult<()> {
        self.change(stmt!(
            "INSERT INTO idps (id, app_id, issuer, audience, hs256_secret, jwks_file, jwks_url, \
             groups_claim, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &i.id,
            &i.app_id,
            &i.issuer,
            &i.audience,
            &i.hs256_secret,
            &i.jwks_file,
            &i.jwks_url,
            &i.groups_claim,
            i.created_at
        ))
        .await?;
        Ok(())
    }

    async fn get_idp(&self, app_id: &str, id: &str) -> StoreResult<Option<IdpRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM idps WHERE id = ? AND app_id = ?",
            id,
            app_id
        ))
        .await
    }

    async fn list_idps(&self, app_id: &str) -> StoreResult<Vec<IdpRec>> {
        decode_all(
            self.engine
                .fetch(stmt!(
                    "SELECT * FROM idps WHERE app_id = ? ORDER BY created_at, id",
                    app_id
                ))
                .await?,
        )
    }

    async fn upsert_app_user(
        &self,
        app_id: &str,
        idp_id: &str,
        sub: &str,
        email: Option<&str>,
        now: i64,
    ) -> StoreResult<String> {
        let find = || {
            stmt!(
                "SELECT id FROM app_users WHERE idp_id = ? AND sub = ?",
                idp_id,
                sub
            )
        };
        if let Some(row) = self.engine.fetch(find()).await?.first() {
            return Ok(row.text(0)?.unwrap_or_default());
        }
        self.engine
            .execute(stmt!(
                "INSERT INTO app_users (id, app_id, idp_id, sub, email, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (idp_id, sub) DO NOTHING",
                uuid::Uuid::new_v4().to_string(),
                app_id,
                idp_id,
                sub,
                email,
                now
            ))
            .await?;
        let rows = self.engine.fetch_writing(find()).await?;
        Ok(rows
            .first()
            .map(|r| r.text(0))
            .transpose()?
            .flatten()
            .unwrap_or_default())
    }

    async fn upsert_group(
        &self,
        app_id: &str,
        idp_id: &str,
        external_group_id: &str,
        now: i64,
    ) -> StoreResult<String> {
        let find = || {
            stmt!(
                "SELECT id FROM groups WHERE idp_id = ? AND external_group_id = ?",
                idp_id,
                external_group_id
            )
        };
        if let Some(row) = self.engine.fetch(find()).await?.first() {
            return Ok(row.text(0)?.unwrap_or_default());
        }
        self.engine
            .execute(stmt!(
                "INSERT INTO groups (id, app_id, idp_id, external_group_id, created_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (idp_id, external_group_id) DO NOTHING",
                uuid::Uuid::new_v4().to_string(),
                app_id,
                idp_id,
                external_group_id,
                now
            ))
            .await?;
        let rows = self.engine.fetch_writing(find()).await?;
        Ok(rows
            .first()
            .map(|r| r.text(0))
            .transpose()?
            .flatten()
            .unwrap_or_default())
    }

    async fn find_group_ids(
        &self,
        idp_id: &str,
        external_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if external_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut s = Stmt::new("SELECT id FROM groups WHERE idp_id = ");
        s.arg(idp_id)
            .sql(" AND external_group_id IN ")
            .tuple(external_ids.iter().map(Arg::from));
        self.engine
            .fetch(s)
            .await?
            .iter()
            .map(|r| r.text(0).map(Option::unwrap_or_default))
            .collect()
    }

    async fn insert_managed_secret(&self, m: &ManagedSecretRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO managed_secrets (id, app_id, slug, name, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
                &m.id,
                &m.app_id,
                &m.slug,
                &m.name,
                m.created_at
            ))
            .await
            .map_err(conflict_as("managed_secret"))?;
        Ok(())
    }

    async fn get_managed_secret(
        &self,
        app_id: &str,
        id: &str,
    ) -> StoreResult<Option<ManagedSecretRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM managed_secrets WHERE id = ? AND app_id = ?",
            id,
            app_id
        ))
        .await
    }

    async fn insert_credential(&self, c: &CredentialRec) -> StoreResult<()> {
        self.change(stmt!(
            "INSERT INTO credentials (id, managed_secret_id, app_id, label, kind, value_enc, \
             status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            &c.id,
            &c.managed_secret_id,
            &c.app_id,
            &c.label,
            &c.kind,
            c.value_enc.clone(),
            &c.status,
            c.created_at
        ))
        .await?;
        Ok(())
    }

    async fn list_credentials(&self, managed_secret_id: &str) -> StoreResult<Vec<CredentialRec>> {
        decode_all(
            self.engine
                .fetch(stmt!(
                    "SELECT * FROM credentials WHERE managed_secret_id = ? ORDER BY created_at, id",
                    managed_secret_id
                ))
                .await?,
        )
    }

    async fn create_grant(
        &self,
        grant: &GrantRec,
        audit: &AuditRec,
        nonce: Option<([u8; 16], i64)>,
    ) -> StoreResult<()> {
        let ok = self
            .writes
            .submit(WriteOp::Create {
                grant: Box::new(grant.clone()),
                audit: Box::new(audit.clone()),
                nonce,
                pause: self.pause_delay(),
            })
            .await?;
        debug_assert!(ok);
        Ok(())
    }

    async fn get_grant(&self, app_id: &str, id: &str) -> StoreResult<Option<GrantView>> {
        self.fetch_one_opt(stmt!(
            &format!("{GRANT_VIEW_SELECT} WHERE g.id = ? AND g.app_id = ?"),
            id,
            app_id
        ))
        .await
    }

    async fn revoke_grant(
        &self,
        app_id: &str,
        id: &str,
        reason: Option<&str>,
        audit: &AuditRec,
    ) -> StoreResult<bool> {
        let pause = self.pause_delay();
        let mut tx = self.engine.begin_write().await?;
        lock_chain(tx.as_mut(), self.engine.kind(), app_id, id).await?;
        let rows = tx
            .fetch(stmt!(
                &format!(
                    "UPDATE grants SET revoked_at = ?, revoke_reason = ?, sibling_key = NULL \
                     WHERE id = ? AND app_id = ? AND revoked_at IS NULL RETURNING {GRANT_COLUMNS}"
                ),
                audit.at,
                reason,
                id,
                app_id
            ))
            .await?;
        let Some(g) = rows.first().map(Row::decode::<GrantRec>).transpose()? else {
            return Ok(false);
        };
        if let Some(d) = pause {
            tokio::time::sleep(d).await;
        }
        // Every delegation below it, at any depth, in this transaction.
        let cascade_reason = format!("cascade: grant {id} revoked");
        let below: Vec<GrantRec> = decode_all(
            tx.fetch(stmt!(
                &format!(
                    "WITH RECURSIVE sub(id) AS (SELECT id FROM grants WHERE parent_grant_id = ? \
                     UNION ALL SELECT c.id FROM grants c JOIN sub ON c.parent_grant_id = sub.id) \
                     UPDATE grants SET revoked_at = ?, revoke_reason = ?, sibling_key = NULL \
                     WHERE id IN (SELECT id FROM sub) AND revoked_at IS NULL \
                     RETURNING {GRANT_COLUMNS}"
                ),
                id,
                audit.at,
                &cascade_reason
            ))
            .await?,
        )?;
        let cascaded: Vec<AuditRec> = below
            .iter()
            .map(|c| AuditRec {
                id: crate::service::new_id(),
                app_id: app_id.to_string(),
                actor: audit.actor.clone(),
                action: "grant.revoke".into(),
                grant_id: Some(c.id.clone()),
                principal_type: Some(c.principal_type.clone()),
                principal: Some(format!("{}:{}", c.principal_type, c.principal_subject)),
                label: c.label.clone(),
                reason: Some(cascade_reason.clone()),
                at: audit.at,
            })
            .collect();
        let mut audits = vec![audit];
        audits.extend(cascaded.iter());
        insert_audits(tx.as_mut(), &audits).await?;
        let mut revoked = below;
        revoked.push(g);
        count_revoked(tx.as_mut(), app_id, &revoked).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delegate_grant(&self, child: &GrantRec, audit: &AuditRec) -> StoreResult<()> {
        let parent_id = child
            .chain
            .parent_grant_id
            .as_deref()
            .ok_or_else(|| StoreError::Db("a delegation without a parent".into()))?;
        let pause = self.pause_delay();
        let mut tx = self.engine.begin_write().await?;
        lock_chain(tx.as_mut(), self.engine.kind(), &child.app_id, parent_id).await?;
        if let Some(d) = pause {
            tokio::time::sleep(d).await;
        }
        // Read under the chain's lock: a revoke that committed first is seen here.
        let live = tx
            .fetch(stmt!(
                "SELECT id FROM grants WHERE id = ? AND app_id = ? AND revoked_at IS NULL \
                 AND (grant_expires_at IS NULL OR grant_expires_at > ?)",
                parent_id,
                &child.app_id,
                child.created_at
            ))
            .await?;
        if live.is_empty() {
            return Err(StoreError::Conflict("parent_revoked"));
        }
        let existing = tx
            .fetch(stmt!(
                "SELECT id FROM grants WHERE parent_grant_id = ? AND principal_ref = ? \
                 AND revoked_at IS NULL AND (grant_expires_at IS NULL OR grant_expires_at > ?)",
                parent_id,
                &child.principal_ref,
                child.created_at
            ))
            .await?;
        if !existing.is_empty() {
            return Err(StoreError::Conflict("delegation_exists"));
        }
        let inserted = insert_grants(tx.as_mut(), &[child]).await?;
        if !inserted.contains(&child.id) {
            return Err(StoreError::Conflict("grant_id"));
        }
        insert_audits(tx.as_mut(), &[audit]).await?;
        let mut deltas = Deltas::default();
        deltas.add_grant(child, [1, 0, 0]);
        apply_counts(tx.as_mut(), deltas, &[child]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_delegation(
        &self,
        app_id: &str,
        parent_id: &str,
        agent_id: &str,
    ) -> StoreResult<Option<GrantRec>> {
        self.fetch_one_opt(find_delegation_stmt(app_id, parent_id, agent_id))
            .await
    }

    async fn delegated_agents(
        &self,
        app_id: &str,
        parent_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        if parent_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for row in self
            .engine
            .fetch(delegated_agents_stmt(app_id, parent_ids))
            .await?
        {
            if let (Some(p), Some(a)) = (row.text(0)?, row.text(1)?) {
                out.push((p, a));
            }
        }
        Ok(out)
    }

    async fn list_grants(&self, q: &ListQuery) -> StoreResult<(Vec<GrantView>, i64)> {
        let mut tx = self.engine.begin_read().await?;
        // Page: pick the ids through the covering indexes, then join the few rows of the page.
        let ids = page_ids(q);
        let mut s = Stmt::new(&format!("{GRANT_VIEW_SELECT} JOIN ("));
        s.sql(&ids.sql);
        s.args.extend(ids.args);
        s.sql(") p ON p.pid = g.id ORDER BY g.created_at DESC, g.id DESC");
        let rows: Vec<GrantView> = decode_all(tx.fetch(s).await?)?;
        let total = match counts::scope_of(q) {
            Some(scope) => counted_total(tx.as_mut(), q, &scope).await?,
            None if (rows.len() as i64) < q.limit && (q.offset == 0 || !rows.is_empty()) => {
                // The page is the tail: no need to count.
                q.offset + rows.len() as i64
            }
            None => {
                let mut c = Stmt::new("SELECT COUNT(*) FROM grants");
                push_filters(&mut c, q, None);
                tx.fetch(c)
                    .await?
                    .first()
                    .map(|r| r.int(0))
                    .transpose()?
                    .flatten()
                    .unwrap_or(0)
            }
        };
        tx.commit().await?;
        Ok((rows, total))
    }

    async fn seed_grants(&self, grants: &[GrantRec]) -> StoreResult<()> {
        let mut tx = self.engine.begin_write().await?;
        let all: Vec<&GrantRec> = grants.iter().collect();
        let inserted = insert_grants(tx.as_mut(), &all).await?;
        if inserted.len() != grants.len() {
            return Err(StoreError::Conflict("sibling_label"));
        }
        let mut deltas = Deltas::default();
        for g in grants {
            let revoked = g.revoked_at.is_some() as i64;
            deltas.add_grant(g, [1, revoked, 0]);
        }
        // Seeded grants may be expired already (by the app's watermark): counted as such.
        let unrevoked: Vec<&GrantRec> = grants.iter().filter(|g| g.revoked_at.is_none()).collect();
        apply_counts(tx.as_mut(), deltas, &unrevoked).await?;
        tx.commit().await
    }

    async fn sweep_expired(&self, now: i64) -> StoreResult<u64> {
        let due = self
            .engine
            .fetch(stmt!(
                // Through the (few) apps, each with one lookup: the counts table holds a row per
                // label (CROSS JOIN keeps SQLite's planner to that order).
                "SELECT c.app_id FROM apps a CROSS JOIN grant_counts c WHERE c.app_id = a.id \
                 AND c.dim = '' AND c.value = '' \
                 AND (c.watermark IS NULL OR c.watermark < ?) AND EXISTS (SELECT 1 FROM grants g \
                 WHERE g.app_id = c.app_id AND g.revoked_at IS NULL \
                 AND g.grant_expires_at IS NOT NULL AND g.grant_expires_at <= ? \
                 AND (c.watermark IS NULL OR g.grant_expires_at > c.watermark))",
                now,
                now
            ))
            .await?;
        let mut moved = 0;
        for row in due {
            let Some(app) = row.text(0)? else { continue };
            let mut tx = self.engine.begin_write().await?;
            // Lock the app's row and read its watermark (another instance may have swept).
            let w = tx
                .fetch(stmt!(
                    "UPDATE grant_counts SET watermark = watermark \
                     WHERE app_id = ? AND dim = '' AND value = '' RETURNING watermark",
                    &app
                ))
                .await?;
            let w = w.first().map(|r| r.int(0)).transpose()?.flatten();
            if w.is_some_and(|w| w >= now) {
                continue;
            }
            let mut s = Stmt::new(&format!(
                "SELECT {GRANT_COLUMNS} FROM grants WHERE app_id = "
            ));
            s.arg(&app)
                .sql(" AND revoked_at IS NULL AND grant_expires_at IS NOT NULL AND grant_expires_at <= ")
                .arg(now);
            if let Some(w) = w {
                s.sql(" AND grant_expires_at > ").arg(w);
            }
            let expired: Vec<GrantRec> = decode_all(tx.fetch(s).await?)?;
            let mut deltas = Deltas::default();
            for g in &expired {
                for (dim, value) in counts::scopes(g) {
                    deltas.add(&app, dim, &value, [0, 0, 1]);
                }
            }
            tx.execute(stmt!(
                "UPDATE grant_counts SET expired = expired + ?, watermark = ? \
                 WHERE app_id = ? AND dim = '' AND value = ''",
                expired.len() as i64,
                now,
                &app
            ))
            .await?;
            apply_counts(tx.as_mut(), deltas, &[]).await?;
            tx.commit().await?;
            moved += 1;
        }
        Ok(moved)
    }

    async fn list_audit(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<AuditRec>> {
        decode_all(
            self.engine
                .fetch(stmt!(
                    "SELECT id, app_id, actor, action, grant_id, principal_type, principal, \
                     label, reason, at FROM audit_log WHERE app_id = ? \
                     ORDER BY seq DESC LIMIT ? OFFSET ?",
                    app_id,
                    limit,
                    offset
                ))
                .await?,
        )
    }

    // Using a grant (schema v4; `service/token.rs`).

    async fn set_injection(&self, r: &InjectionRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO secret_injections (managed_secret_id, app_id, header, format, \
                 query_param, allowed_base_urls) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (managed_secret_id) DO UPDATE SET header = excluded.header, \
                 format = excluded.format, query_param = excluded.query_param, \
                 allowed_base_urls = excluded.allowed_base_urls",
                &r.managed_secret_id,
                &r.app_id,
                &r.header,
                &r.format,
                &r.query_param,
                &r.allowed_base_urls
            ))
            .await?;
        Ok(())
    }
    async fn get_injection(&self, managed_secret_id: &str) -> StoreResult<Option<InjectionRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM secret_injections WHERE managed_secret_id = ?",
            managed_secret_id
        ))
        .await
    }
    async fn set_grant_token(&self, r: &GrantTokenRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO grant_tokens (grant_id, app_id, value_enc, generation, created_at) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (grant_id) DO UPDATE SET \
                 value_enc = excluded.value_enc, generation = excluded.generation, \
                 created_at = excluded.created_at",
                &r.grant_id,
                &r.app_id,
                r.value_enc.clone(),
                &r.generation,
                r.created_at
            ))
            .await?;
        Ok(())
    }
    async fn get_grant_token(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantTokenRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM grant_tokens WHERE grant_id = ? AND app_id = ?",
            grant_id,
            app_id
        ))
        .await
    }
    async fn get_grant_usage(
        &self,
        app_id: &str,
        grant_id: &str,
    ) -> StoreResult<Option<GrantUsageRec>> {
        self.fetch_one_opt(stmt!(
            "SELECT * FROM grant_usage WHERE grant_id = ? AND app_id = ?",
            grant_id,
            app_id
        ))
        .await
    }
    async fn record_grant_use(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()> {
        let mut tx = self.engine.begin_write().await?;
        tx.execute(stmt!(
            "INSERT INTO grant_usage (grant_id, app_id, last_used_at, uses, scope_mismatch) \
             VALUES (?, ?, ?, 1, 0) ON CONFLICT (grant_id) DO UPDATE SET \
             last_used_at = excluded.last_used_at, uses = grant_usage.uses + 1",
            grant_id,
            &audit.app_id,
            audit.at
        ))
        .await?;
        insert_audits(tx.as_mut(), &[audit]).await?;
        tx.commit().await
    }
    async fn flag_scope_mismatch(&self, grant_id: &str, audit: &AuditRec) -> StoreResult<()> {
        let mut tx = self.engine.begin_write().await?;
        tx.execute(stmt!(
            "INSERT INTO grant_usage (grant_id, app_id, last_used_at, uses, scope_mismatch) \
             VALUES (?, ?, ?, 0, 1) ON CONFLICT (grant_id) DO UPDATE SET scope_mismatch = 1",
            grant_id,
            &audit.app_id,
            audit.at
        ))
        .await?;
        insert_audits(tx.as_mut(), &[audit]).await?;
        tx.commit().await
    }
    async fn insert_api_call(&self, r: &ApiCallRec) -> StoreResult<()> {
        self.engine
            .execute(stmt!(
                "INSERT INTO api_calls (id, app_id, actor, grant_id, method, url, \
                 response_status, latency_ms, record, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &r.id,
                &r.app_id,
                &r.actor,
                &r.grant_id,
                &r.method,
                &r.url,
                r.response_status,
                r.latency_ms,
                &r.record,
                r.at
            ))
            .await?;
        Ok(())
    }
    async fn list_api_calls(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<ApiCallRec>> {
        decode_all(
            self.engine
                .fetch(stmt!(
                    "SELECT id, app_id, actor, grant_id, method, url, response_status, \
                     latency_ms, record, at FROM api_calls WHERE app_id = ? \
                     ORDER BY seq DESC LIMIT ? OFFSET ?",
                    app_id,
                    limit,
                    offset
                ))
                .await?,
        )
    }
}
