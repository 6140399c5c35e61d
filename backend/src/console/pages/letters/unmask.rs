//! `POST /console/letters/{ticket}`: the letter exactly as it prints (full NIK, name and
//! seal) for this one answer, with a reason: a kind from the registry's list and the staff's
//! own words (`registry_access::UnmaskReason`, the same rule as the family page), written to
//! the audit log (`letter_unmask`) before the page is answered. Nothing is remembered: the
//! next view is masked again. Without a valid reason the masked page comes back (400)
//! saying what is missing; another desa's ticket, by URL or a tampered form, is 404.
//! Approving needs no unmasking: the signer approves what the masked preview shows, and
//! the paper (the kiosk's print, the PDF) is the letter in full.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::detail::{Outcome, show};
use super::{detail_href, request_of};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::registry_access::{REASON_MAX, REASON_MIN, ReasonKind, UnmaskReason};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UnmaskForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
pub(super) struct Choice {
    value: &'static str,
    label: Said,
    selected: bool,
}

/// The page's "show in full" part: the form while masked, the reason once shown in full.
#[derive(Serialize)]
pub(super) struct UnmaskView {
    action: String,
    unmasked: bool,
    /// The reason the full view was given for, as written to the audit log.
    reason_shown: Option<String>,
    kinds: Vec<Choice>,
    reason: String,
    reason_min: usize,
    reason_max: usize,
}

pub(super) fn unmask_view(ticket: &str, outcome: &Outcome) -> UnmaskView {
    let (kind, words) = &outcome.unmask_form;
    UnmaskView {
        action: detail_href(ticket),
        unmasked: outcome.unmasked.is_some(),
        reason_shown: outcome
            .unmasked
            .as_ref()
            .map(|r| format!("{} — {}", r.kind.text().id, r.text)),
        kinds: ReasonKind::ALL
            .into_iter()
            .map(|choice| Choice {
                value: choice.as_str(),
                label: choice.text().into(),
                selected: choice.as_str() == kind,
            })
            .collect(),
        reason: words.chars().take(REASON_MAX).collect(),
        reason_min: REASON_MIN,
        reason_max: REASON_MAX,
    }
}

/// `POST /console/letters/{ticket}`: the letter in full for an audited reason.
pub(crate) async fn unmask(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(raw): Path<String>,
    form: Result<Form<UnmaskForm>, FormRejection>,
) -> Response {
    let detail = match request_of(&state, &user, &raw).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "letter_unmask", "ticket", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let form = form.map(|Form(form)| form).unwrap_or_default();
    match UnmaskReason::parse(&form.kind, &form.reason) {
        Ok(reason) => {
            let outcome = Outcome { unmasked: Some(reason), ..Outcome::default() };
            show(&state, &user, detail, outcome).await
        }
        Err(why) => {
            let subject = format!("ticket:{}", detail.ticket);
            reply::audit(&state, &user.actor(), "letter_unmask", &subject, "no_reason");
            let outcome = Outcome {
                error: Some(why),
                status: Some(StatusCode::BAD_REQUEST),
                unmask_form: (form.kind, form.reason),
                ..Outcome::default()
            };
            show(&state, &user, detail, outcome).await
        }
    }
}
