//! The desa staff's side of letter requests: what waits, one request in full, the registry
//! facts a letter is made of, and the steps (prepare, reject).

use std::collections::BTreeMap;

use protocol::api::NikEntry;
use protocol::letter::LetterCode;
use protocol::mask::mask_name;
use protocol::{Nik, Text};

use super::super::sql::{Db, Row, params};
use super::super::{AuditEntry, Store, StoreError};

/// A request in the queue, masked as lists are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingLetter {
    pub ticket: String,
    pub letter: LetterCode,
    pub desa_code: u64,
    pub applicant: String,
    /// The applicant's name, masked (`B*** S******`); empty when no longer registered.
    pub applicant_name: String,
    pub filed_at: String,
    pub nik_entry: NikEntry,
    /// Why it waits (the decision shown to the citizen).
    pub reason: Option<Text>,
    /// The operator who prepared it for signing, if one has.
    pub prepared_by: Option<String>,
}

/// An issued letter as lists show it, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedSummary {
    pub id: String,
    pub ticket: String,
    pub letter: String,
    pub desa_code: u64,
    pub number: String,
    pub issued_at: String,
    /// The subject's NIK, masked.
    pub subject: String,
    pub cancelled: bool,
}

/// One request in full, for the preview and the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterDetail {
    pub ticket: String,
    pub letter: LetterCode,
    pub desa_code: u64,
    pub applicant: Nik,
    pub purpose: String,
    pub fields: BTreeMap<String, String>,
    pub state: String,
    pub nik_entry: NikEntry,
    pub prepared_by: Option<String>,
    pub letter_id: Option<String>,
}

/// A resident's row as a letter prints it (codes still codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentFacts {
    pub nik: String,
    pub kk: String,
    pub name: String,
    pub sex: String,
    pub birth_place: String,
    pub birth_date: String,
    pub religion: Option<u8>,
    pub education: Option<u8>,
    pub occupation: Option<u8>,
    pub marital_status: Option<u8>,
    pub shdk: Option<u8>,
    pub relation: String,
    pub nationality: Option<u8>,
    pub father_name: String,
    pub mother_name: String,
    pub life_status: String,
}

/// The family of a letter's subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyFacts {
    pub kk: String,
    pub desa_code: u64,
    pub address: String,
    pub dusun: String,
    pub rt: String,
    pub rw: String,
    pub desil: Option<u8>,
    /// Every member, the subject included, heads first.
    pub members: Vec<ResidentFacts>,
    /// Programs the family or a member holds an active membership of.
    pub active_programs: Vec<String>,
}

fn small(row: &mut Row, index: usize) -> Result<Option<u8>, StoreError> {
    Ok(row.get::<Option<i64>>(index)?.and_then(|code| u8::try_from(code).ok()))
}

fn resident(row: &mut Row) -> Result<ResidentFacts, StoreError> {
    Ok(ResidentFacts {
        nik: row.get(0)?,
        kk: row.get(1)?,
        name: row.get(2)?,
        sex: row.get(3)?,
        birth_place: row.get(4)?,
        birth_date: row.get(5)?,
        religion: small(row, 6)?,
        education: small(row, 7)?,
        occupation: small(row, 8)?,
        marital_status: small(row, 9)?,
        shdk: small(row, 10)?,
        relation: row.get(11)?,
        nationality: small(row, 12)?,
        father_name: row.get(13)?,
        mother_name: row.get(14)?,
        life_status: row.get(15)?,
    })
}

impl Store {
    /// The facts a letter about `nik` is made of: the family with every member and the
    /// programs it holds. `None`: not in the registry.
    pub fn letter_family(&self, nik: &Nik) -> Result<Option<FamilyFacts>, StoreError> {
        let mut db = self.pool.get()?;
        let family = db.query_opt(
            "SELECT f.kk, f.desa_code, f.address, f.dusun, f.rt, f.rw, f.desil
             FROM residents r JOIN families f ON f.kk = r.kk WHERE r.nik = ?1",
            params![nik.as_str()],
        )?;
        let Some(mut family) = family else { return Ok(None) };
        let kk: String = family.get(0)?;
        let desa: i64 = family.get(1)?;
        let members = db
            .query(
                "SELECT nik, kk, name, sex, birth_place, birth_date, religion, education,
                        occupation, marital_status, shdk, relation, nationality, father_name,
                        mother_name, life_status
                 FROM residents WHERE kk = ?1
                 ORDER BY CASE relation WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 ELSE 2 END,
                          birth_date, nik",
                params![kk],
            )?
            .into_iter()
            .map(|mut row| resident(&mut row))
            .collect::<Result<Vec<_>, _>>()?;
        let programs = db
            .query(
                "SELECT DISTINCT m.program FROM memberships m
                 WHERE m.state = 'active'
                   AND (m.kk = ?1 OR m.nik IN (SELECT nik FROM residents WHERE kk = ?1))
                 ORDER BY m.program",
                params![kk],
            )?
            .into_iter()
            .map(|mut row| row.get::<String>(0))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(FamilyFacts {
            kk,
            desa_code: desa as u64,
            address: family.get(2)?,
            dusun: family.get(3)?,
            rt: family.get(4)?,
            rw: family.get(5)?,
            desil: small(&mut family, 6)?,
            members,
            active_programs: programs,
        }))
    }

    /// Requests waiting for the staff of `desa` (every desa: `None`), oldest first, masked.
    pub fn waiting_letters(&self, desa: Option<u64>) -> Result<Vec<WaitingLetter>, StoreError> {
        const COLUMNS: &str = "SELECT l.ticket, l.letter, l.desa_code, l.applicant_nik,
                l.created_at, l.nik_entry, l.decision_id, l.decision_en, l.prepared_by, r.name
             FROM letter_requests l LEFT JOIN residents r ON r.nik = l.applicant_nik
             WHERE l.state = 'verification'";
        let mut db = self.pool.get()?;
        let rows = match desa {
            Some(desa) => db.query(
                &format!("{COLUMNS} AND l.desa_code = ?1 ORDER BY l.created_at, l.ticket"),
                params![desa],
            )?,
            None => db.query(&format!("{COLUMNS} ORDER BY l.created_at, l.ticket"), &[])?,
        };
        rows.into_iter()
            .map(|mut row| {
                let letter: String = row.get(1)?;
                let desa: i64 = row.get(2)?;
                let applicant: String = row.get(3)?;
                let entry: String = row.get(5)?;
                let (id, en): (Option<String>, Option<String>) = (row.get(6)?, row.get(7)?);
                let name: Option<String> = row.get(9)?;
                Ok(WaitingLetter {
                    ticket: row.get(0)?,
                    letter: LetterCode::parse(&letter)
                        .ok_or_else(|| StoreError::Corrupt(format!("letter type {letter:?}")))?,
                    desa_code: desa as u64,
                    applicant: Nik::parse(&applicant).map(|n| n.masked()).unwrap_or_default(),
                    applicant_name: name.as_deref().map(mask_name).unwrap_or_default(),
                    filed_at: row.get(4)?,
                    nik_entry: if entry == "card" { NikEntry::Card } else { NikEntry::Keypad },
                    reason: id.zip(en).map(|(id, en)| Text::new(id, en)),
                    prepared_by: row.get(8)?,
                })
            })
            .collect()
    }

    /// The latest `limit` letters issued for `desa` (every desa: `None`), newest first.
    pub fn recent_letters(
        &self,
        desa: Option<u64>,
        limit: usize,
    ) -> Result<Vec<IssuedSummary>, StoreError> {
        const COLUMNS: &str = "SELECT id, ticket, letter, desa_code, number, issued_at,
                subject_nik, cancelled_at FROM letters";
        let limit = limit as i64;
        let mut db = self.pool.get()?;
        let rows = match desa {
            Some(desa) => db.query(
                &format!("{COLUMNS} WHERE desa_code = ?1 ORDER BY issued_at DESC, id LIMIT ?2"),
                params![desa, limit],
            )?,
            None => db.query(
                &format!("{COLUMNS} ORDER BY issued_at DESC, id LIMIT ?1"),
                params![limit],
            )?,
        };
        rows.into_iter()
            .map(|mut row| {
                let desa: i64 = row.get(3)?;
                let subject: String = row.get(6)?;
                let cancelled: Option<String> = row.get(7)?;
                Ok(IssuedSummary {
                    id: row.get(0)?,
                    ticket: row.get(1)?,
                    letter: row.get(2)?,
                    desa_code: desa as u64,
                    number: row.get(4)?,
                    issued_at: row.get(5)?,
                    subject: Nik::parse(&subject).map(|n| n.masked()).unwrap_or_default(),
                    cancelled: cancelled.is_some(),
                })
            })
            .collect()
    }

    /// One request in full. Reading it is the caller's to audit (it holds the full NIK).
    pub fn letter_request(&self, ticket: &str) -> Result<Option<LetterDetail>, StoreError> {
        let row = self.pool.get()?.query_opt(
            "SELECT ticket, letter, desa_code, applicant_nik, purpose, fields, state, nik_entry,
                    prepared_by, letter_id
             FROM letter_requests WHERE ticket = ?1",
            params![ticket],
        )?;
        let Some(mut row) = row else { return Ok(None) };
        let letter: String = row.get(1)?;
        let desa: i64 = row.get(2)?;
        let applicant: String = row.get(3)?;
        let fields: String = row.get(5)?;
        let entry: String = row.get(7)?;
        Ok(Some(LetterDetail {
            ticket: row.get(0)?,
            letter: LetterCode::parse(&letter)
                .ok_or_else(|| StoreError::Corrupt(format!("letter type {letter:?}")))?,
            desa_code: desa as u64,
            applicant: Nik::parse(&applicant)
                .map_err(|e| StoreError::Corrupt(format!("applicant NIK: {e}")))?,
            purpose: row.get(4)?,
            fields: serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("letter fields: {e}")))?,
            state: row.get(6)?,
            nik_entry: if entry == "card" { NikEntry::Card } else { NikEntry::Keypad },
            prepared_by: row.get(8)?,
            letter_id: row.get(9)?,
        }))
    }

    /// An operator marks a waiting request as checked and ready for the signer.
    pub fn prepare_letter(&self, ticket: &str, actor: &str) -> Result<(), StoreError> {
        self.letter_step(ticket, actor, "letter_prepared", |db, now| {
            db.execute(
                "UPDATE letter_requests SET prepared_by = ?1, updated_at = ?2
                 WHERE ticket = ?3 AND state = 'verification'",
                params![actor, now, ticket],
            )
        })
    }

    /// Refuses a waiting request with a reason the citizen sees when tracking the ticket.
    pub fn reject_letter(
        &self,
        ticket: &str,
        actor: &str,
        reason: &Text,
    ) -> Result<(), StoreError> {
        self.letter_step(ticket, actor, "letter_rejected", |db, now| {
            db.execute(
                "UPDATE letter_requests SET state = 'rejected_after_verification',
                     decision_id = ?1, decision_en = ?2, decided_by = ?3, updated_at = ?4
                 WHERE ticket = ?5 AND state = 'verification'",
                params![reason.id, reason.en, actor, now, ticket],
            )
        })
    }

    fn letter_step(
        &self,
        ticket: &str,
        actor: &str,
        action: &str,
        change: impl FnOnce(&mut super::super::conn::Conn, &str) -> Result<u64, StoreError>,
    ) -> Result<(), StoreError> {
        self.write(|db| {
            let now = super::super::fleet::now();
            if change(db, &now)? == 0 {
                return Err(StoreError::LetterNotReady(format!(
                    "letter request {ticket} is not waiting"
                )));
            }
            super::super::audit::insert_in(
                db,
                &AuditEntry {
                    at: now,
                    actor: actor.to_owned(),
                    action: action.into(),
                    subject: format!("ticket:{ticket}"),
                    outcome: "done".into(),
                },
            )
        })
    }
}
