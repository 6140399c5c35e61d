//! One letter request: the letter as it will print (the draft, its number left open, drawn
//! with the signer who would approve it now; or the document as issued), what is known of
//! the request, and the forms of the steps the account may take. The letter is shown with
//! its NIKs masked and without its seal (which carries the NIK) unless the page is the
//! answer to the "show in full" form ([`super::unmask`]): then exactly as it prints, that
//! one answer alone. Each view is audited before it is answered (`letter_preview`, or
//! `letter_unmask` with the reason).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::api::{NikEntry, ReportState};
use protocol::letter::LetterDocument;
use protocol::letter::document::LineStyle;
use serde::{Deserialize, Serialize};

use super::unmask::{UnmaskView, unmask_view};
use super::{entry_text, request_of, type_name};
use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::letter_pdf::{PdfQuery, pdf_answer};
use crate::letters::masked::masked;
use crate::letters::workflow::{self, Step};
use crate::registry_access::UnmaskReason;
use crate::store::{AuditEntry, IssuedRecord, LetterDetail, StoreError};

const PAGE: Page = Page { template: "letter.html", title: ("Surat", "Letter"), nav: "letters" };

/// Columns the preview is laid out in: the kiosks' 80 mm paper.
const COLUMNS: usize = 48;

/// An issued letter's A4 PDF, with the console session.
pub(crate) fn pdf_href(id: &str) -> String {
    format!("/console/letters/issued/{id}/pdf")
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// What a step that just succeeded says on the page it lands on.
fn done_text(done: &str) -> Option<Text> {
    Some(match done {
        "prepared" => Text::new(
            "Ditandai siap: KTP sudah diperiksa, surat menunggu penanda tangan.",
            "Marked ready: the KTP was checked, the letter waits for the signer.",
        ),
        "approved" => Text::new(
            "Disetujui: surat diterbitkan dan dapat dicetak di anjungan dengan tiketnya.",
            "Approved: the letter is issued and prints at the kiosk with its ticket.",
        ),
        "rejected" => Text::new(
            "Ditolak: warga melihat alasannya saat melacak tiket.",
            "Refused: the citizen sees the reason when tracking the ticket.",
        ),
        "cancelled" => Text::new(
            "Dibatalkan: surat tetap memegang nomornya dan tercatat batal.",
            "Cancelled: the letter keeps its number and shows as cancelled.",
        ),
        _ => return None,
    })
}

#[derive(Serialize)]
struct LineView {
    class: &'static str,
    text: String,
}

#[derive(Serialize)]
struct IssuedView {
    id: String,
    number: String,
    issued_at: String,
    pdf: String,
    pdf_copy: String,
    cancelled: Option<CancelledView>,
}

#[derive(Serialize)]
struct CancelledView {
    at: String,
    by: String,
    reason: String,
}

#[derive(Serialize)]
struct Steps {
    prepare: bool,
    approve: bool,
    reject: bool,
    cancel: bool,
}

#[derive(Serialize)]
struct DetailView {
    ticket: String,
    letter: Said,
    desa: String,
    state: Said,
    entry: Said,
    typed: bool,
    prepared_by: Option<String>,
    issued: Option<IssuedView>,
    lines: Vec<LineView>,
    /// The seal's QR code as printed (an issued letter's), as an image address.
    qr: Option<String>,
    footer: Vec<String>,
    preview_error: Option<Said>,
    done: Option<Said>,
    error: Option<Said>,
    steps: Steps,
    notes: Vec<Said>,
    reason: String,
    unmask: UnmaskView,
}

fn lines(document: &LetterDocument) -> Vec<LineView> {
    document
        .lines(COLUMNS)
        .into_iter()
        .map(|line| LineView {
            class: match line.style {
                LineStyle::Plain => "l-plain",
                LineStyle::Centre => "l-centre",
                LineStyle::Heading => "l-heading",
                LineStyle::Rule => "l-rule",
            },
            text: line.text,
        })
        .collect()
}

/// The seal's QR code as an SVG image in a `data:` address (the page loads nothing else):
/// dark runs of each row as rectangles, with the quiet zone around.
fn qr_image(payload: &str) -> Option<String> {
    use base64::Engine as _;
    let modules = crate::letters::pdf::qr_modules(payload).ok()?;
    let side = modules.len() + 8;
    let mut svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {side} {side}' shape-rendering='crispEdges'><rect width='{side}' height='{side}' fill='#fff'/><path fill='#000' d='"
    );
    for (row, cells) in modules.iter().enumerate() {
        let mut column = 0;
        while column < cells.len() {
            if !cells[column] {
                column += 1;
                continue;
            }
            let start = column;
            while column < cells.len() && cells[column] {
                column += 1;
            }
            svg.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                start + 4,
                row + 4,
                column - start,
                column - start
            ));
        }
    }
    svg.push_str("'/></svg>");
    let encoded = base64::engine::general_purpose::STANDARD.encode(svg);
    Some(format!("data:image/svg+xml;base64,{encoded}"))
}

fn said(id: &str, en: &str) -> Said {
    Said { id: id.into(), en: en.into() }
}

/// `GET /console/letters/{ticket}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(raw): Path<String>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let detail = match request_of(&state, &user, &raw).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "letter_preview", "ticket", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let done = done.ok().and_then(|Query(done)| done.done);
    let done = done.as_deref().and_then(done_text);
    show(&state, &user, detail, Outcome { done, ..Outcome::default() }).await
}

/// What the page says above the letter after a step.
#[derive(Default)]
pub(crate) struct Outcome {
    pub done: Option<Text>,
    pub error: Option<Text>,
    pub status: Option<StatusCode>,
    /// The reason typed into a refused form, shown again.
    pub reason: String,
    /// The letter in full, for this reason (audited as `letter_unmask`); masked otherwise.
    pub unmasked: Option<UnmaskReason>,
    /// A refused "show in full" form as it was sent (kind, words).
    pub unmask_form: (String, String),
}

/// The page of `detail`, audited before it is answered.
pub(crate) async fn show(
    state: &AppState,
    user: &ConsoleUser,
    detail: LetterDetail,
    outcome: Outcome,
) -> Response {
    let (store, catalogue, staff) =
        (state.store.clone(), state.letters.clone(), user.staff.clone());
    let (action, audited) = match &outcome.unmasked {
        Some(reason) => ("letter_unmask", reason.audit_outcome()),
        None => ("letter_preview", "viewed_masked".to_owned()),
    };
    let entry = AuditEntry {
        at: crate::http::now(),
        actor: user.actor(),
        action: action.into(),
        subject: format!("ticket:{}", detail.ticket),
        outcome: audited,
    };
    let lookup = detail.clone();
    let read = reply::blocking(move || {
        let (issued, document) = match &lookup.letter_id {
            Some(id) => {
                let issued = store
                    .letter(id)?
                    .ok_or_else(|| StoreError::Corrupt("issued letter gone".into()))?;
                let document = Ok(issued.document.clone());
                (Some(issued), document)
            }
            None => (None, workflow::draft(&store, &catalogue, &staff, &lookup)),
        };
        store.audit_read(entry)?;
        Ok((issued, document))
    })
    .await;
    let (issued, document) = match read {
        Ok(read) => read,
        Err(error) => return reply::failure(state, Some(user), error),
    };
    let (lines, qr, footer, preview_error) = match document {
        Ok(full) => {
            let document = if outcome.unmasked.is_some() { full } else { masked(&full) };
            let qr = (!document.qr.is_empty()).then(|| qr_image(&document.qr)).flatten();
            (lines(&document), qr, document.footer_lines(COLUMNS), None)
        }
        Err(error) => {
            tracing::info!(%error, ticket = %detail.ticket, "no preview");
            let why = said(
                "Pratinjau tidak dapat dibuat: data pemohon di registri tidak lengkap atau sudah berubah.",
                "No preview: the applicant's registry record is incomplete or has changed.",
            );
            (Vec::new(), None, Vec::new(), Some(why))
        }
    };
    let printed = Printed { lines, qr, footer, error: preview_error };
    let status = outcome.status;
    let view = view(state, user, &detail, issued.as_ref(), printed, outcome);
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    response
}

/// The letter as the page draws it.
struct Printed {
    lines: Vec<LineView>,
    qr: Option<String>,
    footer: Vec<String>,
    error: Option<Said>,
}

fn view(
    state: &AppState,
    user: &ConsoleUser,
    detail: &LetterDetail,
    issued: Option<&IssuedRecord>,
    printed: Printed,
    outcome: Outcome,
) -> DetailView {
    let unmask = unmask_view(&detail.ticket, &outcome);
    let role = user.staff.role;
    let waiting = detail.state == "verification";
    let typed = detail.nik_entry == NikEntry::Keypad;
    let me = format!("staff:{}", user.staff.username);
    let mut notes = Vec::new();
    let mut approve = waiting && Step::Approve.allowed(role);
    if approve && typed && detail.prepared_by.is_none() {
        approve = false;
        notes.push(said(
            "NIK diketik di anjungan: operator memeriksa KTP pemohon dan menandai siap sebelum surat disetujui.",
            "The NIK was typed at the kiosk: an operator checks the applicant's KTP and marks it ready before it is approved.",
        ));
    }
    if approve && typed && detail.prepared_by.as_deref() == Some(me.as_str()) {
        approve = false;
        notes.push(said(
            "Anda sendiri yang menandai siap; penanda tangan lain yang menyetujuinya.",
            "You marked it ready yourself; another signer approves it.",
        ));
    }
    let cancelled = issued.and_then(|issued| issued.cancelled.as_ref());
    let state_text = match (cancelled, ReportState::parse(&detail.state)) {
        (Some(_), _) => said("dibatalkan", "cancelled"),
        (None, Some(ReportState::Verified)) => said("diterbitkan", "issued"),
        (None, Some(ReportState::Verification)) => {
            said("menunggu petugas desa", "waiting for the staff")
        }
        (None, Some(other)) => Said::from(other.text()),
        (None, None) => Said { id: detail.state.clone(), en: detail.state.clone() },
    };
    DetailView {
        ticket: detail.ticket.clone(),
        letter: type_name(state, detail.letter.as_str()),
        desa: desa_text(Some(detail.desa_code)).id,
        state: state_text,
        entry: entry_text(detail.nik_entry),
        typed,
        prepared_by: detail.prepared_by.clone(),
        issued: issued.map(|issued| IssuedView {
            id: issued.id.clone(),
            number: issued.number.clone(),
            issued_at: local_time(&issued.issued_at, Some(issued.desa_code)),
            pdf: pdf_href(&issued.id),
            pdf_copy: format!("{}?copy=1", pdf_href(&issued.id)),
            cancelled: issued.cancelled.as_ref().map(|(at, by, reason)| CancelledView {
                at: local_time(at, Some(issued.desa_code)),
                by: by.clone(),
                reason: reason.clone(),
            }),
        }),
        lines: printed.lines,
        qr: printed.qr,
        footer: printed.footer,
        preview_error: printed.error,
        done: outcome.done.map(Said::from),
        error: outcome.error.map(Said::from),
        steps: Steps {
            prepare: waiting
                && typed
                && detail.prepared_by.is_none()
                && Step::Prepare.allowed(role),
            approve,
            reject: waiting && Step::Reject.allowed(role),
            cancel: issued.is_some() && cancelled.is_none() && Step::Cancel.allowed(role),
        },
        notes,
        reason: outcome.reason,
        unmask,
    }
}

/// `GET /console/letters/issued/{id}/pdf`: the API's PDF (same scope, audit and headers),
/// with the console's session.
pub(crate) async fn pdf(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(id): Path<String>,
    Query(query): Query<PdfQuery>,
) -> Response {
    match pdf_answer(&state, &user.staff, user.actor(), id, &query).await {
        Ok(response) => response,
        Err(error) => reply::failure(&state, Some(&user), error),
    }
}
