//! Alerts for operations: what a person must look at (a burst of lookups, a locked-out
//! account, a disk that refuses writes). One open alert per kind and subject, so a flood of
//! the same event costs one row and a counter, never a table that grows with the attack.

use rand::RngCore;

use super::sql::{Db, params};
use super::{Store, StoreError};

/// What happened. Stored as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// One kiosk looked up residents faster than a hall's queue could (NIK harvesting).
    LookupBurst,
    /// One kiosk reached its daily cap of lookups.
    DailyCap,
    /// A staff account, an address or the service as a whole was locked out of signing in.
    LoginLockout,
    /// Staff-mode PIN failures reported by a kiosk's heartbeat.
    PinFailures,
    /// The service refused a request because it could not write its audit (a full disk).
    AuditRefused,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::LookupBurst,
        AlertKind::DailyCap,
        AlertKind::LoginLockout,
        AlertKind::PinFailures,
        AlertKind::AuditRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::LookupBurst => "lookup_burst",
            AlertKind::DailyCap => "daily_cap",
            AlertKind::LoginLockout => "login_lockout",
            AlertKind::PinFailures => "pin_failures",
            AlertKind::AuditRefused => "audit_refused",
        }
    }

    pub fn parse(text: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One alert as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub id: String,
    pub kind: AlertKind,
    /// Masked identifiers only: `kiosk:<id>`, `staff:<user>`, `ip:<address>`.
    pub subject: String,
    pub detail: String,
    pub first_at: String,
    pub last_at: String,
    /// How many times it was raised while open.
    pub count: u64,
    pub acknowledged_by: Option<String>,
    /// When it was acknowledged (RFC 3339 UTC).
    pub acknowledged_at: Option<String>,
    /// What its acknowledger wrote, if anything.
    pub note: Option<String>,
}

impl AlertRecord {
    /// The kiosk the alert is about, for alerts raised about one (`kiosk:<id>`).
    pub fn kiosk(&self) -> Option<&str> {
        self.subject.strip_prefix("kiosk:")
    }
}

/// Which alerts a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertState {
    /// Not yet acknowledged.
    #[default]
    Open,
    /// Acknowledged: the history.
    Acknowledged,
    All,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<AlertState> {
        [AlertState::Open, AlertState::Acknowledged, AlertState::All]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

const ALERT_COLUMNS: &str = "id, kind, subject, detail, first_at, last_at, count, acknowledged_by,
    acknowledged_at, acknowledged_note";

fn alert_row(mut row: super::sql::Row) -> Result<AlertRecord, StoreError> {
    let kind: String = row.get(1)?;
    Ok(AlertRecord {
        id: row.get(0)?,
        kind: AlertKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown alert kind {kind}")))?,
        subject: row.get(2)?,
        detail: row.get(3)?,
        first_at: row.get(4)?,
        last_at: row.get(5)?,
        count: row.get(6)?,
        acknowledged_by: row.get(7)?,
        acknowledged_at: row.get(8)?,
        note: row.get(9)?,
    })
}

impl Store {
    /// Raises an alert, or counts a repeat of the open one of the same kind and subject.
    /// `subject` and `detail` must hold no personal data.
    pub fn raise_alert(
        &self,
        kind: AlertKind,
        subject: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let id = hex::encode(id);
        let now = now();
        tracing::warn!(kind = kind.as_str(), subject, detail, "alert");
        self.pool.get()?.execute(
            "INSERT INTO alerts (id, kind, subject, detail, first_at, last_at, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1)
             ON CONFLICT (kind, subject) WHERE acknowledged_at IS NULL
             DO UPDATE SET last_at = excluded.last_at, detail = excluded.detail,
                 count = alerts.count + 1",
            params![id, kind.as_str(), subject, detail, now],
        )?;
        Ok(())
    }

    /// Alerts newest first: the open ones only, or every one when `include_acknowledged`.
    pub fn alerts(
        &self,
        include_acknowledged: bool,
        limit: usize,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        let state = if include_acknowledged { AlertState::All } else { AlertState::Open };
        self.alerts_in(state, limit)
    }

    /// Alerts in `state`, newest first (the history by when they were acknowledged).
    pub fn alerts_in(
        &self,
        state: AlertState,
        limit: usize,
    ) -> Result<Vec<AlertRecord>, StoreError> {
        let (condition, order) = match state {
            AlertState::Open => ("acknowledged_at IS NULL", "last_at DESC, id"),
            AlertState::Acknowledged => ("acknowledged_at IS NOT NULL", "acknowledged_at DESC, id"),
            AlertState::All => ("TRUE", "last_at DESC, id"),
        };
        let rows = self.pool.get()?.query(
            &format!(
                "SELECT {ALERT_COLUMNS} FROM alerts WHERE {condition} ORDER BY {order} LIMIT ?1"
            ),
            params![limit as i64],
        )?;
        rows.into_iter().map(alert_row).collect()
    }

    /// One alert by id.
    pub fn alert(&self, id: &str) -> Result<Option<AlertRecord>, StoreError> {
        self.pool
            .get()?
            .query_opt(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"), params![id])?
            .map(alert_row)
            .transpose()
    }

    /// Marks an open alert as seen by `by`, with an optional note; false when no open alert
    /// has that id (it was acknowledged meanwhile, or never existed).
    pub fn acknowledge_alert(
        &self,
        id: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self.pool.get()?.execute(
            "UPDATE alerts SET acknowledged_at = ?2, acknowledged_by = ?3, acknowledged_note = ?4
             WHERE id = ?1 AND acknowledged_at IS NULL",
            params![id, now(), by, note],
        )?;
        Ok(changed > 0)
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_counts_on_the_open_alert_and_an_acknowledged_one_starts_afresh() {
        let store = Store::open_temporary().expect("store");
        for _ in 0..3 {
            store.raise_alert(AlertKind::LookupBurst, "kiosk:k1", "90 lookups in 60 s").unwrap();
        }
        store.raise_alert(AlertKind::LookupBurst, "kiosk:k2", "80 lookups in 60 s").unwrap();
        let open = store.alerts(false, 10).unwrap();
        assert_eq!(open.len(), 2, "{open:?}");
        let k1 = open.iter().find(|a| a.subject == "kiosk:k1").expect("k1's alert");
        assert_eq!(k1.count, 3);

        assert!(store.acknowledge_alert(&k1.id, "operator", Some("checked")).unwrap());
        assert!(!store.acknowledge_alert(&k1.id, "operator", None).unwrap(), "acknowledged");
        let seen = store.alert(&k1.id).unwrap().expect("kept");
        assert_eq!(seen.note.as_deref(), Some("checked"));
        assert!(seen.acknowledged_at.is_some());
        assert_eq!(store.alerts_in(AlertState::Acknowledged, 10).unwrap(), [seen]);
        store.raise_alert(AlertKind::LookupBurst, "kiosk:k1", "95 lookups in 60 s").unwrap();
        let open = store.alerts(false, 10).unwrap();
        let k1_again = open.iter().find(|a| a.subject == "kiosk:k1").expect("a new alert");
        assert_eq!(k1_again.count, 1);
        assert_ne!(k1_again.id, k1.id);
        assert_eq!(store.alerts(true, 10).unwrap().len(), 3);
    }
}
