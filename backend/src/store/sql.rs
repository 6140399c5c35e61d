//! The one SQL interface the store's domain methods are written against, so each query is
//! written once and runs on SQLite and on PostgreSQL.
//!
//! Queries use SQLite's numbered placeholders (`?1`, `?2`); the PostgreSQL side rewrites them
//! to `$1`, `$2` once per statement. Values cross the boundary as [`Param`] (borrowed, no
//! allocation per parameter) and come back as [`Value`], converted per column with
//! [`FromValue`]. Integer widths are matched to the column on the PostgreSQL side, so callers
//! pass `i64` everywhere.

use super::StoreError;

/// A query parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Bool(bool),
}

/// A column value read back.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Value {
    #[default]
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

/// Something that can be bound as a parameter.
pub(crate) trait ToParam {
    fn to_param(&self) -> Param<'_>;
}

impl ToParam for str {
    fn to_param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for String {
    fn to_param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for bool {
    fn to_param(&self) -> Param<'_> {
        Param::Bool(*self)
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn to_param(&self) -> Param<'_> {
                Param::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8);

impl ToParam for u64 {
    /// Region codes and counters stay far below `i64::MAX`; anything above is clamped rather
    /// than wrapped into a negative number.
    fn to_param(&self) -> Param<'_> {
        Param::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Param<'_> {
        (**self).to_param()
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn to_param(&self) -> Param<'_> {
        match self {
            Some(value) => value.to_param(),
            None => Param::Null,
        }
    }
}

/// Binds a list of expressions as parameters: `params![nik.as_str(), desa]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::ToParam::to_param(&$value)),*][..]
    };
}
pub(crate) use params;

/// Conversion of one column value.
pub(crate) trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, StoreError>;
}

fn mismatch(wanted: &str, value: &Value) -> StoreError {
    StoreError::Corrupt(format!("expected {wanted}, found {value:?}"))
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Text(text) => Ok(text),
            other => Err(mismatch("text", &other)),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Int(n) => Ok(n),
            other => Err(mismatch("integer", &other)),
        }
    }
}

impl FromValue for u32 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        let n = i64::from_value(value)?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} out of range")))
    }
}

impl FromValue for u64 {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        let n = i64::from_value(value)?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} out of range")))
    }
}

impl FromValue for bool {
    /// SQLite has no boolean type: it stores 0 and 1.
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(n) => Ok(n != 0),
            other => Err(mismatch("boolean", &other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Column `index`, converted. Taking the value out leaves `Null` behind.
    pub(crate) fn get<T: FromValue>(&mut self, index: usize) -> Result<T, StoreError> {
        let value = self
            .0
            .get_mut(index)
            .map(std::mem::take)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {index}")))?;
        T::from_value(value)
    }
}

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A database connection, inside or outside a transaction.
pub(crate) trait Db {
    fn dialect(&self) -> Dialect;

    /// Runs a statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;

    /// Runs a query and collects its rows.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError>;

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Exactly one row.
    fn query_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from {sql:?}")))
    }

    /// One value from exactly one row.
    fn query_value<T: FromValue>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<T, StoreError>
    where
        Self: Sized,
    {
        self.query_one(sql, params)?.get(0)
    }
}

/// Rewrites `?1`-style placeholders to PostgreSQL's `$1`. Our statements hold no `?` inside
/// string literals, which is checked by the tests of every query running on both databases.
pub(crate) fn to_postgres_placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_borrow_and_convert() {
        let name = String::from("Siti");
        let desa: u64 = 3_510_010_001;
        let missing: Option<&str> = None;
        let list = params![name, desa, true, missing, "x"];
        assert_eq!(
            list,
            &[
                Param::Text("Siti"),
                Param::Int(3_510_010_001),
                Param::Bool(true),
                Param::Null,
                Param::Text("x")
            ]
        );
    }

    #[test]
    fn rows_convert_sqlite_booleans_and_nulls() {
        let mut row = Row(vec![Value::Int(1), Value::Null, Value::Text("a".into())]);
        assert!(row.get::<bool>(0).expect("bool"));
        assert_eq!(row.get::<Option<String>>(1).expect("null"), None);
        assert!(row.get::<i64>(2).is_err(), "text is not an integer");
        assert!(row.get::<String>(5).is_err(), "missing column is an error");
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            to_postgres_placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12"
        );
    }
}
