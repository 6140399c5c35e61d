//! The steps on a letter, each a plain form posting the ticket (and a reason where one is
//! needed): prepare, approve, reject, cancel. The ticket in the form is input like any
//! other: a ticket of another desa answers 404, whoever changed the hidden field. The rules
//! are `letters::workflow`'s, so the console decides as the API and the CLI do; what the
//! store records of the step (`prepared_by`, `decided_by`, the letter's `issued_by`, the
//! audit entry of the write) names the account as `staff:<username>` everywhere, so the
//! two-person rule of a typed NIK holds across the console, the API and the CLI, and the
//! console's own entry (`console_letter_<step>`) says it was done here.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::api::NikEntry;
use serde::Deserialize;

use super::detail::{Outcome, show};
use super::{detail_href, request_of};
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::letters::workflow::{self, Step};
use crate::store::StoreError;

#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    reason: String,
}

pub(crate) async fn prepare(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Step::Prepare).await
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Step::Approve).await
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Step::Reject).await
}

pub(crate) async fn cancel(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Step::Cancel).await
}

fn names(step: Step) -> (&'static str, &'static str) {
    match step {
        Step::Prepare => ("console_letter_prepare", "prepared"),
        Step::Approve => ("console_letter_approve", "approved"),
        Step::Reject => ("console_letter_reject", "rejected"),
        Step::Cancel => ("console_letter_cancel", "cancelled"),
    }
}

async fn take(
    state: AppState,
    user: ConsoleUser,
    form: Result<Form<StepForm>, FormRejection>,
    step: Step,
) -> Response {
    let (action, done) = names(step);
    let Ok(Form(form)) = form else {
        return reply::error_page(
            &state,
            Some(&user),
            StatusCode::BAD_REQUEST,
            Text::new("Isian tidak dapat dibaca.", "The form could not be read."),
        );
    };
    let detail = match request_of(&state, &user, &form.ticket).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            reply::audit(&state, &user.actor(), action, "ticket", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let subject = format!("ticket:{}", detail.ticket);
    let refuse = |why: Text, status: StatusCode, outcome: &str| {
        reply::audit(&state, &user.actor(), action, &subject, outcome);
        Outcome {
            error: Some(why),
            status: Some(status),
            reason: form.reason.clone(),
            ..Outcome::default()
        }
    };
    if !step.allowed(user.staff.role) {
        let outcome = refuse(step.refusal(), StatusCode::FORBIDDEN, "forbidden");
        return show(&state, &user, detail, outcome).await;
    }
    let reason = match step {
        Step::Reject | Step::Cancel => match workflow::clean_reason(&form.reason) {
            Ok(reason) => reason,
            Err(why) => {
                let outcome = refuse(why, StatusCode::BAD_REQUEST, "no_reason");
                return show(&state, &user, detail, outcome).await;
            }
        },
        Step::Prepare | Step::Approve => String::new(),
    };
    let me = format!("staff:{}", user.staff.username);
    if step == Step::Approve && detail.nik_entry == NikEntry::Keypad {
        // The workflow refuses these too; said here in the page's own words.
        if detail.prepared_by.is_none() {
            let why = Text::new(
                "NIK diketik di anjungan: operator memeriksa KTP dan menandai siap lebih dulu.",
                "The NIK was typed at the kiosk: an operator checks the KTP and marks it ready first.",
            );
            let outcome = refuse(why, StatusCode::CONFLICT, "not_prepared");
            return show(&state, &user, detail, outcome).await;
        }
        if detail.prepared_by.as_deref() == Some(me.as_str()) {
            let why = Text::new(
                "Anda sendiri yang menandai siap; penanda tangan lain yang menyetujuinya.",
                "You marked it ready yourself; another signer approves it.",
            );
            let outcome = refuse(why, StatusCode::FORBIDDEN, "same_person");
            return show(&state, &user, detail, outcome).await;
        }
    }
    let (store, catalogue, verify_base, staff) =
        (state.store.clone(), state.letters.clone(), state.verify_base.clone(), user.staff.clone());
    let target = detail.clone();
    let result = reply::blocking(move || match step {
        Step::Prepare => store.prepare_letter(&target.ticket, &me),
        Step::Approve => {
            workflow::approve(&store, &catalogue, &staff, &target, verify_base).map(|_| ())
        }
        Step::Reject => {
            store.reject_letter(&target.ticket, &me, &Text::new(reason.clone(), reason))
        }
        Step::Cancel => {
            let id = target.letter_id.as_deref().ok_or_else(|| {
                StoreError::LetterNotReady(format!("ticket {} is not issued", target.ticket))
            })?;
            store.cancel_letter(id, &me, &reason).map(|_| ())
        }
    })
    .await;
    match result {
        Ok(()) => {
            reply::audit(&state, &user.actor(), action, &subject, "done");
            reply::redirect(&format!("{}?done={done}", detail_href(&detail.ticket)))
        }
        Err(error) => {
            let (status, message) = error.parts();
            let outcome = refuse(message, status, "refused");
            // Shown as it is now: another account may have taken a step meanwhile.
            match request_of(&state, &user, &detail.ticket).await {
                Ok(Some(now)) => show(&state, &user, now, outcome).await,
                Ok(None) => reply::not_found(&state, Some(&user)),
                Err(response) => response,
            }
        }
    }
}
