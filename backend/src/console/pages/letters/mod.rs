//! The letter approval queue: `/console/letters` lists the requests waiting for the staff
//! (NIK and name masked) and the latest issued letters; `/console/letters/{ticket}` shows
//! one as it will print, its NIKs masked until a reason is given ([`unmask`]), with the
//! steps the account may take; the steps are plain
//! forms ([`actions`]); an issued letter's A4 PDF is reachable with the console session.
//!
//! The rules are those of the API and the CLI (`letters::workflow`: which role takes
//! which step, a typed NIK prepared by one account before another approves it, the reason
//! required), and a desa account reaches only its own desa's requests: another desa's
//! ticket, by URL or in a tampered form, answers 404 like a ticket that does not exist.

mod actions;
mod detail;
mod unmask;

use axum::extract::{Extension, State};
use axum::response::Response;
use protocol::letter::LetterCode;
use protocol::ticket::Ticket;
use serde::Serialize;

use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::store::{IssuedSummary, LetterDetail, WaitingLetter};
pub(crate) use actions::{approve, cancel, prepare, reject};
pub(crate) use detail::{detail, pdf};
pub(crate) use unmask::unmask;

const PAGE: Page = Page { template: "letters.html", title: ("Surat", "Letters"), nav: "letters" };

/// Issued letters listed under the queue.
const RECENT_ISSUED: usize = 20;

/// The page of one request.
pub(crate) fn detail_href(ticket: &str) -> String {
    format!("/console/letters/{ticket}")
}

/// A letter type's name in both languages (its code when the catalogue no longer has it).
pub(crate) fn type_name(state: &AppState, code: &str) -> Said {
    LetterCode::parse(code)
        .and_then(|code| state.letters.get(&code))
        .map(|def| Said::from(def.name.clone()))
        .unwrap_or_else(|| Said { id: code.to_owned(), en: code.to_owned() })
}

/// How the applicant's NIK was entered at the kiosk.
pub(crate) fn entry_text(entry: protocol::api::NikEntry) -> Said {
    match entry {
        protocol::api::NikEntry::Card => {
            Said { id: "dibaca dari KTP-el".into(), en: "read from the e-KTP".into() }
        }
        protocol::api::NikEntry::Keypad => Said { id: "diketik".into(), en: "typed".into() },
    }
}

/// The request `raw` names, if it is of the account's desa; `None` for a malformed ticket,
/// an unknown one and another desa's alike.
pub(crate) async fn request_of(
    state: &AppState,
    user: &ConsoleUser,
    raw: &str,
) -> Result<Option<LetterDetail>, Response> {
    let Ok(ticket) = Ticket::parse(raw.trim()) else { return Ok(None) };
    let (store, ticket) = (state.store.clone(), ticket.to_string());
    match reply::blocking(move || store.letter_request(&ticket)).await {
        Ok(detail) => Ok(detail.filter(|detail| user.staff.covers(detail.desa_code))),
        Err(error) => Err(reply::failure(state, Some(user), error)),
    }
}

#[derive(Serialize)]
struct WaitingRow {
    href: String,
    ticket: String,
    letter: Said,
    desa: String,
    applicant: String,
    name: String,
    filed_at: String,
    entry: Said,
    typed: bool,
    prepared: bool,
}

#[derive(Serialize)]
struct IssuedRow {
    href: String,
    ticket: String,
    number: String,
    letter: Said,
    desa: String,
    subject: String,
    issued_at: String,
    cancelled: bool,
    pdf: String,
}

#[derive(Serialize)]
struct ListView {
    /// Every desa's (a kabupaten account): the desa is a column.
    all: bool,
    waiting: Vec<WaitingRow>,
    issued: Vec<IssuedRow>,
}

fn waiting_row(state: &AppState, letter: &WaitingLetter) -> WaitingRow {
    WaitingRow {
        href: detail_href(&letter.ticket),
        ticket: letter.ticket.clone(),
        letter: type_name(state, letter.letter.as_str()),
        desa: desa_text(Some(letter.desa_code)).id,
        applicant: letter.applicant.clone(),
        name: letter.applicant_name.clone(),
        filed_at: local_time(&letter.filed_at, Some(letter.desa_code)),
        entry: entry_text(letter.nik_entry),
        typed: letter.nik_entry == protocol::api::NikEntry::Keypad,
        prepared: letter.prepared_by.is_some(),
    }
}

fn issued_row(state: &AppState, letter: &IssuedSummary) -> IssuedRow {
    IssuedRow {
        href: detail_href(&letter.ticket),
        ticket: letter.ticket.clone(),
        number: letter.number.clone(),
        letter: type_name(state, &letter.letter),
        desa: desa_text(Some(letter.desa_code)).id,
        subject: letter.subject.clone(),
        issued_at: local_time(&letter.issued_at, Some(letter.desa_code)),
        cancelled: letter.cancelled,
        pdf: detail::pdf_href(&letter.id),
    }
}

/// The queue and the latest issued letters of the account's desa (every desa: `None`).
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
) -> Response {
    let (store, desa) = (state.store.clone(), user.staff.desa_code);
    let lists = reply::blocking(move || {
        Ok((store.waiting_letters(desa)?, store.recent_letters(desa, RECENT_ISSUED)?))
    })
    .await;
    let (waiting, issued) = match lists {
        Ok(lists) => lists,
        Err(error) => return reply::failure(&state, Some(&user), error),
    };
    let subject = format!("{} waiting", waiting.len());
    reply::audit(&state, &user.actor(), "letter_queue", &subject, "listed");
    let view = ListView {
        all: desa.is_none(),
        waiting: waiting.iter().map(|letter| waiting_row(&state, letter)).collect(),
        issued: issued.iter().map(|letter| issued_row(&state, letter)).collect(),
    };
    layout::render(&state, Some(&user), &PAGE, &view)
}
