//! Letters in the store: requests filed at kiosks (here), the letters issued from them with
//! their numbers and seals (`issue`), the queue the desa staff work through (`queue`), each
//! desa's settings (`settings`) and sealing keys (`keys`).

mod issue;
mod keys;
mod queue;
mod settings;

pub use issue::{IssuedRecord, Issuing, new_id as new_letter_id};
pub(super) use keys::reseal_desa_keys;
pub use queue::{FamilyFacts, IssuedSummary, LetterDetail, ResidentFacts, WaitingLetter};
pub use settings::LetterSettings;

use protocol::api::{NikEntry, ReportState, TicketStatus};
use protocol::letter::LetterCode;
use protocol::ticket::Ticket;
use protocol::{Nik, Text};

use super::conn::Conn;
use super::sql::{Db, params};
use super::tickets::{Table, filed_before, for_new, status};
use super::{AuditEntry, Store, StoreError};

/// A letter request as it is filed, after validation and decision.
#[derive(Debug, Clone)]
pub struct NewLetter {
    pub kiosk: String,
    pub idempotency_key: String,
    pub applicant: Nik,
    /// The applicant's desa in the registry: the desa whose staff make the letter.
    pub desa_code: u64,
    pub letter: LetterCode,
    pub purpose: String,
    /// The answers to the type's other fields, cleaned.
    pub fields: std::collections::BTreeMap<String, String>,
    pub state: ReportState,
    pub decision: Option<Text>,
    pub now: String,
    /// A ticket the kiosk issued itself (already checked to carry the kiosk's own issuer).
    pub ticket: Option<Ticket>,
    /// How the applicant's NIK was entered at the kiosk.
    pub nik_entry: NikEntry,
}

impl Store {
    /// Files a letter request in one transaction. The same kiosk and idempotency key again
    /// returns the first ticket and `false`, writing nothing; a kiosk-issued ticket another
    /// submission (report or letter) holds is refused with [`StoreError::TicketTaken`].
    pub fn file_letter(
        &self,
        request: &NewLetter,
        audit: impl FnOnce(&TicketStatus, bool) -> AuditEntry,
    ) -> Result<(TicketStatus, bool), StoreError> {
        self.write(|db| {
            let record = |db: &mut Conn, filed: (TicketStatus, bool)| {
                super::audit::insert_in(db, &audit(&filed.0, filed.1))?;
                Ok(filed)
            };
            if let Some(first) =
                filed_before(db, Table::LetterRequests, &request.kiosk, &request.idempotency_key)?
            {
                return record(db, (first, false));
            }
            let ticket = for_new(db, request.ticket)?;
            db.execute(
                "INSERT INTO letter_requests (issuer, serial, ticket, kiosk, idempotency_key,
                     applicant_nik, desa_code, letter, purpose, state, decision_id, decision_en,
                     created_at, updated_at, nik_entry, fields)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)",
                params![
                    ticket.issuer(),
                    ticket.serial(),
                    ticket.to_string(),
                    request.kiosk,
                    request.idempotency_key,
                    request.applicant.as_str(),
                    request.desa_code,
                    request.letter.as_str(),
                    request.purpose,
                    request.state.as_str(),
                    request.decision.as_ref().map(|t| t.id.as_str()),
                    request.decision.as_ref().map(|t| t.en.as_str()),
                    request.now,
                    request.nik_entry.as_str(),
                    serde_json::to_string(&request.fields)
                        .map_err(|e| StoreError::Corrupt(format!("letter fields: {e}")))?,
                ],
            )?;
            let filed = status(db, &ticket)?
                .ok_or_else(|| StoreError::Corrupt("letter request not written".into()))?;
            record(db, (filed, true))
        })
    }

    /// The desa a kiosk was registered for, if any.
    pub fn kiosk_desa(&self, kiosk_id: &str) -> Result<Option<u64>, StoreError> {
        let row = self
            .pool
            .get()?
            .query_opt("SELECT desa_code FROM kiosks WHERE id = ?1", params![kiosk_id])?;
        match row {
            Some(mut row) => row.get(0),
            None => Ok(None),
        }
    }
}
