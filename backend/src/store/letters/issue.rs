//! Issuing a letter: number, render, seal and record in one write transaction, so a letter
//! either exists with its number or the number was never taken (numbers stay gapless), and
//! printing, cancelling and reading it back for verification.

use protocol::letter::document::LetterDocument;
use protocol::letter::seal::LetterSeal;
use protocol::letter::{IssuedLetter, LetterCode};
use protocol::ticket::Ticket;
use rand::Rng;

use super::super::sql::{Db, params};
use super::super::{AuditEntry, Store, StoreError};
use crate::letters::number::NumberParts;

/// What issuing needs besides the rendering, decided before the transaction.
#[derive(Debug, Clone)]
pub struct Issuing {
    pub ticket: Ticket,
    pub letter: LetterCode,
    /// The catalogue's classification code (a desa's own setting overrides it).
    pub classification: String,
    pub desa_code: u64,
    pub subject_nik: String,
    pub subject_name: String,
    /// `kiosk:<id>` (issued at once) or `staff:<username>` (approved).
    pub actor: String,
    pub date: time::Date,
    /// The public address of the verification page, for the footer (`https://.../verify`).
    pub verify_base: Option<String>,
    /// The catalogue that renders it, `v<version> <digest>` ([`crate::letters::LetterCatalogue::label`]).
    pub catalogue: String,
}

/// An issued letter as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    pub id: String,
    pub ticket: String,
    pub letter: LetterCode,
    pub desa_code: u64,
    pub number: String,
    pub sequence: u64,
    pub year: i32,
    pub subject_nik: String,
    pub issued_at: String,
    pub issued_by: String,
    pub document: LetterDocument,
    /// The catalogue that rendered it.
    pub catalogue: String,
    pub prints: u32,
    /// When, by whom and why it was cancelled.
    pub cancelled: Option<(String, String, String)>,
}

/// Letter (and sealed slip) ids: 10 of Crockford's base-32 digits (no I, L, O, U), 50 random bits: short
/// enough to type from paper, too many to guess.
pub fn new_id() -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    (0..10).map(|_| char::from(DIGITS[rng.random_range(0..DIGITS.len())])).collect()
}

/// Whether `text` could be a letter id (checked before any lookup).
pub fn valid_id(text: &str) -> bool {
    text.len() == 10 && text.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

fn footer(id: &str, verify_base: Option<&str>) -> Vec<String> {
    let mut footer =
        vec!["Surat ini ditandatangani secara elektronik dengan kunci desa.".to_owned()];
    match verify_base {
        Some(base) => footer.push(format!("Periksa keaslian: {}/{id}", base.trim_end_matches('/'))),
        None => footer.push(format!("Periksa keaslian: pindai kode QR. Nomor surat {id}.")),
    }
    footer
}

const COLUMNS: &str =
    "id, ticket, letter, desa_code, number, sequence, year, subject_nik, issued_at,
     issued_by, document, prints, cancelled_at, cancelled_by, cancel_reason, catalogue";

fn record(row: &mut super::super::sql::Row) -> Result<IssuedRecord, StoreError> {
    let letter: String = row.get(2)?;
    let document: String = row.get(10)?;
    let cancelled_at: Option<String> = row.get(12)?;
    let desa: i64 = row.get(3)?;
    let sequence: i64 = row.get(5)?;
    let year: i64 = row.get(6)?;
    let prints: i64 = row.get(11)?;
    Ok(IssuedRecord {
        id: row.get(0)?,
        ticket: row.get(1)?,
        letter: LetterCode::parse(&letter)
            .ok_or_else(|| StoreError::Corrupt(format!("letter type {letter:?}")))?,
        desa_code: desa as u64,
        number: row.get(4)?,
        sequence: sequence as u64,
        year: year as i32,
        subject_nik: row.get(7)?,
        issued_at: row.get(8)?,
        issued_by: row.get(9)?,
        document: serde_json::from_str(&document)
            .map_err(|e| StoreError::Corrupt(format!("letter document: {e}")))?,
        catalogue: row.get(15)?,
        prints: prints.max(0) as u32,
        cancelled: match cancelled_at {
            Some(at) => {
                Some((at, row.get(13)?, row.get::<Option<String>>(14)?.unwrap_or_default()))
            }
            None => None,
        },
    })
}

fn by_ticket(db: &mut impl Db, ticket: &str) -> Result<Option<IssuedRecord>, StoreError> {
    db.query_opt(&format!("SELECT {COLUMNS} FROM letters WHERE ticket = ?1"), params![ticket])?
        .map(|mut row| record(&mut row))
        .transpose()
}

impl Store {
    /// Issues the letter of a request waiting in `verification`: takes the desa's next
    /// number for the type and year, renders the document with it (`render`), seals it with
    /// the desa's key, records it and marks the request issued, audited, all in one
    /// transaction. A request already issued answers its letter again (a retry after a lost
    /// answer), never a second number.
    pub fn issue_letter(
        &self,
        issuing: &Issuing,
        render: impl FnOnce(&str) -> Result<LetterDocument, StoreError>,
    ) -> Result<IssuedRecord, StoreError> {
        let ticket = issuing.ticket.to_string();
        self.write(|db| {
            if let Some(issued) = by_ticket(db, &ticket)? {
                return Ok(issued);
            }
            let state: Option<String> = db
                .query_opt("SELECT state FROM letter_requests WHERE ticket = ?1", params![ticket])?
                .map(|mut row| row.get(0))
                .transpose()?;
            match state.as_deref() {
                Some("verification") => {}
                Some(other) => {
                    return Err(StoreError::Invalid(format!(
                        "letter request {ticket} is {other}, not waiting to be issued"
                    )));
                }
                None => return Err(StoreError::Invalid(format!("no letter request {ticket}"))),
            }
            let settings = super::settings::read(db, issuing.desa_code)?;
            let format = settings.format()?;
            let year = issuing.date.year();
            let sequence: i64 = db.query_value(
                "INSERT INTO letter_counters (desa_code, letter, year, last) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (desa_code, letter, year) DO UPDATE SET last = letter_counters.last + 1
                 RETURNING last",
                params![issuing.desa_code, issuing.letter.as_str(), i64::from(year)],
            )?;
            let number = format.format(NumberParts {
                code: settings.code_for(issuing.letter.as_str(), &issuing.classification),
                sequence: sequence as u64,
                desa_code: issuing.desa_code,
                year,
                month: u8::from(issuing.date.month()),
            });
            let id = new_id();
            let mut document = render(&number)?;
            let key = self.desa_key_in(db, issuing.desa_code)?;
            let seal = LetterSeal {
                id: id.clone(),
                desa_code: issuing.desa_code,
                letter: issuing.letter.to_string(),
                number: number.clone(),
                issued_on: issuing.date.to_string(),
                nik: issuing.subject_nik.clone(),
                name: issuing.subject_name.clone(),
            };
            document.qr = seal.payload(&key);
            document.footer = footer(&id, issuing.verify_base.as_deref());
            let now = super::super::fleet::now();
            let json = serde_json::to_string(&document)
                .map_err(|e| StoreError::Corrupt(format!("letter document: {e}")))?;
            db.execute(
                "INSERT INTO letters (id, ticket, desa_code, letter, year, sequence, number,
                     subject_nik, issued_at, issued_by, document, catalogue)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    id,
                    ticket,
                    issuing.desa_code,
                    issuing.letter.as_str(),
                    i64::from(year),
                    sequence,
                    number,
                    issuing.subject_nik,
                    now,
                    issuing.actor,
                    json,
                    issuing.catalogue
                ],
            )?;
            db.execute(
                "UPDATE letter_requests SET state = 'verified', letter_id = ?1, decided_by = ?2,
                     updated_at = ?3, decision_id = NULL, decision_en = NULL
                 WHERE ticket = ?4",
                params![id, issuing.actor, now, ticket],
            )?;
            super::super::audit::insert_in(
                db,
                &AuditEntry {
                    at: now,
                    actor: issuing.actor.clone(),
                    action: "letter_issued".into(),
                    subject: format!("letter:{id} {number} ticket:{ticket}"),
                    outcome: "issued".into(),
                },
            )?;
            by_ticket(db, &ticket)?.ok_or_else(|| StoreError::Corrupt("letter not written".into()))
        })
    }

    /// The issued letter of `ticket` for a kiosk of `desa` to print: counted, audited, and
    /// marked as a copy from the second print on. `Ok(None)`: no letter issued for it (yet).
    /// A cancelled letter or another desa's is refused.
    pub fn print_letter(
        &self,
        ticket: &Ticket,
        desa: Option<u64>,
        actor: &str,
    ) -> Result<Option<IssuedLetter>, StoreError> {
        let ticket = ticket.to_string();
        self.write(|db| {
            let Some(issued) = by_ticket(db, &ticket)? else { return Ok(None) };
            if desa != Some(issued.desa_code) {
                return Err(StoreError::Forbidden(
                    "the letter is printed at a kiosk of its own desa".into(),
                ));
            }
            if issued.cancelled.is_some() {
                return Err(StoreError::LetterNotReady(format!(
                    "letter {} was cancelled",
                    issued.id
                )));
            }
            db.execute("UPDATE letters SET prints = prints + 1 WHERE id = ?1", params![issued.id])?;
            let copy = issued.prints > 0;
            super::super::audit::insert_in(
                db,
                &AuditEntry {
                    at: super::super::fleet::now(),
                    actor: actor.to_owned(),
                    action: "letter_printed".into(),
                    subject: format!("letter:{} ticket:{ticket}", issued.id),
                    outcome: if copy { "copy" } else { "original" }.into(),
                },
            )?;
            let mut document = issued.document;
            document.copy = copy;
            Ok(Some(IssuedLetter {
                id: issued.id,
                ticket: Ticket::parse(&ticket)
                    .map_err(|e| StoreError::Corrupt(format!("ticket {ticket}: {e}")))?,
                letter: issued.letter,
                document,
            }))
        })
    }

    /// Cancels an issued letter: it keeps its number, with who cancelled it, when and why;
    /// verification shows it as cancelled from then on.
    pub fn cancel_letter(
        &self,
        id: &str,
        actor: &str,
        reason: &str,
    ) -> Result<IssuedRecord, StoreError> {
        self.write(|db| {
            let now = super::super::fleet::now();
            let changed = db.execute(
                "UPDATE letters SET cancelled_at = ?1, cancelled_by = ?2, cancel_reason = ?3
                 WHERE id = ?4 AND cancelled_at IS NULL",
                params![now, actor, reason, id],
            )?;
            if changed == 0 {
                return Err(StoreError::LetterNotReady(format!(
                    "letter {id} is unknown or already cancelled"
                )));
            }
            super::super::audit::insert_in(
                db,
                &AuditEntry {
                    at: now,
                    actor: actor.to_owned(),
                    action: "letter_cancelled".into(),
                    subject: format!("letter:{id}"),
                    outcome: "cancelled".into(),
                },
            )?;
            db.query_opt(&format!("SELECT {COLUMNS} FROM letters WHERE id = ?1"), params![id])?
                .map(|mut row| record(&mut row))
                .transpose()?
                .ok_or_else(|| StoreError::Corrupt("cancelled letter gone".into()))
        })
    }

    /// An issued letter by its id (verification, the PDF, the console).
    pub fn letter(&self, id: &str) -> Result<Option<IssuedRecord>, StoreError> {
        if !valid_id(id) {
            return Ok(None);
        }
        self.pool
            .get()?
            .query_opt(&format!("SELECT {COLUMNS} FROM letters WHERE id = ?1"), params![id])?
            .map(|mut row| record(&mut row))
            .transpose()
    }

    /// A desa's letters of a type and year in number order (the numbering test, the archive).
    pub fn letters_numbered(
        &self,
        desa: u64,
        letter: &str,
        year: i32,
    ) -> Result<Vec<IssuedRecord>, StoreError> {
        self.pool
            .get()?
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM letters WHERE desa_code = ?1 AND letter = ?2 AND year = ?3
                     ORDER BY sequence"
                ),
                params![desa, letter, i64::from(year)],
            )?
            .into_iter()
            .map(|mut row| record(&mut row))
            .collect()
    }
}
