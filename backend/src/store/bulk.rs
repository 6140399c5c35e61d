//! Writing many rows into one table, in chunks: multi-row INSERTs with bound parameters on
//! SQLite, `COPY ... FROM STDIN` on PostgreSQL, where each statement is a round trip and
//! COPY is the one way to send thousands of rows in a few. Only one chunk is ever held in
//! memory. Imports stage files in temporary tables with it, and write memberships with it.

use std::io::Write;

use super::StoreError;
use super::conn::Conn;
use super::sql::{Db, Dialect, Param};

/// Most parameters bound to one SQLite INSERT. SQLite allows 32766; a statement of a few
/// hundred rows already spreads the per-statement cost thin.
const SQLITE_PARAMS_PER_INSERT: usize = 8192;

/// COPY input sent per round trip to PostgreSQL.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Buffers rows for one table and writes them a chunk at a time.
pub(crate) struct BulkInsert {
    table: &'static str,
    columns: &'static [&'static str],
    dialect: Dialect,
    /// SQLite: the buffered rows' values, one row after another, their text kept in one
    /// arena (a string per value would be an allocation per value).
    values: Vec<Slot>,
    arena: String,
    /// PostgreSQL: the buffered rows as COPY text.
    copy: Vec<u8>,
    buffered: usize,
    staged: u64,
    rows_per_insert: usize,
    /// The INSERT of a full chunk, built once.
    insert_full: String,
}

impl BulkInsert {
    pub(crate) fn new(
        dialect: Dialect,
        table: &'static str,
        columns: &'static [&'static str],
    ) -> BulkInsert {
        let rows_per_insert = (SQLITE_PARAMS_PER_INSERT / columns.len()).max(1);
        let insert_full = match dialect {
            Dialect::Sqlite => insert_sql(table, columns, rows_per_insert),
            Dialect::Postgres => String::new(),
        };
        BulkInsert {
            table,
            columns,
            dialect,
            values: Vec::new(),
            arena: String::new(),
            copy: Vec::new(),
            buffered: 0,
            staged: 0,
            rows_per_insert,
            insert_full,
        }
    }

    /// Adds one row, its values in the order of the table's columns.
    pub(crate) fn push(&mut self, db: &mut Conn, row: &[Param<'_>]) -> Result<(), StoreError> {
        if row.len() != self.columns.len() {
            return Err(StoreError::Invalid(format!(
                "{} values for the {} columns of {}",
                row.len(),
                self.columns.len(),
                self.table
            )));
        }
        self.buffered += 1;
        match self.dialect {
            Dialect::Sqlite => {
                for param in row {
                    self.values.push(match *param {
                        Param::Text(text) => {
                            let start = self.arena.len();
                            self.arena.push_str(text);
                            Slot::Text(start, self.arena.len())
                        }
                        Param::Int(n) => Slot::Int(n),
                        Param::Bool(b) => Slot::Int(b as i64),
                        Param::Null => Slot::Null,
                    });
                }
                if self.buffered == self.rows_per_insert {
                    self.flush(db)?;
                }
            }
            Dialect::Postgres => {
                copy_row(&mut self.copy, row);
                if self.copy.len() >= COPY_CHUNK_BYTES {
                    self.flush(db)?;
                }
            }
        }
        Ok(())
    }

    /// Writes what is still buffered; returns the rows staged in all.
    pub(crate) fn finish(&mut self, db: &mut Conn) -> Result<u64, StoreError> {
        self.flush(db)?;
        Ok(self.staged)
    }

    /// Counts `rows` as no longer staged (deleted from the table since).
    pub(crate) fn unstage(&mut self, rows: u64) {
        self.staged = self.staged.saturating_sub(rows);
    }

    fn flush(&mut self, db: &mut Conn) -> Result<(), StoreError> {
        if self.buffered == 0 {
            return Ok(());
        }
        match self.dialect {
            Dialect::Sqlite => {
                let arena = &self.arena;
                let params: Vec<Param<'_>> = self
                    .values
                    .iter()
                    .map(|slot| match *slot {
                        Slot::Text(start, end) => Param::Text(&arena[start..end]),
                        Slot::Int(n) => Param::Int(n),
                        Slot::Null => Param::Null,
                    })
                    .collect();
                if self.buffered == self.rows_per_insert {
                    db.execute(&self.insert_full, &params)?;
                } else {
                    db.execute(&insert_sql(self.table, self.columns, self.buffered), &params)?;
                }
                self.values.clear();
                self.arena.clear();
            }
            Dialect::Postgres => {
                let sql = format!("COPY {} ({}) FROM STDIN", self.table, self.columns.join(", "));
                let data = std::mem::replace(&mut self.copy, Vec::with_capacity(COPY_CHUNK_BYTES));
                db.copy_in(&sql, data)?;
            }
        }
        self.staged += self.buffered as u64;
        self.buffered = 0;
        Ok(())
    }
}

/// A buffered value; text as a range of the arena.
#[derive(Clone, Copy)]
enum Slot {
    Null,
    Int(i64),
    Text(usize, usize),
}

fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
            sql.push_str(&(row * width + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// One row of COPY's text format: tab-separated, `\N` for NULL, and backslash, tab,
/// newline and carriage return escaped inside values.
fn copy_row(out: &mut Vec<u8>, row: &[Param<'_>]) {
    for (index, param) in row.iter().enumerate() {
        if index > 0 {
            out.push(b'\t');
        }
        match *param {
            Param::Null => out.extend_from_slice(b"\\N"),
            // Writing to a Vec cannot fail.
            Param::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Param::Bool(b) => out.push(if b { b't' } else { b'f' }),
            Param::Text(text) => copy_text(out, text),
        }
    }
    out.push(b'\n');
}

fn copy_text(out: &mut Vec<u8>, text: &str) {
    let special = |byte: &u8| matches!(byte, b'\\' | b'\t' | b'\n' | b'\r');
    if !text.as_bytes().iter().any(special) {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for &byte in text.as_bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_escape_what_the_text_format_reserves() {
        let mut out = Vec::new();
        copy_row(
            &mut out,
            &[
                Param::Text("JL. MAWAR\tNO. 4\\B\r\nRT 1"),
                Param::Null,
                Param::Int(-42),
                Param::Bool(true),
                Param::Text(""),
            ],
        );
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "JL. MAWAR\\tNO. 4\\\\B\\r\\nRT 1\t\\N\t-42\tt\t\n"
        );
    }

    #[test]
    fn an_empty_text_is_not_a_null() {
        let mut out = Vec::new();
        copy_row(&mut out, &[Param::Text(""), Param::Text("\\N")]);
        assert_eq!(String::from_utf8(out).expect("UTF-8"), "\t\\\\N\n");
    }

    #[test]
    fn inserts_number_their_placeholders_row_after_row() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
        );
    }
}
