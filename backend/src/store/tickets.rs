//! The ticket space reports and letter requests share: one ticket number names one
//! submission, whichever table holds it.

use protocol::api::{ReportState, TicketKind, TicketStatus};
use protocol::letter::LetterCode;
use protocol::ticket::Ticket;
use protocol::{Nik, Text};

use super::sql::{Db, params};
use super::{Store, StoreError};

/// Tickets issued by the central service itself.
const CENTRAL_ISSUER: u16 = 0;

/// Whether any submission already holds `ticket`.
fn taken(db: &mut impl Db, ticket: &Ticket) -> Result<bool, StoreError> {
    let held: i64 = db.query_value(
        "SELECT (SELECT count(*) FROM reports WHERE issuer = ?1 AND serial = ?2)
              + (SELECT count(*) FROM letter_requests WHERE issuer = ?1 AND serial = ?2)",
        params![ticket.issuer(), ticket.serial()],
    )?;
    Ok(held > 0)
}

/// The highest serial of `issuer` either table holds; 0 when it holds none.
fn highest(db: &mut impl Db, issuer: u16) -> Result<u32, StoreError> {
    let serial: i64 = db.query_value(
        "SELECT coalesce(max(serial), 0) FROM (
             SELECT serial FROM reports WHERE issuer = ?1
             UNION ALL SELECT serial FROM letter_requests WHERE issuer = ?1) AS issued",
        params![issuer],
    )?;
    u32::try_from(serial).map_err(|_| StoreError::Corrupt(format!("serial {serial}")))
}

impl Store {
    /// The highest serial of a kiosk's `issuer` any report or letter request holds (0 for
    /// none): a re-imaged kiosk continues above it instead of reissuing tickets citizens
    /// already hold.
    pub fn last_serial(&self, issuer: u16) -> Result<u32, StoreError> {
        highest(&mut *self.pool.get()?, issuer)
    }
}

/// The next ticket of the central service, after every one either table holds. Call it
/// inside the write that uses it: writers take turns, so no two get the same serial.
fn next_central(db: &mut impl Db) -> Result<Ticket, StoreError> {
    let serial = highest(db, CENTRAL_ISSUER)?;
    serial
        .checked_add(1)
        .and_then(|serial| Ticket::new(CENTRAL_ISSUER, serial).ok())
        .ok_or_else(|| StoreError::Invalid("ticket serials exhausted".into()))
}

/// Which table a kind of submission is filed in.
#[derive(Debug, Clone, Copy)]
pub(super) enum Table {
    Reports,
    LetterRequests,
}

/// The submission `kiosk` already filed in `table` under this idempotency key, if any: a
/// resend after a lost answer gets the first answer again.
pub(super) fn filed_before(
    db: &mut impl Db,
    table: Table,
    kiosk: &str,
    idempotency_key: &str,
) -> Result<Option<TicketStatus>, StoreError> {
    let sql = match table {
        Table::Reports => "SELECT ticket FROM reports WHERE kiosk = ?1 AND idempotency_key = ?2",
        Table::LetterRequests => {
            "SELECT ticket FROM letter_requests WHERE kiosk = ?1 AND idempotency_key = ?2"
        }
    };
    let Some(mut row) = db.query_opt(sql, params![kiosk, idempotency_key])? else {
        return Ok(None);
    };
    let ticket: String = row.get(0)?;
    let ticket = Ticket::parse(&ticket).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let status =
        status(db, &ticket)?.ok_or_else(|| StoreError::Corrupt(format!("{ticket} vanished")))?;
    Ok(Some(status))
}

/// The ticket a new submission is filed under: the kiosk's own (refused with
/// [`StoreError::TicketTaken`] when another submission holds it), or the next central one.
pub(super) fn for_new(
    db: &mut impl Db,
    kiosk_ticket: Option<Ticket>,
) -> Result<Ticket, StoreError> {
    match kiosk_ticket {
        Some(ticket) if taken(db, &ticket)? => Err(StoreError::TicketTaken(ticket)),
        Some(ticket) => Ok(ticket),
        None => next_central(db),
    }
}

/// Where the submission under `ticket` stands, whether a report or a letter request.
/// The desa of the kiosk that filed the submission a ticket names (`None` when that kiosk
/// stands in no desa, or the ticket names nothing).
pub(super) fn filed_in(db: &mut impl Db, ticket: &Ticket) -> Result<Option<u64>, StoreError> {
    let row = db.query_opt(
        "SELECT k.desa_code FROM kiosks k WHERE k.id = coalesce(
             (SELECT kiosk FROM reports WHERE issuer = ?1 AND serial = ?2),
             (SELECT kiosk FROM letter_requests WHERE issuer = ?1 AND serial = ?2))",
        params![ticket.issuer(), ticket.serial()],
    )?;
    Ok(row.map(|mut row| row.get::<Option<u64>>(0)).transpose()?.flatten())
}

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
            LetterCode::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("letter {code:?}")))
        })
        .transpose()?;
    let reason = match (decision_id, decision_en) {
        (Some(id), Some(en)) => Some(Text::new(id, en)),
        _ => None,
    };
    let subject = Nik::parse(&subject).map(|n| n.masked()).unwrap_or_default();
    Ok(Some(TicketStatus { ticket: *ticket, kind, letter, state, reason, subject, updated_at }))
}
