//! What desa staff do with a report after the kiosk filed it: verify it (the eligibility
//! engine checks the family again, since it may have been added to a program meanwhile),
//! schedule its package into a distribution batch 5 to 7 days after verification, record the
//! delivery, or reject it with a reason. Every step is audited.

use protocol::api::{MembershipState, ReportState, TicketStatus};
use protocol::ticket::Ticket;
use protocol::{NoKk, Text};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::checks::decide_for;
use crate::eligibility::{Catalogue, Decision, Quota, Request};
use crate::store::{AuditEntry, NewMembership, ReportChange, Store, StoreError};

/// Packages go out in batches between these many days after verification.
pub const BATCH_DAYS: std::ops::RangeInclusive<i64> = 5..=7;

/// The batch dates a report of `desa` verified at `verified_at` (RFC 3339) may be scheduled
/// for, counted from the day of verification in the desa's own time zone.
pub fn batch_window(verified_at: &str, desa: Option<u64>) -> Option<(Date, Date)> {
    let at = OffsetDateTime::parse(verified_at, &Rfc3339).ok()?;
    let day = crate::letters::number::desa_today(desa.unwrap_or(0), at);
    let days = |n: i64| day.checked_add(time::Duration::days(n));
    Some((days(*BATCH_DAYS.start())?, days(*BATCH_DAYS.end())?))
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("no report with ticket {0}")]
    UnknownTicket(Ticket),
    #[error("a report in state {from} cannot become {to}")]
    NotAllowed { from: &'static str, to: &'static str },
    #[error("the batch date must be 5 to 7 days after verification ({verified})")]
    BatchDate { verified: String },
    #[error("the report changed meanwhile; look at it again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A staff decision on a report.
#[derive(Debug, Clone)]
pub enum Step {
    Verify,
    Reject(Text),
    Schedule(Date),
    Deliver,
}

fn allowed(from: ReportState, step: &Step) -> Option<ReportState> {
    use ReportState::*;
    match (from, step) {
        (Verification, Step::Verify) => Some(Verified),
        (Verification | Verified, Step::Reject(_)) => Some(RejectedAfterVerification),
        (Verified, Step::Schedule(_)) => Some(Scheduled),
        (Scheduled, Step::Deliver) => Some(Delivered),
        _ => None,
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Applies `step` to the report, as `actor` (e.g. `staff:sukojati-01`, `cli:root`), whatever
/// its desa.
pub fn advance(
    store: &Store,
    catalogue: &Catalogue,
    ticket: &Ticket,
    step: &Step,
    actor: &str,
) -> Result<TicketStatus, WorkflowError> {
    advance_in(store, catalogue, ticket, step, actor, None)
}

/// [`advance`] for someone acting for one desa (`Some`): another desa's report is
/// [`WorkflowError::UnknownTicket`], as a ticket that names nothing, so that tickets cannot
/// be probed across desas. A report's desa never changes once filed.
pub fn advance_in(
    store: &Store,
    catalogue: &Catalogue,
    ticket: &Ticket,
    step: &Step,
    actor: &str,
    desa: Option<u64>,
) -> Result<TicketStatus, WorkflowError> {
    let progress = store
        .report_progress(ticket)?
        .filter(|report| desa.is_none() || report.desa_code == desa)
        .ok_or(WorkflowError::UnknownTicket(*ticket))?;
    let (subject, from, verified_at) = (progress.subject, progress.state, progress.verified_at);
    let mut to = allowed(from, step)
        .ok_or(WorkflowError::NotAllowed { from: from.as_str(), to: step_name(step) })?;
    let stamp = now().format(&Rfc3339).unwrap_or_default();
    let mut change = ReportChange {
        step: step_name(step),
        actor: actor.to_string(),
        to,
        now: stamp.clone(),
        reason: None,
        verified_at: None,
        scheduled_for: None,
        program: None,
        desa,
    };
    let mut membership = None;
    match step {
        Step::Verify => {
            // The same engine as at filing: the family may have been covered since.
            let family = store.status(&subject)?.ok_or(WorkflowError::Conflict)?;
            let program = &catalogue.report_program().code;
            let asked = Request { program, component: None };
            match decide_for(catalogue, asked, &subject, &family, Quota::default()) {
                Decision::Accepted => {
                    change.verified_at = Some(stamp.clone());
                    change.program = Some(program.clone());
                    membership = Some(NewMembership {
                        program: program.clone(),
                        nik: None,
                        kk: NoKk::parse(&family.kk).ok(),
                        component: None,
                        member_nik: None,
                        state: MembershipState::Verified,
                        since: now().date().to_string(),
                        desa_code: family.desa_code,
                    });
                }
                Decision::Rejected(reasons) => {
                    to = ReportState::RejectedAfterVerification;
                    change.to = to;
                    change.reason = reasons.first().map(|r| r.text.clone());
                }
            }
        }
        Step::Reject(reason) => change.reason = Some(reason.clone()),
        Step::Schedule(date) => {
            let verified = verified_at.clone().unwrap_or_default();
            match batch_window(&verified, progress.desa_code) {
                Some((first, last)) if (first..=last).contains(date) => {}
                _ => return Err(WorkflowError::BatchDate { verified }),
            }
            change.scheduled_for = Some(date.to_string());
        }
        Step::Deliver => {}
    }
    let audit = |status: &TicketStatus| AuditEntry {
        at: stamp.clone(),
        actor: actor.to_string(),
        action: format!("report_{}", step_name(step)),
        subject: format!("{ticket} {}", status.subject),
        outcome: to.as_str().into(),
    };
    let status = store
        .advance_report(ticket, from, &change, membership.as_ref(), audit)?
        .ok_or(WorkflowError::Conflict)?;
    Ok(status)
}

/// The step's name in the audit log and the report's history.
pub fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Verify => "verify",
        Step::Reject(_) => "reject",
        Step::Schedule(_) => "schedule",
        Step::Deliver => "deliver",
    }
}
