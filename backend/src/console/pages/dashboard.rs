//! `/console/`: the desa's day at a glance. Requests at its kiosks today, reports and letter
//! requests filed today and those waiting for the staff, the first letters in the queue,
//! and the state of each kiosk (online from its last heartbeat, printer and paper, door,
//! outbox). An account of no desa (kabupaten, auditor) sees the totals over every desa and
//! a row per desa, and picks one with `?desa=`; a desa account sees only its own (another
//! desa's code answers 404).

use std::collections::BTreeSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use protocol::fleet::PrinterState;
use serde::{Deserialize, Serialize};

use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::store::{DesaCounts, KioskState, WaitingLetter};

const PAGE: Page =
    Page { template: "dashboard.html", title: ("Dasbor", "Dashboard"), nav: "dashboard" };

/// A kiosk whose last heartbeat is older than this is offline (it beats every minute).
const ONLINE_SECONDS: i64 = 180;

/// Letters of the queue shown on a desa's dashboard.
const FIRST_WAITING: usize = 5;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pick {
    desa: Option<String>,
}

fn said(id: impl Into<String>, en: impl Into<String>) -> Said {
    Said { id: id.into(), en: en.into() }
}

#[derive(Serialize, Default)]
struct Totals {
    visits: u64,
    reports_today: u64,
    reports_waiting: u64,
    letters_today: u64,
    letters_waiting: u64,
    kiosks: usize,
    online: usize,
}

#[derive(Serialize)]
pub(crate) struct KioskView {
    id: String,
    desa: String,
    /// `ok`, `warn` or `bad`: how the row is coloured.
    health: &'static str,
    state: Said,
    last_seen: String,
    printer: Said,
    printer_health: &'static str,
    paper: String,
    door: Said,
    door_health: &'static str,
    outbox: String,
    outbox_health: &'static str,
    requests_today: u64,
    version: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct DesaRow {
    name: String,
    href: String,
    kiosks: usize,
    online: usize,
    visits: u64,
    reports_today: u64,
    reports_waiting: u64,
    letters_waiting: u64,
}

#[derive(Serialize)]
struct Choice {
    code: u64,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct WaitingRow {
    href: String,
    ticket: String,
    letter: Said,
    applicant: String,
    name: String,
    filed_at: String,
}

#[derive(Serialize)]
struct DashboardView {
    scope: Said,
    /// The totals of every desa, with a row per desa.
    all: bool,
    /// The account may pick a desa.
    may_pick: bool,
    day: String,
    totals: Totals,
    kiosks: Vec<KioskView>,
    desas: Vec<DesaRow>,
    choices: Vec<Choice>,
    waiting: Vec<WaitingRow>,
    more_waiting: usize,
}

fn online(state: &KioskState, now: time::OffsetDateTime) -> bool {
    use time::format_description::well_known::Rfc3339;
    state
        .last_seen
        .as_deref()
        .and_then(|at| time::OffsetDateTime::parse(at, &Rfc3339).ok())
        .is_some_and(|at| (now - at).whole_seconds() < ONLINE_SECONDS)
}

pub(crate) fn kiosk_view(state: &KioskState, now: time::OffsetDateTime) -> KioskView {
    let is_online = online(state, now);
    let (health, status) = match (state.enabled, state.last_seen.is_some(), is_online) {
        (false, _, _) => ("bad", said("dinonaktifkan", "disabled")),
        (true, false, _) => ("warn", said("belum pernah terhubung", "never connected")),
        (true, true, true) => ("ok", said("daring", "online")),
        (true, true, false) => ("bad", said("luring", "offline")),
    };
    let (printer, printer_health) = match state.printer {
        Some(printer) => {
            let health = match printer {
                PrinterState::Online => "ok",
                PrinterState::PaperNearEnd => "warn",
                _ => "bad",
            };
            (Said::from(printer.text()), health)
        }
        None => (said("tidak diketahui", "unknown"), "warn"),
    };
    let (door, door_health) = match state.door_open {
        Some(true) => (said("terbuka", "open"), "bad"),
        Some(false) => (said("tertutup", "closed"), "ok"),
        None => (said("-", ""), "none"),
    };
    let (outbox, outbox_health) = match state.outbox {
        Some(0) => ("0".to_owned(), "ok"),
        Some(n) => (n.to_string(), if n > 20 { "bad" } else { "warn" }),
        None => ("-".to_owned(), "ok"),
    };
    KioskView {
        id: state.id.clone(),
        desa: state.desa_code.map(village).unwrap_or_default(),
        health,
        state: status,
        last_seen: state
            .last_seen
            .as_deref()
            .map(|at| seen_at(at, state.desa_code, now))
            .unwrap_or_else(|| "-".into()),
        printer,
        printer_health,
        paper: state.paper_remaining_mm.map(paper_left).unwrap_or_else(|| "-".into()),
        door,
        door_health,
        outbox,
        outbox_health,
        requests_today: state.requests_today,
        version: state.version.clone().unwrap_or_default(),
        error: state.last_error.clone().filter(|error| !error.is_empty()),
    }
}

/// A village's own name (`Pakis`), for tables that have a column per desa.
pub(crate) fn village(code: u64) -> String {
    protocol::region::regions()
        .village(code)
        .map(|village| village.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// When a heartbeat arrived: the time alone when it is today on the desa's clock.
fn seen_at(at: &str, desa: Option<u64>, now: time::OffsetDateTime) -> String {
    let full = local_time(at, desa);
    let today = local_time(
        &now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        desa,
    );
    match (full.split_once(' '), today.split_once(' ')) {
        (Some((day, time)), Some((this_day, _))) if day == this_day => time.to_owned(),
        _ => full,
    }
}

/// Paper left on the roll: `41 m`, or `900 mm` when less than a metre.
fn paper_left(mm: i64) -> String {
    if mm >= 1000 { format!("{} m", mm / 1000) } else { format!("{mm} mm") }
}

/// The start of the desa's day as RFC 3339 UTC without fraction or zone: it sorts before
/// every stored time of that second and after, as the stored times are written.
fn start_of_day(desa: Option<u64>, now: time::OffsetDateTime) -> String {
    let (offset, _) = crate::letters::number::desa_zone(desa.unwrap_or(0));
    let midnight = now.to_offset(offset).date().midnight().assume_offset(offset);
    let utc = midnight.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

struct Day {
    kiosks: Vec<KioskState>,
    counts: std::collections::BTreeMap<u64, DesaCounts>,
    waiting: Vec<WaitingLetter>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    pick: Result<Query<Pick>, QueryRejection>,
) -> Response {
    let pick = pick.map(|Query(pick)| pick).unwrap_or_default();
    let picked = match pick.desa.as_deref().filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => match text.parse::<u64>() {
            Ok(code) if user.staff.covers(code) => Some(code),
            _ => return reply::not_found(&state, Some(&user)),
        },
    };
    let scope = user.staff.desa_code.or(picked);
    let now = time::OffsetDateTime::now_utc();
    let usage_day = now.date().to_string();
    let since = start_of_day(scope, now);
    let store = state.store.clone();
    let day = reply::blocking(move || {
        Ok(Day {
            kiosks: store.kiosk_states(scope, &usage_day)?,
            counts: store.desa_counts(scope, &since)?,
            waiting: if scope.is_some() { store.waiting_letters(scope)? } else { Vec::new() },
        })
    })
    .await;
    let day = match day {
        Ok(day) => day,
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let subject = scope.map_or_else(|| "all".to_owned(), |code| format!("desa:{code}"));
    reply::audit(&state, &user.actor(), "console_dashboard", &subject, "viewed");

    let mut totals = Totals::default();
    for counts in day.counts.values() {
        totals.reports_today += counts.reports_today;
        totals.reports_waiting += counts.reports_waiting;
        totals.letters_today += counts.letters_today;
        totals.letters_waiting += counts.letters_waiting;
    }
    let views: Vec<KioskView> = day.kiosks.iter().map(|kiosk| kiosk_view(kiosk, now)).collect();
    totals.kiosks = views.len();
    totals.online = views.iter().filter(|view| view.health == "ok").count();
    totals.visits = day.kiosks.iter().map(|kiosk| kiosk.requests_today).sum();

    let mut known: BTreeSet<u64> = day.counts.keys().copied().collect();
    known.extend(day.kiosks.iter().filter_map(|kiosk| kiosk.desa_code));
    let desas = if scope.is_none() {
        known
            .iter()
            .map(|&code| {
                let counts = day.counts.get(&code).cloned().unwrap_or_default();
                let kiosks: Vec<(&KioskState, &KioskView)> = day
                    .kiosks
                    .iter()
                    .zip(&views)
                    .filter(|(kiosk, _)| kiosk.desa_code == Some(code))
                    .collect();
                DesaRow {
                    name: desa_text(Some(code)).id,
                    href: format!("/console/?desa={code}"),
                    kiosks: kiosks.len(),
                    online: kiosks.iter().filter(|(_, view)| view.health == "ok").count(),
                    visits: kiosks.iter().map(|(kiosk, _)| kiosk.requests_today).sum(),
                    reports_today: counts.reports_today,
                    reports_waiting: counts.reports_waiting,
                    letters_waiting: counts.letters_waiting,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let may_pick = user.staff.desa_code.is_none();
    if let Some(code) = picked {
        known.insert(code);
    }
    let choices = if may_pick {
        known
            .iter()
            .map(|&code| Choice {
                code,
                name: desa_text(Some(code)).id,
                selected: Some(code) == picked,
            })
            .collect()
    } else {
        Vec::new()
    };
    let waiting = day
        .waiting
        .iter()
        .take(FIRST_WAITING)
        .map(|letter| WaitingRow {
            href: format!("/console/letters/{}", letter.ticket),
            ticket: letter.ticket.clone(),
            letter: state
                .letters
                .get(&letter.letter)
                .map(|def| Said::from(def.name.clone()))
                .unwrap_or_else(|| said(letter.letter.to_string(), letter.letter.to_string())),
            applicant: letter.applicant.clone(),
            name: letter.applicant_name.clone(),
            filed_at: local_time(&letter.filed_at, Some(letter.desa_code)),
        })
        .collect();
    let today = now.to_offset(crate::letters::number::desa_zone(scope.unwrap_or(0)).0).date();
    let view = DashboardView {
        scope: desa_text(scope),
        all: scope.is_none(),
        may_pick,
        day: format!("{:02}-{:02}-{}", today.day(), u8::from(today.month()), today.year()),
        totals,
        kiosks: views,
        desas,
        choices,
        more_waiting: day.waiting.len().saturating_sub(FIRST_WAITING),
        waiting,
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_starts_at_the_desas_midnight() {
        let now = time::macros::datetime!(2026-12-07 02:15 UTC);
        assert_eq!(start_of_day(Some(3510152001), now), "2026-12-06T17:00:00");
        assert_eq!(start_of_day(Some(9171012001), now), "2026-12-06T15:00:00");
        // Sorts before every stored time of the day, fractions included.
        assert!("2026-12-06T17:00:00.000001Z" >= start_of_day(Some(3510152001), now).as_str());
        assert!("2026-12-06T16:59:59.999Z" < start_of_day(Some(3510152001), now).as_str());
    }
}
