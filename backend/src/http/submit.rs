//! What citizen submissions share, reports and letter requests alike: their fields checked
//! at the boundary, the kiosk's own ticket, and filing with the answer `201` or `200`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::api::{ErrorCode, NikEntry, TicketStatus};
use protocol::ticket::Ticket;
use protocol::{IdempotencyKey, Nik, Text};

use super::{AppError, AppState, now};
use crate::store::{AuditEntry, Store, StoreError};

/// A NIK field of a submission; a refusal names the field ("NIK pelapor: ...").
pub(super) fn nik_field(value: &str, field_id: &str, field_en: &str) -> Result<Nik, AppError> {
    Nik::parse(value).map_err(|error| AppError::nik_field(&error, Text::new(field_id, field_en)))
}

/// The key the kiosk's outbox resends a submission under, by the rule it chose it by.
pub(super) fn idempotency_key(key: &str) -> Result<IdempotencyKey, AppError> {
    IdempotencyKey::parse(key)
        .map_err(|error| AppError::bad_request(ErrorCode::BadRequest, error.text()))
}

/// A kiosk may file under a ticket it issued itself only with its own issuer number: two
/// kiosks (or a kiosk and the central service) can then never hand out the same ticket.
/// Read fresh from the store, not from the guard's cache, so a renewed registration counts.
pub(super) async fn check_kiosk_ticket(
    state: &AppState,
    kiosk: &str,
    ticket: Ticket,
) -> Result<(), AppError> {
    let record = {
        let store = state.store.clone();
        let id = kiosk.to_string();
        tokio::task::spawn_blocking(move || store.kiosk(&id)).await??
    };
    let own = record.and_then(|record| record.issuer);
    if own.is_some() && own == Some(ticket.issuer()) {
        return Ok(());
    }
    tracing::warn!(kiosk, issuer = ticket.issuer(), ?own, "ticket of another issuer refused");
    Err(ticket_refused())
}

/// A kiosk ticket of another issuer.
fn ticket_refused() -> AppError {
    AppError::bad_request(
        ErrorCode::InvalidTicket,
        Text::new(
            "Nomor tiket dari anjungan ini tidak dapat diterima. Silakan hubungi petugas desa.",
            "This kiosk's ticket number cannot be accepted. Please ask the village staff.",
        ),
    )
}

/// A kiosk ticket another submission holds: `409 ticket_taken`. The kiosk's counter is
/// behind (it was re-imaged), not the submission wrong, so the kiosk files it again under a
/// new ticket of its own; an older kiosk that cannot read the code keeps resending it,
/// which loses nothing either.
fn ticket_taken(ticket: Ticket) -> AppError {
    AppError::conflict(
        ErrorCode::TicketTaken,
        Text::new(
            format!(
                "Nomor tiket {ticket} sudah dipakai pengajuan lain; anjungan akan memberi nomor baru."
            ),
            format!(
                "Ticket {ticket} already belongs to another submission; the kiosk will issue a new one."
            ),
        ),
    )
}

/// Files a submission (report or letter request) with `file` on the blocking pool, logs
/// and audits it with masked identifiers, and answers `201` for a new one or `200` for a
/// repeated idempotency key. The audit entry is written in the filing's own transaction.
/// A kiosk ticket another submission holds is answered [`ticket_taken`], nothing filed.
pub(super) async fn answer_filed<F>(
    state: &AppState,
    kiosk: &str,
    action: &str,
    nik_entry: NikEntry,
    file: F,
) -> Result<Response, AppError>
where
    F: FnOnce(
            &Store,
            &dyn Fn(&TicketStatus, bool) -> AuditEntry,
        ) -> Result<(TicketStatus, bool), StoreError>
        + Send
        + 'static,
{
    let (status, created) = filed(state, kiosk, action, nik_entry, file).await?;
    Ok(respond(status, created))
}

/// `201` for a new submission, `200` for the same one again.
pub(super) fn respond(status: TicketStatus, created: bool) -> Response {
    let code = if created { StatusCode::CREATED } else { StatusCode::OK };
    (code, Json(status)).into_response()
}

/// [`answer_filed`] without the answer: the filed status and whether it is new.
pub(super) async fn filed<F>(
    state: &AppState,
    kiosk: &str,
    action: &str,
    nik_entry: NikEntry,
    file: F,
) -> Result<(TicketStatus, bool), AppError>
where
    F: FnOnce(
            &Store,
            &dyn Fn(&TicketStatus, bool) -> AuditEntry,
        ) -> Result<(TicketStatus, bool), StoreError>
        + Send
        + 'static,
{
    let store = state.store.clone();
    let (actor, action_name) = (format!("kiosk:{kiosk}"), action.to_owned());
    let entry = move |status: &TicketStatus, _created: bool| AuditEntry {
        at: now(),
        actor: actor.clone(),
        action: action_name.clone(),
        subject: format!("{} {}", status.ticket, status.subject),
        outcome: outcome(status, nik_entry),
    };
    let (status, created) = match tokio::task::spawn_blocking(move || file(&store, &entry)).await? {
        Ok(filed) => filed,
        Err(StoreError::TicketTaken(ticket)) => {
            tracing::warn!(kiosk, %ticket, "kiosk ticket refused: already taken");
            state.store.audit(AuditEntry {
                at: now(),
                actor: format!("kiosk:{kiosk}"),
                action: action.into(),
                subject: ticket.to_string(),
                outcome: "ticket_taken".into(),
            });
            return Err(ticket_taken(ticket));
        }
        Err(error) => return Err(error.into()),
    };
    let outcome = outcome(&status, nik_entry);
    tracing::info!(ticket = %status.ticket, subject = %status.subject, outcome, created, "{action}");
    Ok((status, created))
}

/// What the audit log says came of a submission, and whether the person at the kiosk held
/// the e-KTP or typed the number.
fn outcome(status: &TicketStatus, nik_entry: NikEntry) -> String {
    let outcome = match &status.letter {
        Some(letter) => format!("{} {}", letter.as_str(), status.state.as_str()),
        None => status.state.as_str().to_string(),
    };
    format!("{outcome} nik_entry={}", nik_entry.as_str())
}

/// A ticket in a path, or `400 invalid_ticket` saying whether it is a typo (check digit) or
/// not a ticket at all.
pub(super) fn path_ticket(raw: &str) -> Result<protocol::ticket::Ticket, AppError> {
    protocol::ticket::Ticket::parse(raw).map_err(|error| {
        let (id, en) = match error {
            protocol::ticket::TicketError::CheckDigit => (
                "Nomor tiket salah ketik (angka pemeriksa tidak cocok).",
                "The ticket number has a typo (check digit mismatch).",
            ),
            _ => (
                "Nomor tiket berbentuk LP-0000-000123-4.",
                "A ticket number looks like LP-0000-000123-4.",
            ),
        };
        AppError::bad_request(protocol::api::ErrorCode::InvalidTicket, protocol::Text::new(id, en))
    })
}
