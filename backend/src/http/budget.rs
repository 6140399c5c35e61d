//! What a kiosk may ask of the endpoints that take a NIK or a ticket (status and ticket
//! lookups, reports, letter requests): one budget for all four, so that a stolen key or a
//! tampered kiosk cannot walk the registry or the tickets through whichever is not limited.
//!
//! - Per minute, a token bucket at the kiosk's registered rate, never above
//!   [`MAX_PER_MINUTE`] whatever the registration says. The first refusal of a burst raises
//!   a `lookup_burst` alert.
//! - Per day, the kiosk's `requests_per_day`, counted by the audit writer into
//!   `kiosk_usage` (see `store::usage`): re-read every 30 s, so the cap holds across
//!   restarts and across instances sharing the database, with this instance's own requests
//!   since the last read added. Reaching it raises a `daily_cap` alert.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use protocol::Text;
use time::OffsetDateTime;

use super::{AppError, AppState};
use crate::store::{AlertKind, KioskRecord};

/// The most requests per minute any kiosk gets: a village hall's queue is served at a few
/// a minute; more is someone trying numbers.
pub const MAX_PER_MINUTE: u32 = 120;

// The shared minute's count (PostgreSQL) goes one past the most any kiosk may make.
const _: () = assert!((MAX_PER_MINUTE as u64) < crate::store::MINUTE_COUNT_CAP);

/// How often a kiosk's daily count is read again from the database.
const REFRESH: Duration = Duration::from_secs(30);

/// Each kiosk's day as this instance knows it. One entry per registered kiosk that made a
/// request (only authenticated kiosks reach it), so the map is bounded by the fleet.
#[derive(Default)]
pub struct DailyBudgets {
    kiosks: Mutex<HashMap<String, Day>>,
}

struct Day {
    day: String,
    /// As counted in the database at `read`.
    counted: u64,
    /// Made through this instance since.
    since: u64,
    read: Instant,
    alerted: bool,
}

/// Takes one request from `kiosk`'s budget, or refuses it with `429` and `Retry-After`.
pub(super) async fn spend(
    state: &AppState,
    kiosk: &str,
    record: &KioskRecord,
) -> Result<(), AppError> {
    let per_minute = record.lookups_per_minute.clamp(1, state.ceiling);
    if let Err(retry_after) = state.guard.allow_lookup(kiosk, per_minute) {
        tracing::warn!(%kiosk, "kiosk request rate limit reached");
        if state.guard.first_refusal(kiosk) {
            raise(state, AlertKind::LookupBurst, kiosk, "requests faster than the kiosk's rate");
        }
        return Err(AppError::rate_limited(retry_after));
    }
    let now = OffsetDateTime::now_utc();
    let today = now.date().to_string();
    let stale = {
        let kiosks = state.budgets.kiosks.lock().unwrap_or_else(|p| p.into_inner());
        kiosks.get(kiosk).is_none_or(|day| day.day != today || day.read.elapsed() >= REFRESH)
    };
    if stale {
        let (store, id, day) = (state.store.clone(), kiosk.to_owned(), today.clone());
        let counted = tokio::task::spawn_blocking(move || store.kiosk_usage(&id, &day)).await??;
        let mut kiosks = state.budgets.kiosks.lock().unwrap_or_else(|p| p.into_inner());
        let alerted = kiosks.get(kiosk).is_some_and(|day| day.day == today && day.alerted);
        kiosks.insert(
            kiosk.to_owned(),
            Day { day: today.clone(), counted, since: 0, read: Instant::now(), alerted },
        );
    }
    let mut kiosks = state.budgets.kiosks.lock().unwrap_or_else(|p| p.into_inner());
    let Some(day) = kiosks.get_mut(kiosk) else { return Ok(()) };
    if day.counted + day.since >= u64::from(record.requests_per_day) {
        let first = !day.alerted;
        day.alerted = true;
        drop(kiosks);
        tracing::warn!(%kiosk, "kiosk daily cap reached");
        if first {
            raise(state, AlertKind::DailyCap, kiosk, "the kiosk's requests for the day");
        }
        return Err(daily_cap(now));
    }
    day.since += 1;
    Ok(())
}

/// The per-minute budget as every instance together counts it (PostgreSQL: the kiosk's
/// claimed nonces of the last minute), so two instances cannot each grant a full minute.
pub(super) fn shared_minute(
    state: &AppState,
    kiosk: &str,
    record: &KioskRecord,
    last_minute: u64,
) -> Result<(), AppError> {
    let per_minute = record.lookups_per_minute.clamp(1, state.ceiling);
    // The same allowance as an instance's own bucket: its burst, or a minute's rate if more.
    let allowed = per_minute.max(super::guard::BURST as u32);
    if last_minute < u64::from(allowed) {
        return Ok(());
    }
    tracing::warn!(%kiosk, last_minute, "kiosk request rate limit reached across instances");
    if state.guard.first_refusal(kiosk) {
        raise(state, AlertKind::LookupBurst, kiosk, "requests faster than the kiosk's rate");
    }
    Err(AppError::rate_limited(
        Duration::from_secs(60 / u64::from(per_minute).max(1)).max(Duration::from_secs(1)),
    ))
}

/// `429` until the day turns (00:00 UTC, 07:00 in Banyuwangi).
fn daily_cap(now: OffsetDateTime) -> AppError {
    let midnight = now.date().next_day().map(|day| day.midnight().assume_utc());
    let seconds = midnight.map_or(3600, |m| (m - now).whole_seconds().max(1) as u64);
    AppError::too_many(
        seconds,
        Text::new(
            "Anjungan ini sudah mencapai batas pemeriksaan hari ini. Silakan hubungi petugas desa.",
            "This kiosk has reached today's limit of lookups. Please ask the village staff.",
        ),
    )
}

fn raise(state: &AppState, kind: AlertKind, kiosk: &str, detail: &'static str) {
    let (store, subject) = (state.store.clone(), format!("kiosk:{kiosk}"));
    tokio::task::spawn_blocking(move || {
        if let Err(error) = store.raise_alert(kind, &subject, detail) {
            tracing::error!(%error, "alert not raised");
        }
    });
}
