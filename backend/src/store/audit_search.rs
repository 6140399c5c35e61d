//! Reading the audit log for the console and the staff API: entries filtered by actor,
//! action, outcome, a piece of the subject and a range of days, newest first and paged;
//! a kiosk's recent heartbeats (the history `kiosk_heartbeats` does not keep); and how many
//! heartbeats each kiosk sent per day, for the uptime chart.

use std::collections::BTreeMap;

use super::sql::{Db, Param, params};
use super::{AuditEntry, Store, StoreError};

/// Longest text a filter field may hold; longer input is refused at the boundary.
pub const AUDIT_FILTER_MAX: usize = 64;

/// What the audit page filters by; every field optional. Days are `YYYY-MM-DD` (UTC),
/// both inclusive, checked by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact actor, e.g. `console:ani` or `kiosk:BWI-BALAI-01`.
    pub actor: Option<String>,
    /// Exact action, e.g. `console_kiosk_config`.
    pub action: Option<String>,
    /// Exact outcome, e.g. `done`.
    pub outcome: Option<String>,
    /// Text the subject contains (case-insensitive).
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `%`, `_` and the escape itself taken literally in a `LIKE` pattern.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The day after `day` (`YYYY-MM-DD`), so "up to and including `day`" is `at < next`: a
/// plain comparison of the column, which `audit_by_at` (migration 0024) serves, where
/// `substr(at, 1, 10)` could use no index.
fn next_day(day: &str) -> Result<String, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, format)
        .ok()
        .and_then(|date| date.next_day())
        .and_then(|date| date.format(format).ok())
        .ok_or_else(|| StoreError::Invalid(format!("day {day:?}: write it as YYYY-MM-DD")))
}

/// What a filter's conditions borrow that the filter does not hold: the subject's `LIKE`
/// pattern and the day after `to`.
type Owned = (Option<String>, Option<String>);

/// The `WHERE` conditions of `filter` and their values, `?1` onwards.
fn conditions<'a>(filter: &'a AuditFilter, owned: &'a Owned) -> (Vec<String>, Vec<Param<'a>>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut values: Vec<Param<'a>> = Vec::new();
    let fields: [(&str, Option<&str>); 6] = [
        ("actor = ", filter.actor.as_deref()),
        ("action = ", filter.action.as_deref()),
        ("outcome = ", filter.outcome.as_deref()),
        ("lower(subject) LIKE ", owned.0.as_deref()),
        // RFC 3339 UTC times sort as text, so a day's first instant is the day itself.
        ("at >= ", filter.from.as_deref()),
        ("at < ", owned.1.as_deref()),
    ];
    for (condition, value) in fields {
        if let Some(value) = value {
            values.push(Param::Text(value));
            let escape = if condition.contains("LIKE") { " ESCAPE '\\'" } else { "" };
            conditions.push(format!("{condition}?{}{escape}", values.len()));
        }
    }
    (conditions, values)
}

/// The subject's `LIKE` pattern and the day after `to`, which [`conditions`] borrows.
fn owned_values(filter: &AuditFilter) -> Result<Owned, StoreError> {
    let pattern = filter.subject.as_deref().map(like_literal);
    let until = filter.to.as_deref().map(next_day).transpose()?;
    Ok((pattern, until))
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// Entries an export reads per query: one page of the keyset walk.
pub const AUDIT_EXPORT_PAGE: usize = 1000;

impl Store {
    /// Entries matching `filter`, newest first: at most `limit`, after skipping `offset`.
    pub fn search_audit(
        &self,
        filter: &AuditFilter,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let owned = owned_values(filter)?;
        let (conditions, mut values) = conditions(filter, &owned);
        let n = values.len();
        let sql = format!(
            "SELECT at, actor, action, subject, outcome FROM audit {}
             ORDER BY id DESC LIMIT ?{} OFFSET ?{}",
            where_clause(&conditions),
            n + 1,
            n + 2
        );
        values.push(Param::Int(limit as i64));
        values.push(Param::Int(offset as i64));
        self.pool.get()?.query(&sql, &values)?.into_iter().map(entry).collect()
    }

    /// Entries matching `filter` with an id below `before` (none: from the newest), newest
    /// first, at most `limit`, each with its id: one step of a keyset walk through the whole
    /// log, which costs the same at the millionth row as at the first (OFFSET would read
    /// and skip every row before).
    pub fn audit_after(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, AuditEntry)>, StoreError> {
        let (sql, owned) = keyset_sql(filter, before.is_some())?;
        let (_, mut values) = conditions(filter, &owned);
        if let Some(before) = before {
            values.push(Param::Int(before));
        }
        values.push(Param::Int(limit as i64));
        let rows = self.pool.get()?.query(&sql, &values)?;
        rows.into_iter()
            .map(|mut row| {
                let id: i64 = row.get(5)?;
                Ok((id, entry(row)?))
            })
            .collect()
    }

    /// The database's plan for the first step of [`Store::audit_after`] under `filter`, one
    /// line per node: how a test shows that the filters use migration 0024's indexes
    /// (`audit_by_actor`, `audit_by_action`, `audit_by_at`) on SQLite and PostgreSQL alike.
    pub fn explain_audit_filter(&self, filter: &AuditFilter) -> Result<String, StoreError> {
        let (sql, owned) = keyset_sql(filter, false)?;
        let (_, mut values) = conditions(filter, &owned);
        values.push(Param::Int(AUDIT_EXPORT_PAGE as i64));
        let mut db = self.pool.get()?;
        let (explain, column) = match db.dialect() {
            super::sql::Dialect::Sqlite => ("EXPLAIN QUERY PLAN", 3),
            super::sql::Dialect::Postgres => ("EXPLAIN", 0),
        };
        let mut lines = Vec::new();
        for mut row in db.query(&format!("{explain} {sql}"), &values)? {
            lines.push(row.get::<String>(column)?);
        }
        Ok(lines.join("\n"))
    }

    /// A kiosk's latest heartbeats as the audit log keeps them, newest first.
    pub fn heartbeat_history(
        &self,
        kiosk_id: &str,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let actor = format!("kiosk:{kiosk_id}");
        self.pool
            .get()?
            .query(
                "SELECT at, actor, action, subject, outcome FROM audit
                 WHERE actor = ?1 AND action = 'heartbeat' ORDER BY id DESC LIMIT ?2",
                params![actor, limit as i64],
            )?
            .into_iter()
            .map(entry)
            .collect()
    }

    /// Heartbeats received per kiosk and UTC day (`YYYY-MM-DD`) from `since_day` on.
    pub fn heartbeats_per_day(
        &self,
        since_day: &str,
    ) -> Result<BTreeMap<(String, String), u64>, StoreError> {
        let rows = self.pool.get()?.query(
            "SELECT actor, substr(at, 1, 10), count(*) FROM audit
             WHERE action = 'heartbeat' AND substr(at, 1, 10) >= ?1
             GROUP BY actor, substr(at, 1, 10)",
            params![since_day],
        )?;
        let mut counts = BTreeMap::new();
        for mut row in rows {
            let actor: String = row.get(0)?;
            let Some(kiosk) = actor.strip_prefix("kiosk:") else { continue };
            let count: i64 = row.get(2)?;
            counts.insert((kiosk.to_owned(), row.get(1)?), count.max(0) as u64);
        }
        Ok(counts)
    }
}

/// The keyset query of [`Store::audit_after`], and the values its conditions borrow.
fn keyset_sql(filter: &AuditFilter, after: bool) -> Result<(String, Owned), StoreError> {
    let owned = owned_values(filter)?;
    let (mut conditions, values) = conditions(filter, &owned);
    let mut n = values.len();
    if after {
        n += 1;
        conditions.push(format!("id < ?{n}"));
    }
    let sql = format!(
        "SELECT at, actor, action, subject, outcome, id FROM audit {}
         ORDER BY id DESC LIMIT ?{}",
        where_clause(&conditions),
        n + 1
    );
    Ok((sql, owned))
}

fn entry(mut row: super::sql::Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: row.get(0)?,
        actor: row.get(1)?,
        action: row.get(2)?,
        subject: row.get(3)?,
        outcome: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_day_is_included_up_to_the_next() {
        assert_eq!(next_day("2026-12-31").expect("a day"), "2027-01-01");
        assert!(next_day("31-12-2026").is_err());
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_literal("50%_a\\B"), "%50\\%\\_a\\\\b%");
    }
}
