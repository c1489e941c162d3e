//! The SQLite engine: WAL, one writer connection per process (writes are serialized in-process,
//! and write transactions start with `BEGIN IMMEDIATE`, so a second process on the same file
//! waits for the lock instead of failing) and a small pool of readers. `synchronous = FULL`: a
//! commit is on disk before it is acknowledged (affordable because concurrent writes share one
//! commit: [`super::batch`]). The WAL is checkpointed by a connection of its own every
//! [`CHECKPOINT_EVERY`] (`PASSIVE`: it never blocks the writer), not by the writer inside a
//! commit: a commit never waits for a checkpoint (measured: see `server/README.md`).
//!
//! An in-memory database uses one shared connection for both, plus an idle anchor connection that
//! keeps the database alive for as long as the store exists: an in-memory database vanishes with
//! its last connection, and a pool may close and reopen its connection at any time.

use super::sql::{Arg, Conn, Engine, Row, Stmt, Tx, map_err};
use super::sql_store::SqlStore;
use super::{StoreError, StoreResult};
use crate::fault::Faults;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Sqlite, Transaction};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The embedded migrations (server/migrations/sqlite).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store.
pub type SqliteStore = SqlStore;

/// How often the WAL is copied back into the database file.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The connections of one SQLite database.
#[derive(Debug)]
pub(crate) struct SqliteEngine {
    writer: SqlitePool,
    reader: SqlitePool,
    /// File databases only: the connection that checkpoints, and its task.
    checkpointer: Option<(SqlitePool, AbortOnDrop)>,
    /// In-memory databases only: a connection that is never used, only held.
    _anchor: Option<Arc<Mutex<SqliteConnection>>>,
}

/// A background task that ends with its owner.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Checkpoints the WAL every [`CHECKPOINT_EVERY`] (another process may be checkpointing: then
/// this one skips its turn).
async fn checkpoint(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "checkpoint skipped");
        }
    }
}

fn bind(sql: &str, args: Vec<Arg>) -> sqlx::query::Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            other => unreachable!("SQLite gets rows as VALUES, not {other:?}"),
        };
    }
    q
}

/// Runs `s` (one statement per slice of its rows) on `conn`; the rows changed, and the rows
/// fetched when `fetch`.
async fn run<'c, E>(conn: E, s: Stmt, fetch: bool) -> StoreResult<(u64, Vec<Row>)>
where
    E: sqlx::Executor<'c, Database = Sqlite> + Copy,
{
    let mut changed = 0;
    let mut rows = Vec::new();
    for (sql, args) in s.render_values() {
        if fetch {
            rows.extend(
                bind(&sql, args)
                    .fetch_all(conn)
                    .await
                    .map_err(|e| map_err(e, "row"))?
                    .into_iter()
                    .map(Row::Sqlite),
            );
        } else {
            changed += bind(&sql, args)
                .execute(conn)
                .await
                .map_err(|e| map_err(e, "row"))?
                .rows_affected();
        }
    }
    Ok((changed, rows))
}

struct SqliteTx(Transaction<'static, Sqlite>);

#[async_trait]
impl Conn for SqliteTx {
    async fn execute(&mut self, s: Stmt) -> StoreResult<u64> {
        let mut changed = 0;
        for (sql, args) in s.render_values() {
            changed += bind(&sql, args)
                .execute(&mut *self.0)
                .await
                .map_err(|e| map_err(e, "row"))?
                .rows_affected();
        }
        Ok(changed)
    }
    async fn fetch(&mut self, s: Stmt) -> StoreResult<Vec<Row>> {
        let mut rows = Vec::new();
        for (sql, args) in s.render_values() {
            rows.extend(
                bind(&sql, args)
                    .fetch_all(&mut *self.0)
                    .await
                    .map_err(|e| map_err(e, "row"))?
                    .into_iter()
                    .map(Row::Sqlite),
            );
        }
        Ok(rows)
    }
}

#[async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.0.commit().await.map_err(|e| map_err(e, "row"))
    }
}

/// `url` as connect options, and whether it is an in-memory database.
fn options(url: &str) -> StoreResult<(SqliteConnectOptions, bool)> {
    let memory = url == "sqlite::memory:" || url == ":memory:" || url == "sqlite://:memory:";
    let opts = if memory {
        SqliteConnectOptions::from_str("sqlite::memory:").map_err(StoreError::db)?
    } else if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(StoreError::db)?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    let opts = opts
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .synchronous(SqliteSynchronous::Full)
        .statement_cache_capacity(256)
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory");
    Ok((opts, memory))
}

impl SqliteEngine {
    /// Opens (creating if needed) the database at `url` and runs the migrations.
    async fn open(url: &str) -> StoreResult<SqliteEngine> {
        let (opts, memory) = options(url)?;
        let pool = |n: u32| {
            SqlitePoolOptions::new()
                .max_connections(n)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        };
        let engine = if memory {
            // Same options, same named shared-cache database (sqlx names it when parsing).
            let anchor = opts.connect().await.map_err(StoreError::db)?;
            let shared = pool(1).connect_with(opts).await.map_err(StoreError::db)?;
            SqliteEngine {
                writer: shared.clone(),
                reader: shared,
                checkpointer: None,
                _anchor: Some(Arc::new(Mutex::new(anchor))),
            }
        } else {
            let opts = opts.journal_mode(SqliteJournalMode::Wal);
            let writer = pool(1)
                .connect_with(opts.clone().pragma("wal_autocheckpoint", "0"))
                .await
                .map_err(StoreError::db)?;
            migrate(&writer).await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts.clone().read_only(true))
                .await
                .map_err(StoreError::db)?;
            let ckpt = pool(1).connect_with(opts).await.map_err(StoreError::db)?;
            let task = AbortOnDrop(tokio::spawn(checkpoint(ckpt.clone())));
            return Ok(SqliteEngine {
                writer,
                reader,
                checkpointer: Some((ckpt, task)),
                _anchor: None,
            });
        };
        migrate(&engine.writer).await?;
        Ok(engine)
    }
}

/// Runs the migrations; a second process migrating the same file at the same moment makes the
/// first attempt fail, so it is tried a few times.
async fn migrate(writer: &SqlitePool) -> StoreResult<()> {
    let mut attempt = 0;
    loop {
        match MIGRATOR.run(writer).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::debug!(error = %e, "migration attempt failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(StoreError::db(e)),
        }
    }
}

#[async_trait]
impl Engine for SqliteEngine {
    fn kind(&self) -> super::Engine {
        super::Engine::Sqlite
    }

    fn is_private(&self) -> bool {
        self._anchor.is_some()
    }

    async fn begin_write(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::db)?;
        Ok(Box::new(SqliteTx(tx)))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.reader.begin().await.map_err(StoreError::db)?;
        Ok(Box::new(SqliteTx(tx)))
    }

    async fn execute(&self, s: Stmt) -> StoreResult<u64> {
        Ok(run(&self.writer, s, false).await?.0)
    }

    async fn fetch(&self, s: Stmt) -> StoreResult<Vec<Row>> {
        Ok(run(&self.reader, s, true).await?.1)
    }

    async fn fetch_writing(&self, s: Stmt) -> StoreResult<Vec<Row>> {
        Ok(run(&self.writer, s, true).await?.1)
    }

    async fn close(&self) {
        if let Some((pool, _)) = &self.checkpointer {
            pool.close().await;
        }
        self.reader.close().await;
        self.writer.close().await;
    }
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite database at `url` and runs the migrations.
    ///
    /// `url`: `sqlite::memory:`, `sqlite:///abs/path.db`, `sqlite://rel.db`, `sqlite:path` or a
    /// plain file path.
    pub async fn open_sqlite(url: &str, faults: Option<Arc<Faults>>) -> StoreResult<SqlStore> {
        Ok(SqlStore::new(
            Arc::new(SqliteEngine::open(url).await?),
            faults,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The lookups of delegations by parent read the `grants_parent` index, not the app's whole
    /// range of grants: that made a listing's first page cost O(grants) (470 ms at 1M).
    #[tokio::test]
    async fn lookups_by_parent_use_the_parent_index() {
        use crate::store::sql::Engine as _;
        use crate::store::sql_store::{delegated_agents_stmt, find_delegation_stmt};
        let engine = SqliteEngine::open("sqlite::memory:").await.unwrap();
        let parents = ["p1".to_string(), "p2".to_string()];
        for stmt in [
            delegated_agents_stmt("app", &parents),
            find_delegation_stmt("app", "p1", "agent"),
        ] {
            let mut explain = Stmt::new("EXPLAIN QUERY PLAN ");
            explain.sql(&stmt.sql);
            explain.args.extend(stmt.args);
            let rows = engine.fetch(explain).await.unwrap();
            let plan: Vec<String> = rows
                .iter()
                .filter_map(|r| r.text(3).ok().flatten())
                .collect();
            let plan = plan.join("\n");
            assert!(
                plan.contains("USING INDEX grants_parent"),
                "{}:\n{plan}",
                stmt.sql
            );
            assert!(!plan.contains("grants_app_order"), "{}:\n{plan}", stmt.sql);
        }
    }

    /// A pool may close its connection (a query cut off, a connection found broken) and open a
    /// new one: an in-memory database must still be there when it does.
    #[tokio::test]
    async fn an_in_memory_database_outlives_its_pooled_connection() {
        let engine = SqliteEngine::open("sqlite::memory:").await.unwrap();
        let writer = engine.writer.clone();
        let store = SqlStore::new(Arc::new(engine), None);
        store.meta_set("k", b"v").await.unwrap();
        writer.acquire().await.unwrap().close().await.unwrap();
        assert_eq!(
            store.meta_get("k").await.unwrap().as_deref(),
            Some(&b"v"[..])
        );
    }
}
