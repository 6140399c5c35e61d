//! Staff reading the registry: a search by NIK, KK or the start of a name, and one family
//! with its members, the memberships of the household and of each member, and its history
//! (reports about its members, letters they asked for). The store answers in full; callers
//! mask with [`RegistryHit::masked`] and [`FamilyRecord::masked`] unless a reason was given,
//! and audit every read.
//!
//! Each search is index-backed on a registry of millions: a NIK by the primary index, a KK
//! by the family index, a name prefix by `residents_by_name` (migration 0022, on
//! `upper(name)`): SQLite reads the prefix as a range of that index, PostgreSQL as a `LIKE`
//! on its `text_pattern_ops` index; the two conditions are the same, so both stay in the
//! statement and each database uses the one it can.

use protocol::mask::mask_name;
use protocol::{Nik, NoKk, Text};
use serde::Serialize;

use super::sql::{Db, Param, Row, params};
use super::{Store, StoreError};

/// The most residents one search lists; more are told as `truncated`.
pub const SEARCH_LIMIT: usize = 50;

/// What a search looks for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryQuery {
    /// 16 digits: a resident's NIK or a family's KK (both number spaces are looked in).
    Number(String),
    /// The start of a name, upper-cased, of letters, spaces and `.'-,`.
    Name(String),
}

/// Why a search text was refused, in both languages for the page and the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("empty search")]
    Empty,
    #[error("16 digits that are no valid NIK or KK")]
    BadNumber,
    #[error("a number that is not 16 digits")]
    ShortNumber,
    #[error("a name shorter than 3 letters")]
    ShortName,
    #[error("a name with characters names do not have")]
    BadName,
}

impl QueryError {
    pub fn text(&self) -> Text {
        match self {
            QueryError::Empty => Text::new(
                "Ketik NIK, nomor KK, atau nama (paling sedikit 3 huruf).",
                "Type a NIK, a KK number or a name (at least 3 letters).",
            ),
            QueryError::BadNumber => Text::new(
                "16 angka ini bukan NIK atau nomor KK yang sah.",
                "These 16 digits are not a valid NIK or KK number.",
            ),
            QueryError::ShortNumber => Text::new(
                "NIK dan nomor KK terdiri atas 16 angka.",
                "A NIK and a KK number have 16 digits.",
            ),
            QueryError::ShortName => Text::new(
                "Ketik paling sedikit 3 huruf nama.",
                "Type at least 3 letters of the name.",
            ),
            QueryError::BadName => Text::new(
                "Nama hanya berisi huruf, spasi, titik, koma, tanda hubung, dan apostrof.",
                "A name holds only letters, spaces, full stops, commas, hyphens and apostrophes.",
            ),
        }
    }
}

/// The longest name prefix searched for.
const NAME_MAX: usize = 60;

impl RegistryQuery {
    /// A search box's text as a query.
    pub fn parse(text: &str) -> Result<RegistryQuery, QueryError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(QueryError::Empty);
        }
        let digits = text.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        if digits.chars().all(|c| c.is_ascii_digit()) {
            if digits.len() != 16 {
                return Err(QueryError::ShortNumber);
            }
            return if Nik::parse(&digits).is_ok() || NoKk::parse(&digits).is_ok() {
                Ok(RegistryQuery::Number(digits))
            } else {
                Err(QueryError::BadNumber)
            };
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '.' | '\'' | '-' | ',');
        if !text.chars().all(allowed) || text.chars().count() > NAME_MAX {
            return Err(QueryError::BadName);
        }
        let name = text.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase();
        if name.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            return Err(QueryError::ShortName);
        }
        Ok(RegistryQuery::Name(name))
    }

    /// What the audit log may say of the query: never the number or the name itself.
    pub fn audit_label(&self) -> String {
        match self {
            RegistryQuery::Number(number) => format!("number {}", mask_number(number)),
            RegistryQuery::Name(name) => format!("name {}", mask_name(name)),
        }
    }
}

/// A NIK or KK as lists show it: the first 4 and last 4 digits.
pub fn mask_number(number: &str) -> String {
    protocol::mask::mask_digits_in(number)
}

/// A resident as a search or a family lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RegistryHit {
    pub nik: String,
    pub name: String,
    pub kk: String,
    /// `head`, `spouse`, `child`, `parent` or `other`.
    pub relation: String,
    /// `male` or `female`.
    pub sex: String,
    /// `YYYY-MM-DD`; masked: the year alone.
    pub birth_date: String,
    /// `alive`, `died`, `moved_away`, `missing`, `left` or `invalid`.
    pub life_status: String,
    pub desa_code: u64,
}

impl RegistryHit {
    /// NIK, KK and name masked, the birth date cut to its year.
    pub fn masked(&self) -> RegistryHit {
        RegistryHit {
            nik: mask_number(&self.nik),
            name: mask_name(&self.name),
            kk: mask_number(&self.kk),
            birth_date: self.birth_date.chars().take(4).collect(),
            ..self.clone()
        }
    }
}

/// A program membership of the household or of one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FamilyMembership {
    pub program: String,
    pub program_name: Text,
    /// The member it belongs to (a person program's holder, or the member a household
    /// component concerns); `None`: the household as a whole.
    pub member_nik: Option<String>,
    pub component: Option<String>,
    /// `proposed`, `verified`, `active` or `ended`.
    pub state: String,
    pub since: String,
    pub ended_reason: Option<String>,
    pub ended_at: Option<String>,
}

/// A citizen report about a member of the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FamilyReport {
    pub ticket: String,
    pub filed_at: String,
    pub subject_nik: String,
    /// The report's reason code (`lost_job`, ...).
    pub reason: String,
    /// The report's state (`verification`, `delivered`, ...).
    pub state: String,
}

/// A letter a member of the family asked for, and the letter when it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FamilyLetter {
    pub ticket: String,
    pub filed_at: String,
    pub applicant_nik: String,
    /// The letter type's code (`domisili`, `sktm`, ...).
    pub letter: String,
    pub state: String,
    pub number: Option<String>,
    pub issued_at: Option<String>,
    pub cancelled: bool,
}

/// One family (KK) with its members, memberships and history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FamilyRecord {
    pub kk: String,
    pub desa_code: u64,
    pub address: String,
    pub dusun: String,
    pub rw: String,
    pub rt: String,
    /// DTSEN welfare decile, 1 poorest .. 10; `None`: not ranked.
    pub desil: Option<u8>,
    pub members: Vec<RegistryHit>,
    pub memberships: Vec<FamilyMembership>,
    pub reports: Vec<FamilyReport>,
    pub letters: Vec<FamilyLetter>,
    /// Whether NIKs, names and the address are shown in full (a reason was given).
    pub unmasked: bool,
}

impl FamilyRecord {
    /// Every NIK, the KK and names masked, the address left out, birth dates cut to years.
    pub fn masked(&self) -> FamilyRecord {
        let nik = |n: &Option<String>| n.as_deref().map(mask_number);
        FamilyRecord {
            kk: mask_number(&self.kk),
            address: String::new(),
            members: self.members.iter().map(RegistryHit::masked).collect(),
            memberships: self
                .memberships
                .iter()
                .map(|m| FamilyMembership { member_nik: nik(&m.member_nik), ..m.clone() })
                .collect(),
            reports: self
                .reports
                .iter()
                .map(|r| FamilyReport { subject_nik: mask_number(&r.subject_nik), ..r.clone() })
                .collect(),
            letters: self
                .letters
                .iter()
                .map(|l| FamilyLetter { applicant_nik: mask_number(&l.applicant_nik), ..l.clone() })
                .collect(),
            unmasked: false,
            ..self.clone()
        }
    }
}

const HIT_COLUMNS: &str =
    "SELECT r.nik, r.name, r.kk, r.relation, r.sex, r.birth_date, r.life_status,
        f.desa_code
    FROM residents r JOIN families f ON f.kk = r.kk";

fn read_hit(row: &mut Row) -> Result<RegistryHit, StoreError> {
    Ok(RegistryHit {
        nik: row.get(0)?,
        name: row.get(1)?,
        kk: row.get(2)?,
        relation: row.get(3)?,
        sex: row.get(4)?,
        birth_date: row.get(5)?,
        life_status: row.get(6)?,
        desa_code: row.get(7)?,
    })
}

/// The first string after every string starting with `prefix` (its last character raised
/// by one), the end of the prefix's index range.
fn after_prefix(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    if let Some(last) = chars.pop() {
        let next = char::from_u32(u32::from(last) + 1).unwrap_or(char::MAX);
        chars.push(next);
    }
    chars.into_iter().collect()
}

impl Store {
    /// Residents `query` finds, of `desa` (every desa: `None`), at most [`SEARCH_LIMIT`]
    /// by name, and whether there were more. Unmasked: the caller masks.
    pub fn search_registry(
        &self,
        query: &RegistryQuery,
        desa: Option<u64>,
    ) -> Result<(Vec<RegistryHit>, bool), StoreError> {
        let desa = desa.map(|d| Param::Int(i64::try_from(d).unwrap_or(i64::MAX)));
        let (condition, mut args) = match query {
            RegistryQuery::Number(number) => {
                ("(r.nik = ?1 OR r.kk = ?1)".to_owned(), vec![Param::Text(number.as_str())])
            }
            RegistryQuery::Name(_) => (
                "upper(r.name) >= ?1 AND upper(r.name) < ?2 AND upper(r.name) LIKE ?3".to_owned(),
                Vec::new(),
            ),
        };
        let (end, pattern);
        if let RegistryQuery::Name(name) = query {
            end = after_prefix(name);
            pattern = format!("{name}%");
            args.extend([Param::Text(name), Param::Text(&end), Param::Text(&pattern)]);
        }
        let scope = match desa {
            Some(desa) => {
                args.push(desa);
                format!(" AND f.desa_code = ?{}", args.len())
            }
            None => String::new(),
        };
        args.push(Param::Int(SEARCH_LIMIT as i64 + 1));
        let sql = format!(
            "{HIT_COLUMNS} WHERE {condition}{scope} ORDER BY upper(r.name), r.nik LIMIT ?{}",
            args.len()
        );
        self.pool.get()?.read(|db| {
            let mut hits = db
                .query(&sql, &args)?
                .into_iter()
                .map(|mut row| read_hit(&mut row))
                .collect::<Result<Vec<_>, _>>()?;
            let truncated = hits.len() > SEARCH_LIMIT;
            hits.truncate(SEARCH_LIMIT);
            Ok((hits, truncated))
        })
    }

    /// The family `kk` names, in full, or `None`. Its desa is the caller's to check.
    pub fn registry_family(&self, kk: &NoKk) -> Result<Option<FamilyRecord>, StoreError> {
        self.pool.get()?.read(|db| {
            let Some(mut row) = db.query_opt(
                "SELECT kk, desa_code, address, dusun, rw, rt, desil FROM families WHERE kk = ?1",
                params![kk.as_str()],
            )?
            else {
                return Ok(None);
            };
            let desil: Option<i64> = row.get(6)?;
            let mut family = FamilyRecord {
                kk: row.get(0)?,
                desa_code: row.get(1)?,
                address: row.get(2)?,
                dusun: row.get(3)?,
                rw: row.get(4)?,
                rt: row.get(5)?,
                desil: desil.and_then(|d| u8::try_from(d).ok()),
                members: Vec::new(),
                memberships: Vec::new(),
                reports: Vec::new(),
                letters: Vec::new(),
                unmasked: true,
            };
            family.members = db
                .query(
                    &format!(
                        "{HIT_COLUMNS} WHERE r.kk = ?1 ORDER BY
                         CASE r.relation WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 ELSE 2 END,
                         r.birth_date, r.nik"
                    ),
                    params![kk.as_str()],
                )?
                .into_iter()
                .map(|mut row| read_hit(&mut row))
                .collect::<Result<_, _>>()?;
            family.memberships = db
                .query(
                    "SELECT m.program, p.name_id, p.name_en, coalesce(m.nik, m.member_nik),
                            m.component, m.state, m.since, m.ended_reason, m.ended_at
                     FROM memberships m LEFT JOIN programs p ON p.code = m.program
                     WHERE m.kk = ?1 OR m.nik IN (SELECT nik FROM residents WHERE kk = ?1)
                     ORDER BY m.state = 'ended', m.since DESC, m.program",
                    params![kk.as_str()],
                )?
                .into_iter()
                .map(|mut row| {
                    let program: String = row.get(0)?;
                    let (id, en): (Option<String>, Option<String>) = (row.get(1)?, row.get(2)?);
                    Ok(FamilyMembership {
                        program_name: id
                            .zip(en)
                            .map(|(id, en)| Text::new(id, en))
                            .unwrap_or_else(|| Text::new(&program, &program)),
                        program,
                        member_nik: row.get(3)?,
                        component: row.get(4)?,
                        state: row.get(5)?,
                        since: row.get(6)?,
                        ended_reason: row.get(7)?,
                        ended_at: row.get(8)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            family.reports = db
                .query(
                    "SELECT ticket, created_at, subject_nik, reason, state FROM reports
                     WHERE subject_nik IN (SELECT nik FROM residents WHERE kk = ?1)
                     ORDER BY created_at DESC, ticket LIMIT 100",
                    params![kk.as_str()],
                )?
                .into_iter()
                .map(|mut row| {
                    Ok(FamilyReport {
                        ticket: row.get(0)?,
                        filed_at: row.get(1)?,
                        subject_nik: row.get(2)?,
                        reason: row.get(3)?,
                        state: row.get(4)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            family.letters = db
                .query(
                    "SELECT q.ticket, q.created_at, q.applicant_nik, q.letter, q.state, l.number,
                            l.issued_at, l.cancelled_at IS NOT NULL
                     FROM letter_requests q LEFT JOIN letters l ON l.ticket = q.ticket
                     WHERE q.applicant_nik IN (SELECT nik FROM residents WHERE kk = ?1)
                     ORDER BY q.created_at DESC, q.ticket LIMIT 100",
                    params![kk.as_str()],
                )?
                .into_iter()
                .map(|mut row| {
                    Ok(FamilyLetter {
                        ticket: row.get(0)?,
                        filed_at: row.get(1)?,
                        applicant_nik: row.get(2)?,
                        letter: row.get(3)?,
                        state: row.get(4)?,
                        number: row.get(5)?,
                        issued_at: row.get(6)?,
                        cancelled: row.get::<Option<bool>>(7)?.unwrap_or(false),
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(Some(family))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_a_number_or_a_name_prefix() {
        assert!(
            matches!(RegistryQuery::parse(" bud i "), Ok(RegistryQuery::Name(n)) if n == "BUD I")
        );
        assert_eq!(RegistryQuery::parse("bu"), Err(QueryError::ShortName));
        assert_eq!(RegistryQuery::parse("' OR 1=1 --"), Err(QueryError::BadName));
        assert_eq!(RegistryQuery::parse("100%"), Err(QueryError::BadName));
        assert_eq!(RegistryQuery::parse("351009"), Err(QueryError::ShortNumber));
        assert_eq!(RegistryQuery::parse("0000000000000000"), Err(QueryError::BadNumber));
        assert_eq!(RegistryQuery::parse(""), Err(QueryError::Empty));
        assert_eq!(after_prefix("BUD"), "BUE");
    }
}
