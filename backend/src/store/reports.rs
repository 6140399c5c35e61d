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
}

/// A change of a report's state, with what comes with it.
#[derive(Debug, Clone)]
pub struct ReportChange {
    pub to: ReportState,
    pub now: String,
    pub reason: Option<Text>,
    pub verified_at: Option<String>,
    pub scheduled_for: Option<String>,
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
                     created_at, updated_at, nik_entry)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16)",
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
                ],
            )?;
            let status = ticket_status(db, &ticket)?
                .ok_or_else(|| StoreError::Corrupt("report not written".into()))?;
            record(db, (status, true))
        })
    }

    /// The reported person's NIK, the state and the verification time of a report.
    pub fn report_progress(
        &self,
        ticket: &Ticket,
    ) -> Result<Option<(Nik, ReportState, Option<String>)>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT subject_nik, state, verified_at FROM reports WHERE issuer = ?1 AND serial = ?2",
            params![ticket.issuer(), ticket.serial()],
        )?;
        row.map(|mut row| {
            let (nik, state, verified_at): (String, String, Option<String>) =
                (row.get(0)?, row.get(1)?, row.get(2)?);
            let nik = Nik::parse(&nik).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let state = ReportState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?;
            Ok((nik, state, verified_at))
        })
        .transpose()
    }

    /// Moves a report from `from` to `change.to` (refused with `Ok(None)` when another
    /// change got there first), writing `membership` and the audit entry `audit` makes of
    /// the result in the same transaction.
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
                     verified_at = coalesce(?5, verified_at), scheduled_for = coalesce(?6, scheduled_for)
                 WHERE issuer = ?7 AND serial = ?8 AND state = ?9",
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
                ],
            )?;
            if changed == 0 {
                return Ok(None);
            }
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
