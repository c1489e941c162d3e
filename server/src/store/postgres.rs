//! The PostgreSQL engine: one pool; write transactions at READ COMMITTED (uniqueness and the
//! counters' row locks do the arbitration between instances, see `sql_store`); reads
//! that need one snapshot (a page and its total) in a REPEATABLE READ, READ ONLY transaction.
//! The database the URL names is created when it does not exist yet, as SQLite creates its file.

use super::sql::{Arg, Conn, Engine, Row, Stmt, Tx, map_err};
use super::sql_store::SqlStore;
use super::{StoreError, StoreResult};
use crate::fault::Faults;
use async_trait::async_trait;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The embedded migrations (server/migrations/postgres).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL store.
pub type PgStore = SqlStore;

/// The connections of one PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PgEngine {
    pool: PgPool,
}

fn bind(sql: &str, args: Vec<Arg>) -> sqlx::query::Query<'_, Postgres, PgArguments> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
            Arg::TextArray(v) => q.bind(v),
            Arg::IntArray(v) => q.bind(v),
            Arg::BytesArray(v) => q.bind(v),
        };
    }
    q
}

/// `s` as PostgreSQL runs it: rows as one `UNNEST`, placeholders numbered; `None` when it has
/// no rows to write (nothing to run).
fn render(s: Stmt) -> Option<(String, Vec<Arg>)> {
    s.render_unnest()
}

struct PgTx(Transaction<'static, Postgres>);

#[async_trait]
impl Conn for PgTx {
    async fn execute(&mut self, s: Stmt) -> StoreResult<u64> {
        let Some((sql, args)) = render(s) else {
            return Ok(0);
        };
        Ok(bind(&sql, args)
            .execute(&mut *self.0)
            .await
            .map_err(|e| map_err(e, "row"))?
            .rows_affected())
    }
    async fn fetch(&mut self, s: Stmt) -> StoreResult<Vec<Row>> {
        let Some((sql, args)) = render(s) else {
            return Ok(Vec::new());
        };
        Ok(bind(&sql, args)
            .fetch_all(&mut *self.0)
            .await
            .map_err(|e| map_err(e, "row"))?
            .into_iter()
            .map(Row::Pg)
            .collect())
    }
}

#[async_trait]
impl Tx for PgTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.0.commit().await.map_err(|e| map_err(e, "row"))
    }
}

impl PgEngine {
    async fn open(url: &str) -> StoreResult<PgEngine> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(StoreError::db)?
            .statement_cache_capacity(256);
        let connect = || {
            PgPoolOptions::new()
                .max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
        };
        let pool = match connect().await {
            Ok(p) => p,
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("3D000") => {
                // invalid_catalog_name: the database does not exist yet.
                match sqlx::Postgres::create_database(url).await {
                    Ok(()) => {}
                    // Another instance created it first.
                    Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P04") => {}
                    Err(e) => return Err(StoreError::db(e)),
                }
                connect().await.map_err(StoreError::db)?
            }
            Err(e) => return Err(StoreError::db(e)),
        };
        // Instances starting together: sqlx holds an advisory lock while it migrates.
        MIGRATOR.run(&pool).await.map_err(StoreError::db)?;
        Ok(PgEngine { pool })
    }
}

#[async_trait]
impl Engine for PgEngine {
    fn kind(&self) -> super::Engine {
        super::Engine::Postgres
    }

    fn is_private(&self) -> bool {
        false
    }

    async fn begin_write(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(StoreError::db)?;
        Ok(Box::new(PgTx(tx)))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(StoreError::db)?;
        Ok(Box::new(PgTx(tx)))
    }

    async fn execute(&self, s: Stmt) -> StoreResult<u64> {
        let Some((sql, args)) = render(s) else {
            return Ok(0);
        };
        Ok(bind(&sql, args)
            .execute(&self.pool)
            .await
            .map_err(|e| map_err(e, "row"))?
            .rows_affected())
    }

    async fn fetch(&self, s: Stmt) -> StoreResult<Vec<Row>> {
        let Some((sql, args)) = render(s) else {
            return Ok(Vec::new());
        };
        Ok(bind(&sql, args)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| map_err(e, "row"))?
            .into_iter()
            .map(Row::Pg)
            .collect())
    }

    async fn fetch_writing(&self, s: Stmt) -> StoreResult<Vec<Row>> {
        self.fetch(s).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

impl SqlStore {
    /// Connects to the PostgreSQL database at `url` (`postgres://user@host:port/db?...`),
    /// creating the database if it does not exist, and runs the migrations.
    pub async fn open_postgres(url: &str, faults: Option<Arc<Faults>>) -> StoreResult<SqlStore> {
        Ok(SqlStore::new(Arc::new(PgEngine::open(url).await?), faults))
    }
}
