//! An issued letter as an A4 PDF for the desa staff: printed at the office and kept in the
//! village archive. The kept document is drawn, never a new rendering of newer registry
//! data; `?copy=1` (a reprint) marks it `SALINAN`, and so is every PDF of a cancelled
//! letter, which must not pass for a valid original.
//!
//! The PDF holds the full NIK: only staff of the letter's desa get it (another desa's letter
//! is answered 404 like an unknown id), and every answer is audited before it leaves, as the
//! unmasked view it is (`unmasked_original`, `unmasked_copy`). No reason is asked for: a PDF
//! exists only for a letter a signer issued, and fetching it is printing that letter for
//! the citizen or the archive, its one purpose, so a typed reason would say the same thing
//! every time; the audit entry names the account, the letter and that it was seen in full.
//! Reading a letter on screen in full is what needs a reason (`letter_unmask`).

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use protocol::Text;
use protocol::api::{ApiError, ErrorCode};
use serde::Deserialize;

use super::staff::Staff;
use super::{AppError, AppState, now};
use crate::letters::pdf::letter_pdf;
use crate::store::{AuditEntry, StaffRecord};

/// Where an issued letter's PDF is fetched, by the letter's id (printed under its QR code).
pub const LETTER_PDF_PATH: &str = "/api/v1/staff/letters/issued/{id}/pdf";

#[derive(Debug, Deserialize)]
pub struct PdfQuery {
    /// `1` or `true`: drawn as a copy.
    pub(crate) copy: Option<String>,
}

fn not_found() -> AppError {
    AppError::not_found(ErrorCode::NotFound, Text::new("Surat tidak ditemukan.", "No such letter."))
}

fn copy_wanted(query: &PdfQuery) -> Result<bool, AppError> {
    match query.copy.as_deref() {
        None | Some("0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(_) => Err(AppError::bad_request(
            ErrorCode::BadRequest,
            Text::new("Parameter copy harus 1 atau 0.", "The copy parameter must be 1 or 0."),
        )),
    }
}

/// `470/001/35.10.15.2001/XII/2026` as `470-001-35.10.15.2001-XII-2026.pdf`: a file name
/// any browser and file system keeps, whatever number format a desa chose.
fn file_name(number: &str) -> String {
    let stem: String = number
        .chars()
        .map(|c| match c {
            '/' => '-',
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    format!("{}.pdf", stem.trim_start_matches('.'))
}

/// The PDF of an issued letter of the account's desa.
#[utoipa::path(get, path = LETTER_PDF_PATH, security(("staff_session" = [])),
    params(("id" = String, Path), ("copy" = Option<String>, Query, description = "1: marked as a copy (SALINAN)")),
    responses((status = 200, content_type = "application/pdf", description = "the letter on A4"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 404, body = ApiError),
        (status = 503, body = ApiError, description = "the audit log cannot be written")))]
pub async fn pdf(
    State(state): State<AppState>,
    Extension(Staff(staff)): Extension<Staff>,
    Path(id): Path<String>,
    Query(query): Query<PdfQuery>,
) -> Result<Response, AppError> {
    let actor = format!("staff:{}", staff.username);
    pdf_answer(&state, &staff, actor, id, &query).await
}

/// The PDF of letter `id` for `staff`, audited as `actor`: the API's route and the
/// console's answer with it.
pub(crate) async fn pdf_answer(
    state: &AppState,
    staff: &StaffRecord,
    actor: String,
    id: String,
    query: &PdfQuery,
) -> Result<Response, AppError> {
    let copy = copy_wanted(query)?;
    let store = state.store.clone();
    let issued = tokio::task::spawn_blocking(move || store.letter(&id)).await??;
    let issued = issued.filter(|issued| staff.covers(issued.desa_code)).ok_or_else(not_found)?;
    let mut document = issued.document;
    document.copy = copy || issued.cancelled.is_some();
    let marked = document.copy;
    let (store, letter) = (state.store.clone(), issued.id.clone());
    let pdf = tokio::task::spawn_blocking(move || {
        let pdf = letter_pdf(&document).map_err(|error| {
            tracing::error!(%error, letter, "letter PDF not drawn");
            AppError::internal()
        })?;
        store.audit_read(AuditEntry {
            at: now(),
            actor,
            action: "letter_pdf".into(),
            subject: format!("letter:{letter}"),
            outcome: if marked { "unmasked_copy" } else { "unmasked_original" }.into(),
        })?;
        Ok::<_, AppError>(pdf)
    })
    .await??;
    let disposition = format!("inline; filename=\"{}\"", file_name(&issued.number));
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // The letter carries a full NIK: no shared cache keeps it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_the_number_readable_and_nothing_else() {
        assert_eq!(
            file_name("470/001/35.10.15.2001/XII/2026"),
            "470-001-35.10.15.2001-XII-2026.pdf"
        );
        assert_eq!(file_name("474.2/7 \"x\"\r\n/2026"), "474.2-7__x___-2026.pdf");
        assert_eq!(file_name("../../etc"), "-..-etc.pdf");
    }

    #[test]
    fn only_one_and_zero_say_whether_it_is_a_copy() {
        let ask = |copy: Option<&str>| copy_wanted(&PdfQuery { copy: copy.map(String::from) });
        assert!(!ask(None).expect("absent"));
        assert!(ask(Some("1")).expect("1"));
        assert!(!ask(Some("0")).expect("0"));
        assert!(ask(Some("yes")).is_err());
    }
}
