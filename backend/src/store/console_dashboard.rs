//! What the console's dashboard counts: each kiosk's last heartbeat and requests today, and
//! per desa the reports and letter requests of the day and those waiting for the staff.
//! Counts and states only; no personal datum leaves these queries.

use std::collections::BTreeMap;

use protocol::fleet::PrinterState;

use super::sql::{Db, Row, params};
use super::{Store, StoreError};

/// A kiosk as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskState {
    pub id: String,
    pub desa_code: Option<u64>,
    pub enabled: bool,
    /// When its last heartbeat arrived (RFC 3339 UTC); `None`: it never sent one.
    pub last_seen: Option<String>,
    pub version: Option<String>,
    pub printer: Option<PrinterState>,
    pub paper_remaining_mm: Option<i64>,
    /// Submissions waiting in its outbox.
    pub outbox: Option<i64>,
    pub door_open: Option<bool>,
    pub last_error: Option<String>,
    /// Requests that took a NIK or a ticket today (status and ticket lookups, reports,
    /// letter requests), as the daily cap counts them.
    pub requests_today: u64,
}

/// One desa's day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesaCounts {
    pub reports_today: u64,
    pub reports_waiting: u64,
    pub letters_today: u64,
    pub letters_waiting: u64,
}

fn count(row: &mut Row, index: usize) -> Result<u64, StoreError> {
    Ok(row.get::<Option<i64>>(index)?.unwrap_or(0).max(0) as u64)
}

impl Store {
    /// The kiosks of `desa` (every kiosk: `None`), by desa and id. `usage_day`: the UTC day
    /// (`YYYY-MM-DD`) whose requests are counted, as `kiosk_usage` keeps them.
    pub fn kiosk_states(
        &self,
        desa: Option<u64>,
        usage_day: &str,
    ) -> Result<Vec<KioskState>, StoreError> {
        const COLUMNS: &str = "SELECT k.id, k.desa_code, k.enabled, h.received_at, h.version,
                h.printer_state, h.paper_remaining_mm, h.queue_depth, h.door_open, h.last_error,
                u.requests
             FROM kiosks k
             LEFT JOIN kiosk_heartbeats h ON h.kiosk_id = k.id
             LEFT JOIN kiosk_usage u ON u.kiosk = k.id AND u.day = ?1";
        let mut db = self.pool.get()?;
        let rows = match desa {
            Some(desa) => db.query(
                &format!("{COLUMNS} WHERE k.desa_code = ?2 ORDER BY k.id"),
                params![usage_day, desa],
            )?,
            None => {
                db.query(&format!("{COLUMNS} ORDER BY k.desa_code, k.id"), params![usage_day])?
            }
        };
        rows.into_iter()
            .map(|mut row| {
                let printer: Option<String> = row.get(5)?;
                Ok(KioskState {
                    id: row.get(0)?,
                    desa_code: row.get(1)?,
                    enabled: row.get(2)?,
                    last_seen: row.get(3)?,
                    version: row.get(4)?,
                    printer: printer.as_deref().and_then(PrinterState::parse),
                    paper_remaining_mm: row.get(6)?,
                    outbox: row.get(7)?,
                    door_open: row.get(8)?,
                    last_error: row.get(9)?,
                    requests_today: count(&mut row, 10)?,
                })
            })
            .collect()
    }

    /// Reports (by the desa of the person reported about) and letter requests, per desa:
    /// filed since `since` (RFC 3339 UTC, the start of the desa's day) and waiting for the
    /// staff now. Only desas with something to count are in the map; `desa`: one desa only.
    pub fn desa_counts(
        &self,
        desa: Option<u64>,
        since: &str,
    ) -> Result<BTreeMap<u64, DesaCounts>, StoreError> {
        let mut db = self.pool.get()?;
        let only = if desa.is_some() { "AND f.desa_code = ?2" } else { "" };
        let mut query = |sql: String| match desa {
            Some(code) => db.query(&sql, params![since, code]),
            None => db.query(&sql, params![since]),
        };
        let reports = query(format!(
            "SELECT f.desa_code,
                        sum(CASE WHEN r.created_at >= ?1 THEN 1 ELSE 0 END),
                        sum(CASE WHEN r.state = 'verification' THEN 1 ELSE 0 END)
                 FROM reports r
                 JOIN residents p ON p.nik = r.subject_nik
                 JOIN families f ON f.kk = p.kk
                 WHERE (r.created_at >= ?1 OR r.state = 'verification') {only}
                 GROUP BY f.desa_code"
        ))?;
        let letters = query(format!(
            "SELECT f.desa_code,
                        sum(CASE WHEN f.created_at >= ?1 THEN 1 ELSE 0 END),
                        sum(CASE WHEN f.state = 'verification' THEN 1 ELSE 0 END)
                 FROM letter_requests f
                 WHERE (f.created_at >= ?1 OR f.state = 'verification') {only}
                 GROUP BY f.desa_code"
        ))?;
        let mut counts: BTreeMap<u64, DesaCounts> = BTreeMap::new();
        for mut row in reports {
            let desa: i64 = row.get(0)?;
            let entry = counts.entry(desa as u64).or_default();
            entry.reports_today = count(&mut row, 1)?;
            entry.reports_waiting = count(&mut row, 2)?;
        }
        for mut row in letters {
            let desa: i64 = row.get(0)?;
            let entry = counts.entry(desa as u64).or_default();
            entry.letters_today = count(&mut row, 1)?;
            entry.letters_waiting = count(&mut row, 2)?;
        }
        Ok(counts)
    }
}
