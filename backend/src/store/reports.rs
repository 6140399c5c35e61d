//! Citizen reports and their tickets.

use super::conn::Conn;
use super::sql::{Db, params};
use super::tickets::{Table, filed_before, for_new, status as ticket_status};
use super::{AuditEntry, Store, StoreError};
use protocol::api::{NikEntry, ReportState, TicketStatus};
use protocol::ticket::Ticket;
use protocol::{Nik, Text};

/// A report as it is filed, after validation and decision.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub kiosk: String,
    pub idempotency_key: String,
    pub reporter: Nik,
    pub subject: Nik,
    pub reason: String,
    pub phone: String,
    pub text: String,
    pub state: ReportState,
    pub decision: Option<Text>,
    pub now: String,
    /// A ticket the kiosk issued itself (already checked to carry the kiosk's own issuer);
    /// `None`: the central service issues one.
    pub ticket: Option<Ticket>,
    /// How the reporter's NIK was entered at the kiosk.
    pub nik_entry: NikEntry,
    /// The reported person's desa: its staff verify the report.
    pub desa_code: u64,
}

/// A change of a report's state, with what comes with it.
#[derive(Debug, Clone)]
pub struct ReportChange {
    /// The staff step (`verify`, `reject`, `schedule`, `deliver`), kept in the history.
    pub step: &'static str,
    /// Who took it (`staff:<username>`, `cli:<user>`).
    pub actor: String,
    pub to: ReportState,
    pub now: String,
    pub reason: Option<Text>,
    pub verified_at: Option<String>,
    pub scheduled_for: Option<String>,
    /// The program a verification wrote the family into.
    pub program: Option<String>,
    /// The desa the actor acts for, checked again in the write (`None`: any desa).
    pub desa: Option<u64>,
}

/// Where a report stands, as a staff step needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProgress {
    /// The reported person.
    pub subject: Nik,
    pub state: ReportState,
    pub verified_at: Option<String>,
    /// The desa whose staff verify it (`None`: a report from before desas were recorded
    /// whose subject has left the registry).
    pub desa_code: Option<u64>,
}

impl Store {
    /// Files a report in one transaction. A second call with the same kiosk and idempotency
    /// key returns the first ticket and `false`, and writes nothing. A kiosk-issued ticket
    /// that another submission already holds is refused with [`StoreError::TicketTaken`].
    pub fn file_report(
        &self,
        report: &NewReport,
        audit: impl FnOnce(&TicketStatus, bool) -> AuditEntry,
    ) -> Result<(TicketStatus, bool), StoreError> {
        self.write(|db| {
            let record = |db: &mut Conn, filed: (TicketStatus, bool)| {
                super::audit::insert_in(db, &audit(&filed.0, filed.1))?;
                Ok(filed)
            };
            if let Some(first) =
                filed_before(db, Table::Reports, &report.kiosk, &report.idempotency_key)?
            {
                return record(db, (first, false));
            }
            let ticket = for_new(db, report.ticket)?;
            db.execute(
                "INSERT INTO reports (issuer, serial, ticket, kiosk, idempotency_key, reporter_nik,
                     subject_nik, about_self, reason, phone, text, state, decision_id, decision_en,
                     created_at, updated_at, nik_entry, desa_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16,
                     ?17)",
                params![
                    ticket.issuer(),
                    ticket.serial(),
                    ticket.to_string(),
                    report.kiosk,
                    report.idempotency_key,
                    report.reporter.as_str(),
                    report.subject.as_str(),
                    report.reporter == report.subject,
                    report.reason,
                    report.phone,
                    report.text,
                    report.state.as_str(),
                    report.decision.as_ref().map(|t| t.id.as_str()),
                    report.decision.as_ref().map(|t| t.en.as_str()),
                    report.now,
                    report.nik_entry.as_str(),
                    report.desa_code,
                ],
            )?;
            let status = ticket_status(db, &ticket)?
                .ok_or_else(|| StoreError::Corrupt("report not written".into()))?;
            record(db, (status, true))
        })
    }

    /// The reported person, the state, the verification time and the desa of a report.
    pub fn report_progress(&self, ticket: &Ticket) -> Result<Option<ReportProgress>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT subject_nik, state, verified_at, desa_code FROM reports
             WHERE issuer = ?1 AND serial = ?2",
            params![ticket.issuer(), ticket.serial()],
        )?;
        row.map(|mut row| {
            let (nik, state): (String, String) = (row.get(0)?, row.get(1)?);
            Ok(ReportProgress {
                subject: Nik::parse(&nik).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                state: ReportState::parse(&state)
                    .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
                verified_at: row.get(2)?,
                desa_code: row.get(3)?,
            })
        })
        .transpose()
    }

    /// Moves a report from `from` to `change.to` (refused with `Ok(None)` when another
    /// change got there first, or when it is not of `change.desa`), writing `membership`, the
    /// step into the report's history and the audit entry `audit` makes of the result in the
    /// same transaction.
    pub fn advance_report(
        &self,
        ticket: &Ticket,
        from: ReportState,
        change: &ReportChange,
        membership: Option<&super::NewMembership>,
        audit: impl FnOnce(&TicketStatus) -> AuditEntry,
    ) -> Result<Option<TicketStatus>, StoreError> {
        self.write(|db| {
            let changed = db.execute(
                "UPDATE reports SET state = ?1, updated_at = ?2,
                     decision_id = coalesce(?3, decision_id), decision_en = coalesce(?4, decision_en),
                     verified_at = coalesce(?5, verified_at), scheduled_for = coalesce(?6, scheduled_for),
                     program = coalesce(?10, program)
                 WHERE issuer = ?7 AND serial = ?8 AND state = ?9
                   AND (desa_code = ?11 OR ?11 IS NULL)",
                params![
                    change.to.as_str(),
                    change.now,
                    change.reason.as_ref().map(|t| t.id.as_str()),
                    change.reason.as_ref().map(|t| t.en.as_str()),
                    change.verified_at,
                    change.scheduled_for,
                    ticket.issuer(),
                    ticket.serial(),
                    from.as_str(),
                    change.program,
                    change.desa,
                ],
            )?;
            if changed == 0 {
                return Ok(None);
            }
            db.execute(
                "INSERT INTO report_steps
                     (ticket, at, actor, step, state, reason_id, reason_en, batch_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    ticket.to_string(),
                    change.now,
                    change.actor,
                    change.step,
                    change.to.as_str(),
                    change.reason.as_ref().map(|t| t.id.as_str()),
                    change.reason.as_ref().map(|t| t.en.as_str()),
                    change.scheduled_for,
                ],
            )?;
            if let Some(membership) = membership {
                super::registry::insert_memberships(db, std::slice::from_ref(membership))?;
            }
            let status = ticket_status(db, ticket)?;
            if let Some(status) = &status {
                super::audit::insert_in(db, &audit(status))?;
            }
            Ok(status)
        })
    }

    /// Number of reports filed (all states).
    pub fn report_count(&self) -> Result<u64, StoreError> {
        self.pool.get()?.query_value("SELECT count(*) FROM reports", &[])
    }

    pub fn ticket(&self, ticket: &Ticket) -> Result<Option<TicketStatus>, StoreError> {
        ticket_status(&mut *self.pool.get()?, ticket)
    }

    /// A ticket's state and the desa of the kiosk that filed it, in one read.
    pub fn ticket_and_desa(
        &self,
        ticket: &Ticket,
    ) -> Result<Option<(TicketStatus, Option<u64>)>, StoreError> {
        self.pool.get()?.read(|db| {
            let Some(status) = ticket_status(db, ticket)? else { return Ok(None) };
            Ok(Some((status, super::tickets::filed_in(db, ticket)?)))
        })
    }
}
