//! One report: what was asked and why, the engine's decision at filing (and at the
//! re-check), the reported person's family (masked, as every list is), the history of its
//! steps, and the forms of the steps the account may take now. Each view is audited before
//! it is answered.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use protocol::Text;
use protocol::api::{NikEntry, ReportState};
use protocol::staff::ReportDetail;
use serde::{Deserialize, Serialize};

use super::{
    BATCHES_PATH, LIST_PATH, family_line, read_entry, reason_text, report_of, said, state_class,
};
use crate::console::layout::{self, Page, desa_text, local_time};
use crate::console::reply::{self, Said};
use crate::console::session::ConsoleUser;
use crate::http::AppState;
use crate::http::report_queue::step_desa;
use crate::workflow::batch_window;

const PAGE: Page = Page { template: "report.html", title: ("Laporan", "Report"), nav: "reports" };

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// What a step that just succeeded says on the page it lands on.
fn done_text(done: &str) -> Option<Text> {
    Some(match done {
        "verified" => Text::new(
            "Terverifikasi: mesin memeriksa ulang dan keluarga tercatat; jadwalkan penyalurannya.",
            "Verified: the engine checked again and the family is recorded; schedule its delivery.",
        ),
        "rechecked" => Text::new(
            "Pemeriksaan ulang mesin menolak laporan ini; warga melihat alasannya di anjungan.",
            "The engine's re-check rejected this report; the citizen sees why at the kiosk.",
        ),
        "rejected" => Text::new(
            "Ditolak: warga melihat alasannya saat melacak tiket.",
            "Rejected: the citizen sees the reason when tracking the ticket.",
        ),
        "scheduled" => Text::new(
            "Dijadwalkan: laporan masuk daftar penyaluran tanggal itu.",
            "Scheduled: the report is in that day's distribution batch.",
        ),
        "delivered" => {
            Text::new("Tercatat sudah diterima keluarga.", "Recorded as handed over to the family.")
        }
        _ => return None,
    })
}

/// What the page says above the report after a step.
#[derive(Default)]
pub(crate) struct Outcome {
    pub done: Option<Text>,
    pub error: Option<Text>,
    pub status: Option<StatusCode>,
    /// What was typed into a refused form, shown again.
    pub reason_id: String,
    pub reason_en: String,
    pub date: String,
}

#[derive(Serialize)]
struct ProgramView {
    code: String,
    name: Said,
    state: String,
}

#[derive(Serialize)]
struct StepView {
    at: String,
    actor: String,
    step: Said,
    state: Said,
    class: &'static str,
    reason: Option<Said>,
    batch_date: Option<String>,
}

#[derive(Serialize)]
struct Steps {
    verify: bool,
    reject: bool,
    schedule: bool,
    deliver: bool,
}

#[derive(Serialize)]
struct Window {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct DetailView {
    ticket: String,
    list: &'static str,
    batches: &'static str,
    state: Said,
    class: &'static str,
    desa: String,
    filed_at: String,
    kiosk: String,
    reason: Said,
    program: Said,
    reporter: String,
    about_self: bool,
    typed: bool,
    verified_at: Option<String>,
    scheduled_for: Option<String>,
    filed_rejected: bool,
    decision: Option<Said>,
    subject: String,
    family: Option<String>,
    name: String,
    programs: Vec<ProgramView>,
    text: String,
    history: Vec<StepView>,
    steps: Steps,
    read_only: Option<Said>,
    window: Option<Window>,
    done: Option<Said>,
    error: Option<Said>,
    reason_id: String,
    reason_en: String,
    date: String,
}

fn step_text(step: &str) -> Said {
    match step {
        "filed" => said("Diajukan di anjungan", "Filed at the kiosk"),
        "verify" => said("Verifikasi", "Verify"),
        "reject" => said("Tolak", "Reject"),
        "schedule" => said("Jadwalkan", "Schedule"),
        "deliver" => said("Diserahkan", "Delivered"),
        other => said(other, other),
    }
}

/// `GET /console/reports/{ticket}`.
pub(crate) async fn detail(
    State(state): State<AppState>,
    Extension(user): Extension<ConsoleUser>,
    Path(raw): Path<String>,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let detail = match report_of(&state, &user, &raw).await {
        Ok(Some(detail)) => detail,
        Ok(None) => {
            reply::audit(&state, &user.actor(), "report_view", "ticket", "not_found");
            return reply::not_found(&state, Some(&user));
        }
        Err(response) => return response,
    };
    let done = done.ok().and_then(|Query(done)| done.done);
    let done = done.as_deref().and_then(done_text);
    show(&state, &user, detail, Outcome { done, ..Outcome::default() }).await
}

/// The page of `detail`, audited before it is answered.
pub(crate) async fn show(
    state: &AppState,
    user: &ConsoleUser,
    detail: ReportDetail,
    outcome: Outcome,
) -> Response {
    let subject = format!("{} {}", detail.report.ticket, detail.report.subject);
    let (store, entry) = (state.store.clone(), read_entry(user, "report_view", subject, "viewed"));
    if let Err(error) = reply::blocking(move || store.audit_read(entry)).await {
        return reply::failure(state, Some(user), error);
    }
    let status = outcome.status;
    let view = view(user, &detail, outcome);
    let mut response = layout::render(state, Some(user), &PAGE, &view);
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    response
}

fn view(user: &ConsoleUser, detail: &ReportDetail, outcome: Outcome) -> DetailView {
    let report = &detail.report;
    let acting = step_desa(&user.staff);
    let may = acting.is_ok();
    let now = report.state;
    let window = match (now, report.verified_at.as_deref()) {
        (ReportState::Verified, Some(at)) => batch_window(at, report.desa_code)
            .map(|(from, to)| Window { from: from.to_string(), to: to.to_string() }),
        _ => None,
    };
    let open =
        matches!(now, ReportState::Verification | ReportState::Verified | ReportState::Scheduled);
    let family = report.family.as_ref();
    DetailView {
        ticket: report.ticket.clone(),
        list: LIST_PATH,
        batches: BATCHES_PATH,
        state: now.text().into(),
        class: state_class(now),
        desa: desa_text(report.desa_code).id,
        filed_at: local_time(&report.filed_at, report.desa_code),
        kiosk: report.kiosk.clone(),
        reason: reason_text(report.reason),
        program: report.program_name.clone().into(),
        reporter: report.reporter.clone(),
        about_self: report.about_self,
        typed: report.nik_entry == NikEntry::Keypad,
        verified_at: report.verified_at.as_deref().map(|at| local_time(at, report.desa_code)),
        scheduled_for: report.scheduled_for.clone(),
        filed_rejected: report.filed_state == ReportState::Rejected,
        decision: report.decision.clone().map(Said::from),
        subject: report.subject.clone(),
        family: family.map(|_| family_line(report)),
        name: family.map_or_else(|| "-".to_owned(), |f| f.name.clone()),
        programs: family
            .iter()
            .flat_map(|f| f.programs.iter())
            .map(|p| ProgramView {
                code: p.code.clone(),
                name: p.name.clone().into(),
                state: p.state.clone(),
            })
            .collect(),
        text: detail.text.clone(),
        history: detail
            .steps
            .iter()
            .map(|step| StepView {
                at: local_time(&step.at, report.desa_code),
                actor: step.actor.clone(),
                step: step_text(&step.step),
                state: step.state.text().into(),
                class: state_class(step.state),
                reason: step.reason.clone().map(Said::from),
                batch_date: step.batch_date.clone(),
            })
            .collect(),
        steps: Steps {
            verify: may && now == ReportState::Verification,
            reject: may && matches!(now, ReportState::Verification | ReportState::Verified),
            schedule: may && window.is_some(),
            deliver: may && now == ReportState::Scheduled,
        },
        read_only: match acting {
            Err(why) if open => Some(why.into()),
            _ => None,
        },
        window,
        done: outcome.done.map(Said::from),
        error: outcome.error.map(Said::from),
        reason_id: outcome.reason_id,
        reason_en: outcome.reason_en,
        date: outcome.date,
    }
}
