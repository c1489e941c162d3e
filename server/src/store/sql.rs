//! The few things the two engines do differently, behind one small interface: run a statement
//! with arguments, fetch rows, open a transaction. Every statement of the store is written once,
//! with `?` placeholders, in [`super::sql_store`]; the PostgreSQL adapter numbers them (`$1`,
//! `$2`, ...) before sending.
//!
//! A statement over many rows (a batch's inserts) names its rows with a marker, [`ROWS`] or
//! [`ROWS_AS_V`], and each engine writes them its best way (measured): SQLite as multi-row
//! `VALUES` in power-of-two slices ([`shaped`]: a handful of statement texts its cache keeps,
//! each a cheap in-process step), PostgreSQL as one `UNNEST` of one array per column (one fixed
//! text, one round trip whatever the number of rows).

use super::{StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row as _};

/// One statement argument (the types the schema uses; arrays for PostgreSQL's `UNNEST`).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bytes(Option<Vec<u8>>),
    TextArray(Vec<Option<String>>),
    IntArray(Vec<Option<i64>>),
    BytesArray(Vec<Option<Vec<u8>>>),
}

impl Arg {
    fn into_text(self) -> Option<String> {
        match self {
            Arg::Text(v) => v,
            other => panic!("a text column holds {other:?}"),
        }
    }
    fn into_int(self) -> Option<i64> {
        match self {
            Arg::Int(v) => v,
            other => panic!("an integer column holds {other:?}"),
        }
    }
    fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Arg::Bytes(v) => v,
            other => panic!("a bytes column holds {other:?}"),
        }
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Self {
        Arg::Bytes(Some(v.to_vec()))
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(Some(v))
    }
}
impl From<&Option<Vec<u8>>> for Arg {
    fn from(v: &Option<Vec<u8>>) -> Self {
        Arg::Bytes(v.clone())
    }
}

/// Where a statement's rows go, as a query (`INSERT INTO t (a, b) {ROWS} ...`).
pub(crate) const ROWS: &str = "{rows}";
/// Where a statement's rows go, as a relation named `v` with columns `column1`, `column2`, ...
/// (`UPDATE t SET ... FROM {ROWS_AS_V} WHERE t.k = v.column1`).
pub(crate) const ROWS_AS_V: &str = "{rows_as_v}";

/// A statement being built: SQL text with `?` placeholders and its arguments, and at most one
/// set of rows (placed at its marker, after the arguments of the text before it).
#[derive(Debug, Default, Clone)]
pub(crate) struct Stmt {
    pub sql: String,
    pub args: Vec<Arg>,
    /// Rows of equal width, in order.
    pub rows: Vec<Vec<Arg>>,
}

/// A statement as an engine sends it: its text and its arguments.
pub(crate) type Rendered = (String, Vec<Arg>);

impl Stmt {
    /// A statement over `rows`; `sql` holds [`ROWS`] or [`ROWS_AS_V`] once.
    pub fn with_rows(sql: &str, rows: Vec<Vec<Arg>>) -> Stmt {
        debug_assert!(sql.contains(ROWS) || sql.contains(ROWS_AS_V));
        Stmt {
            sql: sql.to_string(),
            args: Vec::new(),
            rows,
        }
    }

    /// How many `?` of the text come before the rows marker.
    fn args_before_rows(&self) -> (usize, &str, &str, bool) {
        let (at, marker, relation) = match self.sql.find(ROWS_AS_V) {
            Some(i) => (i, ROWS_AS_V, true),
            None => (self.sql.find(ROWS).unwrap_or(self.sql.len()), ROWS, false),
        };
        let before = &self.sql[..at];
        let after = self.sql.get(at + marker.len()..).unwrap_or("");
        (before.matches('?').count(), before, after, relation)
    }

    /// SQLite: the rows as multi-row `VALUES`, one statement per [`shaped`] slice.
    pub fn render_values(self) -> Vec<Rendered> {
        if self.rows.is_empty() && !self.sql.contains(ROWS) && !self.sql.contains(ROWS_AS_V) {
            return vec![(self.sql, self.args)];
        }
        let (n_before, before, after, relation) = self.args_before_rows();
        let (before, after) = (before.to_string(), after.to_string());
        let mut out = Vec::new();
        for chunk in shaped(&self.rows) {
            let mut sql = before.clone();
            sql.push_str(if relation { "(VALUES " } else { "VALUES " });
            let mut args: Vec<Arg> = self.args[..n_before].to_vec();
            for (i, row) in chunk.iter().enumerate() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                for (j, v) in row.iter().enumerate() {
                    sql.push_str(if j > 0 { ", ?" } else { "?" });
                    args.push(v.clone());
                }
                sql.push(')');
            }
            if relation {
                sql.push_str(") AS v");
            }
            sql.push_str(&after);
            args.extend(self.args[n_before..].iter().cloned());
            out.push((sql, args));
        }
        out
    }

    /// PostgreSQL: the rows as one `UNNEST` of one array per column (typed from the first
    /// row); `?` numbered.
    pub fn render_unnest(self) -> Option<Rendered> {
        if self.rows.is_empty() {
            if self.sql.contains(ROWS) || self.sql.contains(ROWS_AS_V) {
                return None;
            }
            return Some((numbered(&self.sql), self.args));
        }
        let (n_before, before, after, relation) = self.args_before_rows();
        let width = self.rows[0].len();
        let mut sql = before.to_string();
        sql.push_str(if relation {
            "UNNEST("
        } else {
            "SELECT * FROM UNNEST("
        });
        let mut args: Vec<Arg> = self.args[..n_before].to_vec();
        for j in 0..width {
            let column = self.rows.iter().map(|r| r[j].clone());
            let (array, ty) = match &self.rows[0][j] {
                Arg::Text(_) | Arg::TextArray(_) => (
                    Arg::TextArray(column.map(Arg::into_text).collect()),
                    "text[]",
                ),
                Arg::Int(_) | Arg::IntArray(_) => {
                    (Arg::IntArray(column.map(Arg::into_int).collect()), "int8[]")
                }
                Arg::Bytes(_) | Arg::BytesArray(_) => (
                    Arg::BytesArray(column.map(Arg::into_bytes).collect()),
                    "bytea[]",
                ),
            };
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push_str("CAST(? AS ");
            sql.push_str(ty);
            sql.push(')');
            args.push(array);
        }
        sql.push(')');
        if relation {
            sql.push_str(" AS v(");
            for j in 1..=width {
                if j > 1 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("column{j}"));
            }
            sql.push(')');
        }
        sql.push_str(after);
        args.extend(self.args[n_before..].iter().cloned());
        Some((numbered(&sql), args))
    }
}

impl Stmt {
    pub fn new(sql: &str) -> Stmt {
        Stmt {
            sql: sql.to_string(),
            args: Vec::new(),
            rows: Vec::new(),
        }
    }
    /// Appends SQL text.
    pub fn sql(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }
    /// Appends a placeholder bound to `v`.
    pub fn arg(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.sql.push('?');
        self.args.push(v.into());
        self
    }
    /// Appends `(?, ?, ...)` bound to `vs`.
    pub fn tuple(&mut self, vs: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.sql.push('(');
        for (i, v) in vs.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push('?');
            self.args.push(v);
        }
        self.sql.push(')');
        self
    }
}

/// Splits `items` into slices whose lengths are powers of two (at most 256): a multi-row
/// statement then has one of 9 shapes, so the engines' prepared-statement caches keep every
/// one of them instead of parsing a new text for each batch size.
pub(crate) fn shaped<T>(mut items: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if items.is_empty() {
            return None;
        }
        let n = 1usize << items.len().min(256).ilog2();
        let (head, rest) = items.split_at(n);
        items = rest;
        Some(head)
    })
}

/// `Stmt` from SQL and arguments: `stmt!("... ? ...", a, b)`.
macro_rules! stmt {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::store::sql::Stmt {
            sql: ($sql).to_string(),
            args: vec![$($crate::store::sql::Arg::from($arg)),*],
            rows: Vec::new(),
        }
    };
}
pub(crate) use stmt;

/// A fetched row of either engine.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Pg(PgRow),
}

impl Row {
    /// Column `i` as an integer (NULL → `None`).
    pub fn int(&self, i: usize) -> StoreResult<Option<i64>> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Pg(r) => r.try_get(i),
        }
        .map_err(StoreError::db)
    }
    /// Column `i` as text (NULL → `None`).
    pub fn text(&self, i: usize) -> StoreResult<Option<String>> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Pg(r) => r.try_get(i),
        }
        .map_err(StoreError::db)
    }
    /// Column `i` as bytes (NULL → `None`).
    pub fn bytes(&self, i: usize) -> StoreResult<Option<Vec<u8>>> {
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Pg(r) => r.try_get(i),
        }
        .map_err(StoreError::db)
    }
    /// The row as a record.
    pub fn decode<T>(&self) -> StoreResult<T>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
    {
        match self {
            Row::Sqlite(r) => T::from_row(r),
            Row::Pg(r) => T::from_row(r),
        }
        .map_err(StoreError::db)
    }
}

/// Decodes every row.
pub(crate) fn decode_all<T>(rows: Vec<Row>) -> StoreResult<Vec<T>>
where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>,
{
    rows.iter().map(Row::decode).collect()
}

/// Where statements run: a pool, a connection or an open transaction.
#[async_trait]
pub(crate) trait Conn: Send {
    /// Runs a statement; returns the number of rows it changed.
    async fn execute(&mut self, stmt: Stmt) -> StoreResult<u64>;
    /// Runs a query; returns every row.
    async fn fetch(&mut self, stmt: Stmt) -> StoreResult<Vec<Row>>;
}

/// An open transaction.
#[async_trait]
pub(crate) trait Tx: Conn {
    /// Commits it (dropping it instead rolls back).
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// How a write failed, when the engine says the transaction may simply be run again.
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        // PostgreSQL: serialization_failure, deadlock_detected.
        sqlx::Error::Database(d) => matches!(d.code().as_deref(), Some("40001" | "40P01")),
        _ => false,
    }
}

/// A storage error from a driver error: unique violations become `Conflict(what)`.
pub(crate) fn map_err(e: sqlx::Error, conflict: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(conflict),
        _ if is_retryable(&e) => StoreError::Retry(e.to_string()),
        _ => StoreError::Db(e.to_string()),
    }
}

/// The connections of one database, as the shared store uses them.
#[async_trait]
pub(crate) trait Engine: Send + Sync + 'static {
    /// Which engine this is.
    fn kind(&self) -> super::Engine;
    /// Whether only this process can reach the database.
    fn is_private(&self) -> bool;
    /// A write transaction (SQLite: `BEGIN IMMEDIATE`, so it never has to upgrade a read lock).
    async fn begin_write(&self) -> StoreResult<Box<dyn Tx>>;
    /// A read transaction: one snapshot for every statement in it.
    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>>;
    /// A statement outside any explicit transaction, on a connection that may write.
    async fn execute(&self, stmt: Stmt) -> StoreResult<u64>;
    /// A query outside any explicit transaction, on a reading connection.
    async fn fetch(&self, stmt: Stmt) -> StoreResult<Vec<Row>>;
    /// A query that writes (`INSERT ... RETURNING`) outside any explicit transaction.
    async fn fetch_writing(&self, stmt: Stmt) -> StoreResult<Vec<Row>>;
    /// Closes every connection.
    async fn close(&self);
}

/// Rewrites `?` placeholders as `$1`, `$2`, ... (outside quoted text), for PostgreSQL.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<Arg>> {
        (0..3i64)
            .map(|i| vec![Arg::from(i), Arg::from(format!("k{i}"))])
            .collect()
    }

    #[test]
    fn rows_render_as_values_for_sqlite() {
        let mut s = Stmt::with_rows("INSERT INTO t (a, b) {rows} RETURNING a", rows());
        s.args.clear();
        let out = s.render_values();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].0,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) RETURNING a"
        );
        assert_eq!(out[1].1.len(), 2);
        let mut u = Stmt::with_rows(
            "UPDATE t SET x = ? FROM {rows_as_v} WHERE t.b = v.column2 AND t.c < ?",
            rows(),
        );
        u.args = vec![Arg::from(1i64), Arg::from(2i64)];
        let out = u.render_values();
        assert_eq!(
            out[0].0,
            "UPDATE t SET x = ? FROM (VALUES (?, ?), (?, ?)) AS v WHERE t.b = v.column2 AND t.c < ?"
        );
        assert!(matches!(out[0].1[0], Arg::Int(Some(1))));
        assert!(matches!(out[0].1.last(), Some(Arg::Int(Some(2)))));
    }

    #[test]
    fn rows_render_as_one_unnest_for_postgres() {
        let (sql, args) = Stmt::with_rows("INSERT INTO t (a, b) {rows} RETURNING a", rows())
            .render_unnest()
            .unwrap();
        assert_eq!(
            sql,
            "INSERT INTO t (a, b) SELECT * FROM UNNEST(CAST($1 AS int8[]), CAST($2 AS text[])) RETURNING a"
        );
        assert!(matches!(&args[0], Arg::IntArray(v) if v.len() == 3));
        let mut u = Stmt::with_rows(
            "UPDATE t SET x = ? FROM {rows_as_v} WHERE t.b = v.column2",
            rows(),
        );
        u.args = vec![Arg::from(1i64)];
        let (sql, _) = u.render_unnest().unwrap();
        assert_eq!(
            sql,
            "UPDATE t SET x = $1 FROM UNNEST(CAST($2 AS int8[]), CAST($3 AS text[])) AS v(column1, column2) WHERE t.b = v.column2"
        );
        assert!(
            Stmt::with_rows("INSERT INTO t (a) {rows}", vec![])
                .render_unnest()
                .is_none()
        );
    }

    #[test]
    fn batches_split_into_powers_of_two() {
        let v: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = shaped(&v).map(<[u32]>::len).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        assert_eq!(shaped(&v[..0]).count(), 0);
        assert_eq!(
            shaped(&v[..7]).map(<[u32]>::len).collect::<Vec<_>>(),
            [4, 2, 1]
        );
    }

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT '?', ? FROM t WHERE a = ? AND \"b?\" = ?"),
            "SELECT '?', $1 FROM t WHERE a = $2 AND \"b?\" = $3"
        );
    }
}
