//! Reading one resident's status: the person, their family, and every membership of both.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::sql::{Db, Dialect, Row, params};
use super::{Store, StoreError};
use crate::population::LifeStatus;
use protocol::api::{MembershipState, Relation};
use protocol::{Nik, Text};

/// A membership as stored, with the program's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub program: String,
    pub program_name: Text,
    /// Set for person-unit memberships.
    pub nik: Option<String>,
    /// Set for household-unit memberships.
    pub kk: Option<String>,
    pub component: Option<String>,
    pub member_nik: Option<String>,
    pub state: MembershipState,
    pub since: String,
    /// Why it ended, when the registry recorded a reason: the holder's life status
    /// (`died`, `moved_away`, ...), written when their death or move ended it.
    pub ended_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub nik: String,
    pub name: String,
    pub relation: Relation,
    pub life_status: LifeStatus,
}

/// Everything the status answer is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    pub name: String,
    pub sex: protocol::Sex,
    pub pregnant: bool,
    pub nursing: bool,
    /// The subject's: only an alive resident takes part in programs, reports and letters.
    pub life_status: LifeStatus,
    pub kk: String,
    pub desa_code: u64,
    /// The family's DTSEN welfare decile (1 poorest .. 10), `None` when not ranked.
    pub desil: Option<u8>,
    /// Every member of the KK, the subject included.
    pub members: Vec<MemberRecord>,
    /// Memberships of the household and of each member.
    pub memberships: Vec<MembershipRecord>,
}

impl Store {
    /// Up to `count` NIKs spread over the registry, chosen by `seed` (for benchmarks): each
    /// is the first NIK at or after a random point between the smallest and the largest.
    pub fn sample_niks(&self, count: usize, seed: u64) -> Result<Vec<Nik>, StoreError> {
        let mut db = self.pool.get()?;
        let mut bounds = db.query_one(
            "SELECT coalesce(min(nik), ''), coalesce(max(nik), '') FROM residents",
            &[],
        )?;
        let (low, high): (String, String) = (bounds.get(0)?, bounds.get(1)?);
        let (Ok(low), Ok(high)) = (low.parse::<u64>(), high.parse::<u64>()) else {
            return Ok(Vec::new());
        };
        let mut state = seed | 1;
        let mut niks = Vec::with_capacity(count);
        for _ in 0..count {
            // xorshift: enough to spread lookups over the whole table.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let start = format!("{:016}", low + state % (high - low + 1));
            let nik: Option<String> = match db.query_opt(
                "SELECT nik FROM residents WHERE nik >= ?1 ORDER BY nik LIMIT 1",
                params![start],
            )? {
                Some(mut row) => row.get(0)?,
                None => None,
            };
            if let Some(nik) = nik.and_then(|n| Nik::parse(&n).ok()) {
                niks.push(nik);
            }
        }
        Ok(niks)
    }

    /// The resident's status, or `None` when the NIK is not in the registry.
    pub fn status(&self, nik: &Nik) -> Result<Option<StatusRecord>, StoreError> {
        self.pool.get()?.read(|db| read_status(db, nik))
    }

    /// [`Store::status`] on the calling thread when that means no waiting: on SQLite, with
    /// a connection free. A read there never waits for the writer (WAL) and is some tens of
    /// microseconds of CPU on pages in memory, less than handing it to a blocking thread
    /// and back costs. `None` when the caller should run [`Store::status`] on a blocking
    /// thread instead: on PostgreSQL (a round trip to the server), or with every connection
    /// on loan.
    pub fn status_without_waiting(
        &self,
        nik: &Nik,
    ) -> Option<Result<Option<StatusRecord>, StoreError>> {
        match self.pool.try_get() {
            Ok(Some(mut db)) if db.dialect() == Dialect::Sqlite => {
                Some(db.read(|db| read_status(db, nik)))
            }
            Ok(_) => None,
            Err(error) => Some(Err(error)),
        }
    }
}

/// Reads a resident's status on `db`, which may be inside a write transaction.
pub(super) fn read_status(db: &mut impl Db, nik: &Nik) -> Result<Option<StatusRecord>, StoreError> {
    Ok(read_statuses(db, std::slice::from_ref(nik))?.remove(nik.as_str()))
}

impl super::WriteTx<'_> {
    /// The statuses of many residents as this transaction sees them, keyed by NIK (absent
    /// when not registered). On PostgreSQL one statement per 512 residents instead of two
    /// per resident, which saves a network round trip for each row of an import.
    pub fn statuses(&mut self, niks: &[Nik]) -> Result<HashMap<String, StatusRecord>, StoreError> {
        read_statuses(self.db, niks)
    }
}

/// SQLite's two statements for one NIK: the family with every member, from the covering
/// index `residents_by_kk_life` (its columns are all a member row reads) in index order
/// without a sort, and every membership of that family (`?1` its KK).
static SINGLE: LazyLock<(String, String)> = LazyLock::new(|| {
    (
        "SELECT r.nik, r.name, r.relation, r.sex, r.pregnant, r.nursing, r.kk, f.desa_code,
                r.life_status, f.desil
         FROM residents r JOIN families f ON f.kk = r.kk
         WHERE r.kk = (SELECT kk FROM residents WHERE nik = ?1)
         ORDER BY r.nik"
            .to_owned(),
        "SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
                m.state, m.since, m.kk,
                m.ended_reason
         FROM memberships m JOIN programs p ON p.code = m.program
         WHERE m.kk = ?1
         UNION ALL
         SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
                m.state, m.since, r.kk,
                m.ended_reason
         FROM residents r
         JOIN memberships m ON m.nik = r.nik
         JOIN programs p ON p.code = m.program
         WHERE r.kk = ?1"
            .to_owned(),
    )
});

/// PostgreSQL's single lookup: the family and every membership in one statement, so a
/// lookup costs one round trip to the server instead of two. Member rows fill columns 0-9,
/// membership rows columns 10-20 (the shapes of [`SINGLE`]); column 21 tells them apart.
/// `claiming`: the statement also claims the request's nonce (see `nonces.rs`) and counts
/// the kiosk's requests of the last minute, in one more row (part -1, columns 22 and 23), so
/// a kiosk's lookup stays one round trip with its replay check.
fn one_trip_sql(claiming: bool) -> String {
    let (with, extra, claim_row) = if claiming {
        (
            "WITH claimed AS (
                 INSERT INTO kiosk_nonces (kiosk, nonce, seen_at, counted)
                 VALUES (?2, ?3, ?4, TRUE)
                 ON CONFLICT (kiosk, nonce) DO NOTHING
                 RETURNING 1),
             subject AS",
            ", NULL::bigint, NULL::bigint",
            "UNION ALL
             SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1,
                    (SELECT count(*) FROM claimed),
                    (SELECT count(*) FROM (SELECT 1 FROM kiosk_nonces
                      WHERE kiosk = ?2 AND counted AND seen_at > ?4 - 60 LIMIT ?5) AS recent)",
        )
    } else {
        ("WITH subject AS", "", "")
    };
    format!(
        "{with} (SELECT kk FROM residents WHERE nik = ?1)
    SELECT r.nik, r.name, r.relation, r.sex, r.pregnant, r.nursing, r.kk, f.desa_code,
           r.life_status, f.desil,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 AS part{extra}
    FROM residents r JOIN families f ON f.kk = r.kk
    WHERE r.kk = (SELECT kk FROM subject)
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
           m.state, m.since, m.kk, m.ended_reason, 1{extra}
    FROM memberships m JOIN programs p ON p.code = m.program
    WHERE m.kk = (SELECT kk FROM subject)
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
           m.state, m.since, r.kk, m.ended_reason, 2{extra}
    FROM residents r
    JOIN memberships m ON m.nik = r.nik
    JOIN programs p ON p.code = m.program
    WHERE r.kk = (SELECT kk FROM subject)
    {claim_row}
    ORDER BY 22, 1"
    )
}

static ONE_TRIP: LazyLock<String> = LazyLock::new(|| one_trip_sql(false));
static ONE_TRIP_CLAIMING: LazyLock<String> = LazyLock::new(|| one_trip_sql(true));

/// Column of [`one_trip_sql`] that says whether a row is a member (0), a membership, or the
/// nonce claim (-1).
const ONE_TRIP_PART: usize = 21;

/// The nonce a kiosk's lookup claims in its own statement (PostgreSQL).
#[derive(Debug, Clone, Copy)]
pub struct NonceClaim<'a> {
    pub kiosk: &'a str,
    pub nonce: &'a str,
    pub seen_at: i64,
}

impl Store {
    /// A kiosk's status lookup on PostgreSQL that claims the request's nonce in the same
    /// statement: one round trip for both. The answer must not be given unless the claim
    /// says first use (and the kiosk's minute allows it).
    pub fn status_claiming(
        &self,
        nik: &Nik,
        claim: NonceClaim<'_>,
    ) -> Result<(super::Claim, Option<StatusRecord>), StoreError> {
        let mut db = self.pool.get()?;
        let (claimed, record) = read_one_trip(&mut *db, nik, Some(claim))?;
        let claimed =
            claimed.ok_or_else(|| StoreError::Corrupt("nonce claim answered no row".into()))?;
        Ok((claimed, record))
    }
}

/// [`one_trip_sql`]: one resident's status in one round trip, with the nonce claim's
/// outcome when `claim` is given.
fn read_one_trip(
    db: &mut impl Db,
    nik: &Nik,
    claim: Option<NonceClaim<'_>>,
) -> Result<(Option<super::Claim>, Option<StatusRecord>), StoreError> {
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut family_of: HashMap<String, String> = HashMap::new();
    let mut memberships = Vec::new();
    let mut claimed = None;
    let rows = match claim {
        Some(claim) => db.query(
            &ONE_TRIP_CLAIMING,
            params![
                nik.as_str(),
                claim.kiosk,
                claim.nonce,
                claim.seen_at,
                super::nonces::MINUTE_COUNT_CAP as i64
            ],
        )?,
        None => db.query(&ONE_TRIP, params![nik.as_str()])?,
    };
    for mut row in rows {
        match row.get::<i64>(ONE_TRIP_PART)? {
            -1 => {
                let (first, last_minute): (i64, i64) = (row.get(22)?, row.get(23)?);
                claimed = Some(super::Claim {
                    first_use: first == 1,
                    last_minute: Some(last_minute.max(0) as u64),
                });
            }
            0 => add_member(&mut row, &mut families, &mut family_of)?,
            _ => memberships.push(membership(&mut row, 10)?.1),
        }
    }
    // One family: every membership row is of the subject's KK.
    if let Some(family) = families.values_mut().next() {
        family.memberships = memberships;
    }
    Ok((claimed, subject_status(nik, &family_of, &families)))
}

/// Files a member row (columns 0-9) under its family.
pub(super) fn add_member(
    row: &mut Row,
    families: &mut HashMap<String, Family>,
    family_of: &mut HashMap<String, String>,
) -> Result<(), StoreError> {
    let (kk, desa_code, desil, person) = person(row, 0)?;
    family_of.insert(person.member.nik.clone(), kk.clone());
    families
        .entry(kk)
        .or_insert_with(|| Family { desa_code, desil, people: Vec::new(), memberships: Vec::new() })
        .people
        .push(person);
    Ok(())
}

/// One member row, with what the subject's own record needs.
pub(super) struct Person {
    member: MemberRecord,
    sex: protocol::Sex,
    pregnant: bool,
    nursing: bool,
}

pub(super) struct Family {
    desa_code: u64,
    desil: Option<u8>,
    people: Vec<Person>,
    pub(super) memberships: Vec<MembershipRecord>,
}

fn read_statuses(
    db: &mut impl Db,
    niks: &[Nik],
) -> Result<HashMap<String, StatusRecord>, StoreError> {
    if let ([nik], Dialect::Postgres) = (niks, db.dialect()) {
        let mut out = HashMap::with_capacity(1);
        if let (_, Some(record)) = read_one_trip(db, nik, None)? {
            out.insert(nik.as_str().to_owned(), record);
        }
        return Ok(out);
    }
    let mut out = HashMap::with_capacity(niks.len());
    // Batches save PostgreSQL's round trips; SQLite has none to save, and there one
    // resident at a time reads the family straight from the index, without sorting.
    if db.dialect() == Dialect::Postgres {
        for chunk in niks.chunks(super::status_batch::READ_BATCH) {
            out.extend(super::status_batch::read_many(db, chunk)?);
        }
        return Ok(out);
    }
    for nik in niks {
        let (families_sql, memberships_sql) = &*SINGLE;
        let mut families: HashMap<String, Family> = HashMap::new();
        let mut family_of: HashMap<String, String> = HashMap::new();
        for mut row in db.query(families_sql, params![nik.as_str()])? {
            add_member(&mut row, &mut families, &mut family_of)?;
        }
        let Some(kk) = family_of.get(nik.as_str()).cloned() else { continue };
        for mut row in db.query(memberships_sql, params![kk])? {
            let (family, record) = membership(&mut row, 0)?;
            if let Some(family) = families.get_mut(&family) {
                family.memberships.push(record);
            }
        }
        if let Some(record) = subject_status(nik, &family_of, &families) {
            out.insert(nik.as_str().to_owned(), record);
        }
    }
    Ok(out)
}

/// The subject's record, built from the family read for it.
pub(super) fn subject_status(
    nik: &Nik,
    family_of: &HashMap<String, String>,
    families: &HashMap<String, Family>,
) -> Option<StatusRecord> {
    let kk = family_of.get(nik.as_str())?;
    let family = families.get(kk)?;
    let subject = family.people.iter().find(|p| p.member.nik == nik.as_str())?;
    Some(StatusRecord {
        name: subject.member.name.clone(),
        sex: subject.sex,
        pregnant: subject.pregnant,
        nursing: subject.nursing,
        life_status: subject.member.life_status,
        kk: kk.clone(),
        desa_code: family.desa_code,
        desil: family.desil,
        members: family.people.iter().map(|p| p.member.clone()).collect(),
        memberships: family.memberships.clone(),
    })
}

/// A member row whose columns start at `at`: nik, name, relation, sex, pregnant, nursing,
/// kk, desa code, life status, desil. Returns the KK, the family's desa and desil too.
fn person(row: &mut Row, at: usize) -> Result<(String, u64, Option<u8>, Person), StoreError> {
    let nik: String = row.get(at)?;
    let name: String = row.get(at + 1)?;
    let relation: String = row.get(at + 2)?;
    let sex: String = row.get(at + 3)?;
    let kk: String = row.get(at + 6)?;
    let desa_code: u64 = row.get(at + 7)?;
    let life: String = row.get(at + 8)?;
    let desil = match row.get::<Option<i64>>(at + 9)? {
        Some(value) => {
            Some(u8::try_from(value).map_err(|_| StoreError::Corrupt(format!("desil {value}")))?)
        }
        None => None,
    };
    let person = Person {
        member: MemberRecord {
            nik,
            name,
            relation: Relation::parse(&relation)
                .ok_or_else(|| StoreError::Corrupt(format!("relation {relation:?}")))?,
            life_status: LifeStatus::from_stored(&life)
                .ok_or_else(|| StoreError::Corrupt(format!("life status {life:?}")))?,
        },
        sex: if sex == "female" { protocol::Sex::Female } else { protocol::Sex::Male },
        pregnant: row.get(at + 4)?,
        nursing: row.get(at + 5)?,
    };
    Ok((kk, desa_code, desil, person))
}

/// A membership row whose columns start at `at`: program, its two names, nik, kk,
/// component, member nik, state, since, the family's KK, the reason it ended. Returns the
/// family's KK with it.
pub(super) fn membership(
    row: &mut Row,
    at: usize,
) -> Result<(String, MembershipRecord), StoreError> {
    let state: String = row.get(at + 7)?;
    let family: String = row.get(at + 9)?;
    let record = MembershipRecord {
        program: row.get(at)?,
        program_name: Text::new(row.get::<String>(at + 1)?, row.get::<String>(at + 2)?),
        nik: row.get(at + 3)?,
        kk: row.get(at + 4)?,
        component: row.get(at + 5)?,
        member_nik: row.get(at + 6)?,
        state: MembershipState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("state {state:?}")))?,
        since: row.get(at + 8)?,
        ended_reason: row.get(at + 10)?,
    };
    Ok((family, record))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup reads every member row from the covering index alone, life status
    /// included, on SQLite (where it answers on the request's own thread).
    #[test]
    fn a_family_is_read_from_the_covering_index() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("plan.sqlite3")).expect("store");
        let mut db = store.pool.get().expect("connection");
        let plan: Vec<String> = db
            .query(&format!("EXPLAIN QUERY PLAN {}", SINGLE.0), params!["3510011203850001"])
            .expect("plan")
            .into_iter()
            .map(|mut row| row.get::<String>(3).expect("detail"))
            .collect();
        assert!(
            plan.iter().any(|step| step.contains("COVERING INDEX residents_by_kk_life")),
            "{plan:#?}"
        );
    }

    /// PostgreSQL's one-round-trip lookup reads exactly what the two statements read, for
    /// every kind of family the demo registry holds (run on both databases).
    #[test]
    fn one_round_trip_reads_what_two_statements_read() {
        let store = Store::open_temporary().expect("store");
        crate::demo::generate(&store, &crate::demo::DemoOptions { residents: 400, seed: 11 })
            .expect("demo registry");
        let niks = store.sample_niks(60, 5).expect("sample");
        assert!(niks.len() > 20, "{}", niks.len());
        let mut db = store.pool.get().expect("connection");
        let sorted = |mut record: StatusRecord| {
            record.memberships.sort_by(|a, b| {
                (&a.program, &a.nik, &a.member_nik).cmp(&(&b.program, &b.nik, &b.member_nik))
            });
            record
        };
        let mut with_programs = 0;
        for nik in &niks {
            let one = read_one_trip(&mut *db, nik, None).expect("one trip").1.expect("registered");
            // Two NIKs take the batched statements on either database.
            let two = read_statuses(&mut *db, &[*nik, *nik])
                .expect("two statements")
                .remove(nik.as_str())
                .expect("registered");
            with_programs += usize::from(!one.memberships.is_empty());
            assert_eq!(sorted(one), sorted(two), "{nik:?}");
        }
        assert!(with_programs > 0, "no sampled family holds a program");
        let unknown = Nik::parse("3510011203850999").expect("valid NIK");
        assert_eq!(read_one_trip(&mut *db, &unknown, None).expect("read").1, None);
    }

    /// On PostgreSQL a kiosk's lookup claims its nonce in the same statement: the same
    /// record as without the claim, the first use only once, and the kiosk's minute counted.
    #[test]
    fn a_claiming_lookup_reads_the_same_and_claims_its_nonce_once() {
        let store = Store::open_temporary().expect("store");
        if !store.nonces_shared() {
            return; // SQLite spools nonces instead; this statement is PostgreSQL's.
        }
        crate::demo::generate(&store, &crate::demo::DemoOptions { residents: 200, seed: 3 })
            .expect("demo registry");
        let nik = store.sample_niks(1, 9).expect("sample")[0];
        let claim = |nonce| NonceClaim { kiosk: "BWI-CLAIM-01", nonce, seen_at: 1_000_000 };
        let (first, record) =
            store.status_claiming(&nik, claim("nonce-aaaaaaaaaaaa")).expect("first");
        assert_eq!(record, store.status(&nik).expect("plain"));
        assert!(first.first_use);
        assert_eq!(first.last_minute, Some(0));
        let (again, _) = store.status_claiming(&nik, claim("nonce-aaaaaaaaaaaa")).expect("again");
        assert!(!again.first_use, "the same nonce twice");
        let (other, _) = store.status_claiming(&nik, claim("nonce-bbbbbbbbbbbb")).expect("other");
        assert!(other.first_use);
        assert_eq!(other.last_minute, Some(1), "the first lookup counts in the kiosk's minute");
    }
}
