//! Looking inside the registry with SQL both databases accept, for the test suite that
//! checks what the generator and the engine wrote (and, later, for operators' read-only
//! reports). Not a way for the service to query: its SQL stays in the domain methods.

use super::sql::{Db, Value};
use super::{Store, StoreError};

/// One value of an inspected row. Booleans come back as `Bool` from PostgreSQL and as
/// `Int` from SQLite; [`Cell::truthy`] reads both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Cell {
    /// The text, or a panic naming what was there: a test's reading of its own query.
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(text) => text,
            other => panic!("expected text, found {other:?}"),
        }
    }

    pub fn opt_text(&self) -> Option<&str> {
        match self {
            Cell::Null => None,
            other => Some(other.text()),
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(n) => *n,
            other => panic!("expected an integer, found {other:?}"),
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Cell::Bool(b) => *b,
            Cell::Int(n) => *n != 0,
            other => panic!("expected a boolean, found {other:?}"),
        }
    }
}

impl Store {
    /// The rows of a `SELECT`, on whichever database the store runs.
    #[doc(hidden)]
    pub fn inspect(&self, sql: &str) -> Result<Vec<Vec<Cell>>, StoreError> {
        let rows = self.pool.get()?.query(sql, &[])?;
        Ok(rows
            .into_iter()
            .map(|row| {
                row.0
                    .into_iter()
                    .map(|value| match value {
                        Value::Null => Cell::Null,
                        Value::Int(n) => Cell::Int(n),
                        Value::Text(text) => Cell::Text(text),
                        Value::Bool(b) => Cell::Bool(b),
                    })
                    .collect()
            })
            .collect())
    }

    /// Runs one statement outside any domain method: for tests that check the database
    /// itself refuses it (the audit table is append-only).
    #[doc(hidden)]
    pub fn inspect_execute(&self, sql: &str) -> Result<u64, StoreError> {
        self.pool.get()?.execute(sql, &[])
    }
}
