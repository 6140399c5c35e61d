//! The desa staff's letter queue: what waits, a preview exactly as it will print, and the
//! steps. An operator prepares (the KTP checked at the office), a signer (the kepala desa or a
//! delegate) approves, which issues the letter with the signer's name and position; either
//! may refuse with a reason. An issued letter can be cancelled; it keeps its number.
//!
//! Every route is limited to the desa the account acts for, and every view of a letter is
//! audited. A letter holds the full NIK: the preview masks it (and leaves out the seal, which
//! carries it), and the letter in full needs a reason, as the registry's unmask does.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use protocol::staff::{
    LETTER_APPROVE_PATH, LETTER_CANCEL_PATH, LETTER_PREPARE_PATH, LETTER_PREVIEW_PATH,
    LETTER_QUEUE_PATH, LETTER_REJECT_PATH, LetterDecision, LetterPreview, WaitingLetters,
};
use protocol::ticket::Ticket;

use super::error::{ApiJson, JsonBody};
use super::registry_search::UnmaskRequest;
use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::letters::masked::masked;
use crate::letters::workflow::{self, Step};
use crate::registry_access::UnmaskReason;
use crate::store::{AuditEntry, LetterDetail, StaffRecord};

/// `POST` (`{kind, reason}`): the letter exactly as it prints, for an audited reason.
pub const LETTER_UNMASK_PATH: &str = "/api/v1/staff/letters/{ticket}/unmask";

impl JsonBody for LetterDecision {
    const NAME_ID: &'static str = "Keputusan";
    const NAME_EN: &'static str = "The decision";
}

fn forbidden(why: Text) -> AppError {
    AppError::forbidden(why)
}

fn not_found() -> AppError {
    AppError::not_found(
        ErrorCode::NotFound,
        Text::new("Permohonan surat tidak ditemukan.", "No such letter request."),
    )
}

fn audit(state: &AppState, staff: &StaffRecord, action: &str, subject: String, outcome: &str) {
    state.store.audit(AuditEntry {
        at: now(),
        actor: format!("staff:{}", staff.username),
        action: action.into(),
        subject,
        outcome: outcome.into(),
    });
}

/// A request of the account's desa, or 404 (another desa's looks the same as none, so
/// tickets cannot be probed across desas).
async fn request_of(
    state: &AppState,
    staff: &StaffRecord,
    raw: &str,
) -> Result<LetterDetail, AppError> {
    let ticket = Ticket::parse(raw).map_err(|_| not_found())?.to_string();
    let store = state.store.clone();
    let detail = tokio::task::spawn_blocking(move || store.letter_request(&ticket)).await??;
    match detail {
        Some(detail) if staff.covers(detail.desa_code) => Ok(detail),
        _ => Err(not_found()),
    }
}

fn reason(decision: &LetterDecision) -> Result<String, AppError> {
    workflow::clean_reason(&decision.reason)
        .map_err(|why| AppError::bad_request(ErrorCode::InvalidText, why))
}

/// `403` unless the account's role takes `step`.
fn may(staff: &StaffRecord, step: Step) -> Result<(), AppError> {
    if step.allowed(staff.role) { Ok(()) } else { Err(forbidden(step.refusal())) }
}

/// Requests waiting for the account's desa (a kabupaten operator: every desa), oldest first.
#[utoipa::path(get, path = LETTER_QUEUE_PATH, security(("staff_session" = [])),
    responses((status = 200, body = WaitingLetters), (status = 401, body = ApiError)))]
pub async fn waiting(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
) -> Result<Response, AppError> {
    let (store, desa) = (state.store.clone(), staff.desa_code);
    let waiting = tokio::task::spawn_blocking(move || store.waiting_letters(desa)).await??;
    audit(&state, &staff, "letter_queue", format!("{} waiting", waiting.len()), "listed");
    let letters = waiting
        .into_iter()
        .map(|letter| protocol::staff::WaitingLetter {
            letter_name: state
                .letters
                .get(&letter.letter)
                .map(|def| def.name.clone())
                .unwrap_or_else(|| Text::new(letter.letter.to_string(), letter.letter.to_string())),
            ticket: letter.ticket,
            letter: letter.letter.to_string(),
            desa_code: letter.desa_code,
            applicant: letter.applicant,
            filed_at: letter.filed_at,
            nik_entry: letter.nik_entry.as_str().into(),
            reason: letter.reason,
            prepared_by: letter.prepared_by,
        })
        .collect();
    Ok(Json(WaitingLetters { letters }).into_response())
}

/// The letter as it will print (unnumbered until issued), or as it was issued, with its
/// NIKs and KK numbers masked and without the seal: the full letter needs a reason
/// ([`unmask`]).
#[utoipa::path(get, path = LETTER_PREVIEW_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, body = LetterPreview), (status = 404, body = ApiError)))]
pub async fn preview(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let detail = request_of(&state, &staff, &raw).await?;
    audit(&state, &staff, "letter_preview", format!("ticket:{}", detail.ticket), "viewed_masked");
    let mut preview = letter_of(&state, &staff, &detail).await?;
    preview.document = masked(&preview.document);
    preview.masked = true;
    Ok(Json(preview).into_response())
}

/// The letter exactly as it prints (full NIK, name and seal), for a reason written to the
/// audit log (`letter_unmask`) before the answer; the console's "show in full" alike.
#[utoipa::path(post, path = LETTER_UNMASK_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)), request_body = UnmaskRequest,
    responses((status = 200, body = LetterPreview), (status = 400, body = ApiError), (status = 404, body = ApiError),
        (status = 503, body = ApiError, description = "the audit log cannot be written")))]
pub async fn unmask(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
    ApiJson(request): ApiJson<UnmaskRequest>,
) -> Result<Response, AppError> {
    let detail = request_of(&state, &staff, &raw).await?;
    let subject = format!("ticket:{}", detail.ticket);
    let reason = match UnmaskReason::parse(request.kind.as_str(), &request.reason) {
        Ok(reason) => reason,
        Err(why) => {
            audit(&state, &staff, "letter_unmask", subject, "no_reason");
            return Err(AppError::bad_request(ErrorCode::InvalidText, why));
        }
    };
    let preview = letter_of(&state, &staff, &detail).await?;
    let entry = AuditEntry {
        at: now(),
        actor: format!("staff:{}", staff.username),
        action: "letter_unmask".into(),
        subject,
        outcome: reason.audit_outcome(),
    };
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.audit_read(entry)).await??;
    Ok(Json(preview).into_response())
}

/// The request's letter in full: the issued document, or the draft a waiting request
/// would print.
async fn letter_of(
    state: &AppState,
    staff: &StaffRecord,
    detail: &LetterDetail,
) -> Result<LetterPreview, AppError> {
    if let Some(id) = detail.letter_id.clone() {
        let store = state.store.clone();
        let issued =
            tokio::task::spawn_blocking(move || store.letter(&id)).await??.ok_or_else(not_found)?;
        return Ok(LetterPreview {
            ticket: detail.ticket.clone(),
            state: detail.state.clone(),
            letter_id: Some(issued.id),
            cancelled: issued.cancelled.is_some(),
            masked: false,
            document: issued.document,
        });
    }
    let document = draft(state, staff, detail).await?;
    Ok(LetterPreview {
        ticket: detail.ticket.clone(),
        state: detail.state.clone(),
        letter_id: None,
        cancelled: false,
        masked: false,
        document,
    })
}

/// The document a waiting request would print, with the number left open.
async fn draft(
    state: &AppState,
    staff: &StaffRecord,
    detail: &LetterDetail,
) -> Result<protocol::letter::LetterDocument, AppError> {
    let (store, catalogue) = (state.store.clone(), state.letters.clone());
    let (staff, detail) = (staff.clone(), detail.clone());
    Ok(tokio::task::spawn_blocking(move || workflow::draft(&store, &catalogue, &staff, &detail))
        .await??)
}

/// An operator hands a checked request to the signer.
#[utoipa::path(post, path = LETTER_PREPARE_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)),
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn prepare(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    may(&staff, Step::Prepare)?;
    let detail = request_of(&state, &staff, &raw).await?;
    let (store, actor, ticket) =
        (state.store.clone(), format!("staff:{}", staff.username), detail.ticket);
    tokio::task::spawn_blocking(move || store.prepare_letter(&ticket, &actor)).await??;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// The signer approves: the letter is issued, numbered and sealed.
#[utoipa::path(post, path = LETTER_APPROVE_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)),
    responses((status = 200, body = LetterPreview, description = "issued"), (status = 403, body = ApiError, description = "not a signer"), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn approve(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    may(&staff, Step::Approve)?;
    let detail = request_of(&state, &staff, &raw).await?;
    let (store, catalogue, verify_base) =
        (state.store.clone(), state.letters.clone(), state.verify_base.clone());
    let issued = tokio::task::spawn_blocking(move || {
        workflow::approve(&store, &catalogue, &staff, &detail, verify_base)
    })
    .await??;
    // Approving needs no reason and shows no more than the preview did: the letter masked
    // (the PDF, itself an audited view, or the unmask answer shows it in full).
    Ok(Json(LetterPreview {
        ticket: issued.ticket,
        state: "verified".into(),
        letter_id: Some(issued.id),
        cancelled: false,
        masked: true,
        document: masked(&issued.document),
    })
    .into_response())
}

/// Refuses a waiting request with a reason.
#[utoipa::path(post, path = LETTER_REJECT_PATH, security(("staff_session" = [])),
    params(("ticket" = String, Path)), request_body = LetterDecision,
    responses((status = 204), (status = 400, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn reject(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(raw): Path<String>,
    ApiJson(decision): ApiJson<LetterDecision>,
) -> Result<Response, AppError> {
    may(&staff, Step::Reject)?;
    let why = reason(&decision)?;
    let detail = request_of(&state, &staff, &raw).await?;
    let (store, actor) = (state.store.clone(), format!("staff:{}", staff.username));
    let text = Text::new(why.clone(), why);
    tokio::task::spawn_blocking(move || store.reject_letter(&detail.ticket, &actor, &text))
        .await??;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// Cancels an issued letter of the account's desa; it keeps its number.
#[utoipa::path(post, path = LETTER_CANCEL_PATH, security(("staff_session" = [])),
    params(("id" = String, Path)), request_body = LetterDecision,
    responses((status = 204), (status = 403, body = ApiError), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<LetterDecision>,
) -> Result<Response, AppError> {
    may(&staff, Step::Cancel)?;
    let why = reason(&decision)?;
    let store = state.store.clone();
    let lookup = id.clone();
    let issued = tokio::task::spawn_blocking(move || store.letter(&lookup)).await??;
    match issued {
        Some(issued) if staff.covers(issued.desa_code) => {}
        _ => return Err(not_found()),
    }
    let (store, actor) = (state.store.clone(), format!("staff:{}", staff.username));
    tokio::task::spawn_blocking(move || store.cancel_letter(&id, &actor, &why)).await??;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
