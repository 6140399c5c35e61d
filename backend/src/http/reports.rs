//! Citizen reports: `POST /api/v1/reports` and `GET /api/v1/tickets/{ticket}`.
//!
//! A report is cross-checked at once by the same eligibility engine as every other entry
//! path, against the community programs meant for families not covered by any scheme. It is
//! rejected with its reason, or passed to desa staff for verification. A report about
//! someone else never learns what that person receives. A report about someone the registry
//! records as died, moved away or missing is refused outright (`resident_inactive`): there is
//! nobody to verify or help.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{
    AnswerDetail, ApiError, ErrorCode, REPORT_TEXT_MAX, REPORTS_PATH, ReportRequest, ReportState,
    TICKET_PATH, TicketStatus,
};
use protocol::mask::mask_digits_in;
use protocol::phone::normalise_phone;

use super::error::{ApiJson, JsonBody};
use super::submit::{answer_filed, check_kiosk_ticket, idempotency_key, nik_field};
use super::{AppError, AppState, Kiosk, now};
use crate::checks::decide_for;
use crate::eligibility::{Decision, Quota, Request};
use crate::store::{AuditEntry, KioskRecord, NewReport};

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
        (status = 409, body = ApiError, description = "ticket_taken: the kiosk's own ticket belongs to another submission; file again under a new one"),
        (status = 413, body = ApiError),
        (status = 422, body = ApiError, description = "resident_inactive: the reported person is recorded as died, moved away or missing"),
    )
)]
pub async fn file(
    State(state): State<AppState>,
    Extension(Kiosk(kiosk)): Extension<Kiosk>,
    Extension(record): Extension<KioskRecord>,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<Response, AppError> {
    super::budget::spend(&state, &kiosk, &record).await?;
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
    if !facts.life_status.is_active() {
        let recorded = super::status::recorded_as(super::status::life_status(facts.life_status));
        tracing::info!(subject = %subject.masked(), life_status = facts.life_status.as_str(), "report about an inactive resident refused");
        let (whom_id, whom_en) = if about_self {
            ("NIK Anda", "Your NIK")
        } else {
            ("Orang yang dilaporkan", "The reported person")
        };
        return Err(AppError::unprocessable(
            ErrorCode::ResidentInactive,
            Text::new(
                format!(
                    "{whom_id} {} di data kependudukan, sehingga laporan tidak dapat diajukan. Bila data ini keliru, hubungi petugas desa.",
                    recorded.id
                ),
                format!(
                    "{whom_en} is {} in the population register, so the report cannot be filed. If this is wrong, please contact the village staff.",
                    recorded.en
                ),
            ),
        ));
    }
    let asked = Request { program: &state.catalogue.report_program().code, component: None };
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
        nik_entry: request.nik_entry,
        desa_code: facts.desa_code,
    };
    let entry = request.nik_entry;
    answer_filed(&state, &kiosk, "report", entry, move |store, audit| {
        store.file_report(&report, audit)
    })
    .await
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
    Extension(record): Extension<KioskRecord>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    // Tickets are numbered in order: walking them is limited like trying NIKs.
    super::budget::spend(&state, &kiosk, &record).await?;
    let ticket = super::submit::path_ticket(&raw)?;
    let found = {
        let store = state.store.clone();
        tokio::task::spawn_blocking(move || store.ticket_and_desa(&ticket)).await??
    };
    // Tickets are numbered in order: a kiosk of another desa than the one that filed it is
    // told only where it stands, not whom it concerns nor why it was refused.
    let found = found.map(|(mut status, filed_in)| {
        let elsewhere =
            matches!((record.desa_code, filed_in), (Some(own), Some(desa)) if own != desa);
        if elsewhere && state.other_desa == AnswerDetail::OtherDesa {
            status.subject.clear();
            status.reason = None;
        }
        status
    });
    state.store.audit_read(AuditEntry {
        at: now(),
        actor: format!("kiosk:{kiosk}"),
        action: "ticket_lookup".into(),
        subject: mask_digits_in(&ticket.to_string()),
        outcome: if found.is_some() { "found" } else { "not_found" }.into(),
    })?;
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
