//! Citizen reports: `POST /api/v1/reports` and `GET /api/v1/tickets/{ticket}`.
//!
//! A report is cross-checked at once by the same eligibility engine as every other entry
//! path, against the community programs meant for families not covered by any scheme. It is
//! rejected with its reason, or passed to desa staff for verification. A report about
//! someone else never learns what that person receives.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::api::{
    ApiError, ErrorCode, REPORT_TEXT_MAX, REPORTS_PATH, ReportRequest, ReportState, TICKET_PATH,
    TicketStatus,
};
use protocol::mask::mask_digits_in;
use protocol::phone::normalise_phone;
use protocol::ticket::Ticket;
use protocol::{IdempotencyKey, Nik, Text};

use super::error::{ApiJson, JsonBody};
use super::{AppError, AppState, Kiosk, now};
use crate::checks::decide_for;
use crate::eligibility::{Decision, Quota, Request};
use crate::store::{AuditEntry, NewReport, Store, StoreError};

/// The program a citizen report asks for: Banyuwangi Gotong Royong, for families that no
/// scheme covers yet.
pub const REPORT_PROGRAM: &str = "GOTONG_ROYONG";

impl JsonBody for ReportRequest {
    const NAME_ID: &'static str = "Isian laporan";
    const NAME_EN: &'static str = "The report";
}

/// Free text without control characters, or `None` when too long.
fn clean_text(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let cleaned = cleaned.trim().to_string();
    (cleaned.chars().count() <= REPORT_TEXT_MAX).then_some(cleaned)
}

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

/// A kiosk ticket of another issuer, or one another submission holds.
fn ticket_refused() -> AppError {
    AppError::bad_request(
        ErrorCode::InvalidTicket,
        Text::new(
            "Nomor tiket dari anjungan ini tidak dapat diterima. Silakan hubungi petugas desa.",
            "This kiosk's ticket number cannot be accepted. Please ask the village staff.",
        ),
    )
}

/// Files a submission (report or letter request) with `file` on the blocking pool, logs
/// and audits it with masked identifiers, and answers `201` for a new one or `200` for a
/// repeated idempotency key. A kiosk ticket another submission holds is the kiosk's input
/// error, not the service's.
pub(super) async fn answer_filed(
    state: &AppState,
    kiosk: &str,
    action: &str,
    file: impl FnOnce(&Store) -> Result<(TicketStatus, bool), StoreError> + Send + 'static,
) -> Result<Response, AppError> {
    let store = state.store.clone();
    let (status, created) = match tokio::task::spawn_blocking(move || file(&store)).await? {
        Ok(filed) => filed,
        Err(StoreError::TicketTaken(ticket)) => {
            tracing::warn!(kiosk, %ticket, "kiosk ticket refused: already taken");
            return Err(ticket_refused());
        }
        Err(error) => return Err(error.into()),
    };
    let outcome = match status.letter {
        Some(letter) => format!("{} {}", letter.as_str(), status.state.as_str()),
        None => status.state.as_str().to_string(),
    };
    tracing::info!(ticket = %status.ticket, subject = %status.subject, outcome, created, "{action}");
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: action.into(),
        subject: format!("{} {}", status.ticket, status.subject),
        outcome,
    });
    let code = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((code, Json(status)).into_response())
}

/// Files a citizen's report and decides it at once.
#[utoipa::path(
    post,
    path = REPORTS_PATH,
    request_body = ReportRequest,
    security(("kiosk_signature" = [])),
    responses(
        (status = 201, body = TicketStatus, description = "filed: verification or rejected"),
        (status = 200, body = TicketStatus, description = "same idempotency key: the first answer"),
        (status = 400, body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError, description = "reported NIK not in the registry"),
        (status = 413, body = ApiError),
    )
)]
pub async fn file(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<Response, AppError> {
    let reporter = nik_field(&request.reporter_nik, "NIK pelapor", "Reporter's NIK")?;
    let subject = nik_field(&request.subject_nik, "NIK yang dilaporkan", "Reported person's NIK")?;
    let phone = normalise_phone(&request.phone).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::InvalidPhone,
            Text::new(
                "Nomor HP tidak valid. Contoh: 0812 3456 7890.",
                "Invalid mobile number. Example: 0812 3456 7890.",
            ),
        )
    })?;
    let text = clean_text(&request.text).ok_or_else(|| {
        AppError::bad_request(
            ErrorCode::InvalidText,
            Text::new(
                format!("Keterangan paling banyak {REPORT_TEXT_MAX} huruf."),
                format!("The description may have at most {REPORT_TEXT_MAX} characters."),
            ),
        )
    })?;
    let key = idempotency_key(&request.idempotency_key)?;

    if let Some(ticket) = request.ticket {
        check_kiosk_ticket(&state, &kiosk, ticket).await?;
    }

    let facts = {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || store.status(&subject)).await??
    };
    let Some(facts) = facts else {
        return Err(AppError::not_found(
            ErrorCode::ResidentNotFound,
            Text::new(
                "NIK yang dilaporkan tidak ditemukan dalam data desa. Silakan lapor langsung ke petugas desa.",
                "The reported NIK is not in the village records. Please report to the village staff in person.",
            ),
        ));
    };
    let about_self = reporter == subject;
    let asked = Request { program: REPORT_PROGRAM, component: None };
    let decision = decide_for(&state.catalogue, asked, &subject, &facts, Quota::default());
    let (report_state, reason) = match &decision {
        Decision::Accepted => (ReportState::Verification, None),
        Decision::Rejected(reasons) => {
            let first = &reasons[0];
            (
                ReportState::Rejected,
                Some(if about_self { first.text.clone() } else { first.public_text() }),
            )
        }
    };
    let report = NewReport {
        kiosk: kiosk.clone(),
        idempotency_key: key.to_string(),
        reporter,
        subject,
        reason: serde_json::to_value(request.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        phone,
        text,
        state: report_state,
        decision: reason,
        now: now(),
        ticket: request.ticket,
    };
    answer_filed(&state, &kiosk, "report", move |store| store.file_report(&report)).await
}

/// The state of a ticket printed on a receipt.
#[utoipa::path(
    get,
    path = TICKET_PATH,
    params(("ticket" = String, Path, description = "LP-IIII-SSSSSS-C")),
    security(("kiosk_signature" = [])),
    responses(
        (status = 200, body = TicketStatus),
        (status = 400, body = ApiError, description = "invalid_ticket"),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError),
    )
)]
pub async fn ticket(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let ticket = Ticket::parse(&raw).map_err(|error| {
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
        AppError::bad_request(ErrorCode::InvalidTicket, Text::new(id, en))
    })?;
    let found = {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || store.ticket(&ticket)).await??
    };
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "ticket_lookup".into(),
        subject: mask_digits_in(&ticket.to_string()),
        outcome: if found.is_some() { "found" } else { "not_found" }.into(),
    });
    match found {
        Some(status) => Ok(Json(status).into_response()),
        None => Err(AppError::not_found(
            ErrorCode::NotFound,
            Text::new("Tiket tidak ditemukan.", "Ticket not found."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_loses_control_characters_and_is_bounded() {
        assert_eq!(
            clean_text("kehilangan\x1b[31m pekerjaan\n").as_deref(),
            Some("kehilangan[31m pekerjaan")
        );
        assert!(clean_text(&"a".repeat(REPORT_TEXT_MAX + 1)).is_none());
    }
}
