//! How many requests that take a NIK or a ticket each kiosk made per day: counted from the
//! audit entries as the audit writer commits them (same transaction), read back by the
//! API's daily cap. No request writes anything of its own for it.

use std::collections::BTreeMap;

use super::audit::AuditEntry;
use super::sql::{Db, params};
use super::{Store, StoreError};

/// The audited actions a kiosk's daily cap counts: everything that takes a NIK or a ticket.
pub const COUNTED_ACTIONS: [&str; 4] =
    ["status_lookup", "ticket_lookup", "report", "letter_request"];

/// The day an audit entry counts for: its UTC date (`at` is RFC 3339 in UTC).
pub fn day_of(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// Adds a batch's counted entries to `kiosk_usage`, one statement per kiosk and day.
pub(super) fn count<'a>(
    db: &mut impl Db,
    batch: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<(), StoreError> {
    let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for entry in batch {
        let Some(kiosk) = entry.actor.strip_prefix("kiosk:") else { continue };
        if COUNTED_ACTIONS.contains(&entry.action.as_str()) {
            *counts.entry((kiosk, day_of(&entry.at))).or_default() += 1;
        }
    }
    for ((kiosk, day), requests) in counts {
        db.execute(
            "INSERT INTO kiosk_usage (kiosk, day, requests) VALUES (?1, ?2, ?3)
             ON CONFLICT (kiosk, day) DO UPDATE SET requests = kiosk_usage.requests + excluded.requests",
            params![kiosk, day, requests],
        )?;
    }
    Ok(())
}

impl Store {
    /// Requests `kiosk` made on `day` (`YYYY-MM-DD`, UTC), as audited so far.
    pub fn kiosk_usage(&self, kiosk: &str, day: &str) -> Result<u64, StoreError> {
        let requests: Option<i64> = self
            .pool
            .get()?
            .query_opt(
                "SELECT requests FROM kiosk_usage WHERE kiosk = ?1 AND day = ?2",
                params![kiosk, day],
            )?
            .map(|mut row| row.get(0))
            .transpose()?;
        Ok(requests.map_or(0, |n| n.max(0) as u64))
    }

    /// Sets how many counted requests a kiosk may make per day.
    pub fn set_kiosk_daily_cap(&self, kiosk: &str, requests: u32) -> Result<bool, StoreError> {
        self.write(|db| {
            Ok(db.execute(
                "UPDATE kiosks SET requests_per_day = ?2 WHERE id = ?1",
                params![kiosk, i64::from(requests.max(1))],
            )? == 1)
        })
    }
}
