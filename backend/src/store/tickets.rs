//! The ticket space reports and letter requests share: one ticket number names one
//! submission, whichever table holds it.

use protocol::api::{ReportState, TicketKind, TicketStatus};
use protocol::letter::LetterKind;
use protocol::ticket::Ticket;
use protocol::{Nik, Text};

use super::StoreError;
use super::sql::{Db, params};

/// Tickets issued by the central service itself.
const CENTRAL_ISSUER: u16 = 0;

/// Whether any submission already holds `ticket`.
pub(super) fn taken(db: &mut impl Db, ticket: &Ticket) -> Result<bool, StoreError> {
    let held: i64 = db.query_value(
        "SELECT (SELECT count(*) FROM reports WHERE issuer = ?1 AND serial = ?2)
              + (SELECT count(*) FROM letter_requests WHERE issuer = ?1 AND serial = ?2)",
        params![ticket.issuer(), ticket.serial()],
    )?;
    Ok(held > 0)
}

/// The next ticket of the central service, after every one either table holds. Call it
/// inside the write that uses it: writers take turns, so no two get the same serial.
pub(super) fn next_central(db: &mut impl Db) -> Result<Ticket, StoreError> {
    let serial: i64 = db.query_value(
        "SELECT coalesce(max(serial), 0) + 1 FROM (
             SELECT serial FROM reports WHERE issuer = ?1
             UNION ALL SELECT serial FROM letter_requests WHERE issuer = ?1) AS issued",
        params![CENTRAL_ISSUER],
    )?;
    u32::try_from(serial)
        .ok()
        .and_then(|serial| Ticket::new(CENTRAL_ISSUER, serial).ok())
        .ok_or_else(|| StoreError::Invalid("ticket serials exhausted".into()))
}

/// Where the submission under `ticket` stands, whether a report or a letter request.
pub(super) fn status(
    db: &mut impl Db,
    ticket: &Ticket,
) -> Result<Option<TicketStatus>, StoreError> {
    let report = db.query_opt(
        "SELECT state, decision_id, decision_en, subject_nik, updated_at, CAST(NULL AS TEXT)
         FROM reports
         WHERE issuer = ?1 AND serial = ?2",
        params![ticket.issuer(), ticket.serial()],
    )?;
    let (kind, row) = match report {
        Some(row) => (TicketKind::Report, row),
        None => {
            let letter = db.query_opt(
                "SELECT state, decision_id, decision_en, applicant_nik, updated_at, letter
                 FROM letter_requests WHERE issuer = ?1 AND serial = ?2",
                params![ticket.issuer(), ticket.serial()],
            )?;
            match letter {
                Some(row) => (TicketKind::Letter, row),
                None => return Ok(None),
            }
        }
    };
    let mut row = row;
    let state: String = row.get(0)?;
    let decision_id: Option<String> = row.get(1)?;
    let decision_en: Option<String> = row.get(2)?;
    let subject: String = row.get(3)?;
    let updated_at: String = row.get(4)?;
    let letter: Option<String> = row.get(5)?;
    let state = ReportState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?;
    let letter = letter
        .map(|code| {
            LetterKind::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("letter {code:?}")))
        })
        .transpose()?;
    let reason = match (decision_id, decision_en) {
        (Some(id), Some(en)) => Some(Text::new(id, en)),
        _ => None,
    };
    let subject = Nik::parse(&subject).map(|n| n.masked()).unwrap_or_default();
    Ok(Some(TicketStatus { ticket: *ticket, kind, letter, state, reason, subject, updated_at }))
}
