//! The temporary tables an import stages a file's rows in (written by
//! [`BulkInsert`](super::super::bulk::BulkInsert), a chunk at a time).

use super::super::StoreError;
use super::super::conn::Conn;
use super::super::sql::{Db, Dialect};

/// Creates a temporary table of the connection, replacing one an earlier import on the
/// same pooled connection may have left. It outlives the transaction that creates it (an
/// import stages in one and merges in another); [`drop_temp`] removes it after.
pub(super) fn create_temp(db: &mut Conn, name: &str, columns: &str) -> Result<(), StoreError> {
    let schema = temp_schema(db.dialect());
    db.batch(&format!("DROP TABLE IF EXISTS {schema}.{name}; CREATE TEMP TABLE {name} ({columns})"))
}

/// Drops an import's temporary tables, so that a pooled connection does not keep a file's
/// worth of staged rows.
pub(super) fn drop_temp(db: &mut Conn, names: &[&str]) -> Result<(), StoreError> {
    let schema = temp_schema(db.dialect());
    let drops: Vec<String> =
        names.iter().map(|name| format!("DROP TABLE IF EXISTS {schema}.{name}")).collect();
    db.batch(&drops.join("; "))
}

fn temp_schema(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "temp",
        Dialect::Postgres => "pg_temp",
    }
}
