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

impl Store {
    /// Entries matching `filter`, newest first: at most `limit`, after skipping `offset`.
    pub fn search_audit(
        &self,
        filter: &AuditFilter,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let pattern = filter.subject.as_deref().map(like_literal);
        let mut conditions: Vec<String> = Vec::new();
        let mut values: Vec<Param<'_>> = Vec::new();
        let fields: [(&str, Option<&str>); 6] = [
            ("actor = ", filter.actor.as_deref()),
            ("action = ", filter.action.as_deref()),
            ("outcome = ", filter.outcome.as_deref()),
            ("lower(subject) LIKE ", pattern.as_deref()),
            ("substr(at, 1, 10) >= ", filter.from.as_deref()),
            ("substr(at, 1, 10) <= ", filter.to.as_deref()),
        ];
        for (condition, value) in fields {
            if let Some(value) = value {
                values.push(Param::Text(value));
                let escape = if condition.contains("LIKE") { " ESCAPE '\\'" } else { "" };
                conditions.push(format!("{condition}?{}{escape}", values.len()));
            }
        }
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let n = values.len();
        let sql = format!(
            "SELECT at, actor, action, subject, outcome FROM audit {clause}
             ORDER BY id DESC LIMIT ?{} OFFSET ?{}",
            n + 1,
            n + 2
        );
        let (limit, offset) = (limit as i64, offset as i64);
        values.push(Param::Int(limit));
        values.push(Param::Int(offset));
        self.pool.get()?.query(&sql, &values)?.into_iter().map(entry).collect()
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
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_literal("50%_a\\B"), "%50\\%\\_a\\\\b%");
    }
}
