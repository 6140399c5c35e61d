//! The steps on a report, each a plain form posting the ticket (and a reason in both
//! languages, or a batch date): verify, reject, schedule, deliver. The ticket in the form is
//! input like any other: another desa's answers 404 whoever changed the hidden field. Who may
//! act, the reason and date checks and the refusals' words are the API's
//! (`http::report_queue`); the step itself is `workflow::advance_in`, which audits it as
//! `staff:<username>` in its own transaction; the console's entry (`console_report_<step>`)
//! says it was done here, and refusals are audited too.

use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::api::ReportState;
use serde::Deserialize;

use super::detail::{Outcome, show};
use super::{detail_href, report_of};
use crate::console::reply;
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::report_queue::{day, reason_in, refusal, step_desa};
use crate::workflow::{Step, WorkflowError, advance_in};

#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    reason_id: String,
    #[serde(default)]
    reason_en: String,
    #[serde(default)]
    date: String,
}

/// Which step a form asks for; its input is checked once the report is known.
#[derive(Clone, Copy)]
enum Asked {
    Verify,
    Reject,
    Schedule,
    Deliver,
}

impl Asked {
    fn name(self) -> &'static str {
        match self {
            Asked::Verify => "verify",
            Asked::Reject => "reject",
            Asked::Schedule => "schedule",
            Asked::Deliver => "deliver",
        }
    }

    /// The workflow's step, or why the form's input is refused (400).
    fn step(self, form: &StepForm) -> Result<Step, Text> {
        let said = |error: crate::http::error::AppError| error.parts().1;
        Ok(match self {
            Asked::Verify => Step::Verify,
            Asked::Deliver => Step::Deliver,
            Asked::Reject => {
                let id = reason_in(&form.reason_id, "Indonesia", "Indonesian").map_err(said)?;
                let en = reason_in(&form.reason_en, "Inggris", "English").map_err(said)?;
                Step::Reject(Text::new(id, en))
            }
            Asked::Schedule => Step::Schedule(day(&form.date).map_err(said)?),
        })
    }
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Asked::Verify).await
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Asked::Reject).await
}

pub(crate) async fn schedule(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Asked::Schedule).await
}

pub(crate) async fn deliver(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    take(state, user, form, Asked::Deliver).await
}

async fn take(
    state: AppState,
    user: ConsoleUser,
    form: Result<Form<StepForm>, FormRejection>,
    asked: Asked,
) -> Response {
    let action = format!("console_report_{}", asked.name());
    let Ok(Form(form)) = form else {
        return reply::error_page(
            &state,
            Some(&user),
            StatusCode::BAD_REQUEST,
            Text::new("Isian tidak dapat dibaca.", "The form could not be read."),
        );
    };
    let detail = match report_of(&state, &user, &form.ticket).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            reply::audit(&state, &user.actor(), &action, "ticket", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let subject = format!("{} {}", detail.report.ticket, detail.report.subject);
    let refuse = |why: Text, status: StatusCode, outcome: &str| {
        reply::audit(&state, &user.actor(), &action, &subject, outcome);
        Outcome {
            error: Some(why),
            status: Some(status),
            reason_id: form.reason_id.clone(),
            reason_en: form.reason_en.clone(),
            date: form.date.clone(),
            done: None,
        }
    };
    let desa = match step_desa(&user.staff) {
        Ok(desa) => desa,
        Err(why) => {
            let outcome = refuse(why, StatusCode::FORBIDDEN, "forbidden");
            return show(&state, &user, detail, outcome).await;
        }
    };
    let step = match asked.step(&form) {
        Ok(step) => step,
        Err(why) => {
            let outcome = refuse(why, StatusCode::BAD_REQUEST, "invalid");
            return show(&state, &user, detail, outcome).await;
        }
    };
    let Ok(ticket) = protocol::ticket::Ticket::parse(&detail.report.ticket) else {
        return reply::not_found(&state, Some(&user));
    };
    let (store, catalogue) = (state.store.clone(), state.catalogue.clone());
    let actor = format!("staff:{}", user.staff.username);
    let taken = tokio::task::spawn_blocking(move || {
        advance_in(&store, &catalogue, &ticket, &step, &actor, Some(desa))
    })
    .await;
    let taken = match taken {
        Ok(taken) => taken,
        Err(error) => return reply::failure(&state, Some(&user), error.into()),
    };
    match taken {
        Ok(status) => {
            reply::audit(&state, &user.actor(), &action, &subject, status.state.as_str());
            let done = match (asked, status.state) {
                (Asked::Verify, ReportState::RejectedAfterVerification) => "rechecked",
                (Asked::Verify, _) => "verified",
                (Asked::Reject, _) => "rejected",
                (Asked::Schedule, _) => "scheduled",
                (Asked::Deliver, _) => "delivered",
            };
            reply::redirect(&format!("{}?done={done}", detail_href(&detail.report.ticket)))
        }
        Err(WorkflowError::UnknownTicket(_)) => {
            reply::audit(&state, &user.actor(), &action, &subject, "not_found");
            reply::not_found(&state, Some(&user))
        }
        Err(error) => {
            let (outcome, answer) = refusal(error, desa);
            let (status, message) = answer.parts();
            let outcome = refuse(message, status, outcome);
            // Shown as it is now: another account may have taken a step meanwhile.
            match report_of(&state, &user, &detail.report.ticket).await {
                Ok(Some(now)) => show(&state, &user, now, outcome).await,
                Ok(None) => reply::not_found(&state, Some(&user)),
                Err(response) => response,
            }
        }
    }
}
