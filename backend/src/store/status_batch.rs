//! Many kiosks' status lookups in one PostgreSQL statement, each claiming its nonce.
//!
//! On PostgreSQL most of a lookup's cost is the server setting up the plan's thirty-odd
//! nodes, whatever the number of residents it reads, and one round trip per lookup wakes
//! a connection thread on each side. Lookups that arrive while others are in flight are
//! therefore sent together (see `http::lookup_batch`): still at most one round trip per
//! lookup, and a lookup that arrives alone goes alone, so nothing waits to fill a batch.
//!
//! The values travel as comma-separated lists (`string_to_array`) because the store's
//! parameters are scalars; every value is checked to hold no comma first (a NIK is digits,
//! a nonce alphanumeric, a kiosk id was registered).

use std::collections::HashMap;
use std::sync::LazyLock;

use protocol::Nik;

use super::nonces::{Claim, MINUTE_COUNT_CAP};
use super::sql::{Db, Dialect, params};
use super::status::{Family, StatusRecord, add_member, membership, subject_status};
use super::{Store, StoreError};

/// Lookups sent in one statement at most.
pub const MAX_BATCH: usize = 64;

/// One kiosk lookup of a batch.
#[derive(Debug, Clone)]
pub struct BatchedLookup {
    pub nik: Nik,
    pub kiosk: String,
    pub nonce: String,
    pub seen_at: i64,
}

/// Column that says what a row is: a member (0), a membership (1, 2), a lookup's claim
/// (-1: column 22 its position in the batch, 23 whether its nonce was new) or a kiosk's
/// requests of the last minute (-2: column 0 the kiosk, 22 the count).
const PART: usize = 21;

/// The families of the NIKs of CTE `input` (a column `nik`), with every membership of
/// each family and of each member, as rows of the shape [`PART`] describes; `claims`,
/// when given, are more CTEs and rows appended (the claiming batch's).
///
/// Each family and membership is reached through a `LATERAL (... OFFSET 0)` subquery keyed
/// by one KK or NIK, so that the plan is an index probe per key whatever the table
/// statistics say. Joined the ordinary way, a plan cached while `memberships` looked small
/// (autovacuum after a rolled-back dry-run import estimated 419 rows for 22,964) scanned
/// the whole table per batch: imports fell from 6,300 to 1,000 rows/s.
fn families_sql(input: &str, claim_ctes: &str, claim_rows: &str) -> String {
    format!(
        "WITH input AS ({input}),{claim_ctes}
     subject AS (
         SELECT DISTINCT s.kk FROM input i,
             LATERAL (SELECT r.kk FROM residents r WHERE r.nik = i.nik OFFSET 0) AS s)
    SELECT x.nik, x.name, x.relation, x.sex, x.pregnant, x.nursing, x.kk, x.desa_code,
           x.life_status, x.desil,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 AS part,
           NULL::bigint, NULL::bigint
    FROM subject s, LATERAL (
        SELECT r.nik, r.name, r.relation, r.sex, r.pregnant, r.nursing, r.kk, f.desa_code,
               r.life_status, f.desil
        FROM residents r JOIN families f ON f.kk = r.kk
        WHERE r.kk = s.kk OFFSET 0) AS x
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           x.program, x.name_id, x.name_en, x.nik, x.kk, x.component, x.member_nik,
           x.state, x.since, x.kk, x.ended_reason, 1, NULL::bigint, NULL::bigint
    FROM subject s, LATERAL (
        SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
               m.state, m.since, m.ended_reason
        FROM memberships m JOIN programs p ON p.code = m.program
        WHERE m.kk = s.kk OFFSET 0) AS x
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           x.program, x.name_id, x.name_en, x.nik, x.kk, x.component, x.member_nik,
           x.state, x.since, s.kk, x.ended_reason, 2, NULL::bigint, NULL::bigint
    FROM subject s,
         LATERAL (SELECT r.nik FROM residents r WHERE r.kk = s.kk OFFSET 0) AS member,
         LATERAL (
             SELECT m.program, p.name_id, p.name_en, m.nik, m.kk, m.component, m.member_nik,
                    m.state, m.since, m.ended_reason
             FROM memberships m JOIN programs p ON p.code = m.program
             WHERE m.nik = member.nik OFFSET 0) AS x
    {claim_rows}
    ORDER BY 22, 1"
    )
}

/// The claiming batch: the input lists unnested with their positions; every nonce inserted
/// at once; the families; one claim row per lookup; one minute count per kiosk (its
/// requests before the batch's earliest, as the claim rows of one statement do not see
/// each other's inserts). The count is ordered so that it can walk the `(kiosk, seen_at)`
/// index from the kiosk's newest.
static CLAIMING_SQL: LazyLock<String> = LazyLock::new(|| {
    families_sql(
        "SELECT t.i, t.nik, t.kiosk, t.nonce, t.seen_at::bigint AS seen_at
         FROM unnest(string_to_array(?1, ','), string_to_array(?2, ','),
                     string_to_array(?3, ','), string_to_array(?4, ','))
              WITH ORDINALITY AS t(nik, kiosk, nonce, seen_at, i)",
        "
     claimed AS (
         INSERT INTO kiosk_nonces (kiosk, nonce, seen_at, counted)
         SELECT kiosk, nonce, seen_at, TRUE FROM input
         ON CONFLICT (kiosk, nonce) DO NOTHING
         RETURNING kiosk, nonce),",
        "UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1,
           i.i, (SELECT count(*) FROM claimed c
                 WHERE c.kiosk = i.kiosk AND c.nonce = i.nonce)
    FROM input i
    UNION ALL
    SELECT k.kiosk, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -2,
           (SELECT count(*) FROM (SELECT 1 FROM kiosk_nonces n
             WHERE n.kiosk = k.kiosk AND n.counted AND n.seen_at > k.since - 60
             ORDER BY n.kiosk DESC, n.seen_at DESC LIMIT ?5) AS recent), NULL::bigint
    FROM (SELECT kiosk, min(seen_at) AS since FROM input GROUP BY kiosk) AS k",
    )
});

/// Many residents' families for an import (no claims): one statement per batch.
static READING_SQL: LazyLock<String> =
    LazyLock::new(|| families_sql("SELECT unnest(string_to_array(?1, ',')) AS nik", "", ""));

/// Residents read per statement by [`read_many`].
pub(super) const READ_BATCH: usize = 512;

/// The statuses of `niks` (at most [`READ_BATCH`], digits only) on PostgreSQL, in one
/// statement, keyed by NIK (absent when not registered).
pub(super) fn read_many(
    db: &mut impl Db,
    niks: &[Nik],
) -> Result<HashMap<String, StatusRecord>, StoreError> {
    let list = niks.iter().map(Nik::as_str).collect::<Vec<_>>().join(",");
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut family_of: HashMap<String, String> = HashMap::new();
    for mut row in db.query(&READING_SQL, params![list])? {
        let part = row.get::<i64>(PART)?;
        file_row(part, &mut row, &mut families, &mut family_of)?;
    }
    Ok(niks
        .iter()
        .filter_map(|nik| {
            subject_status(nik, &family_of, &families).map(|r| (nik.as_str().to_owned(), r))
        })
        .collect())
}

/// Files a member (`part` 0) or membership row under its family.
fn file_row(
    part: i64,
    row: &mut super::sql::Row,
    families: &mut HashMap<String, Family>,
    family_of: &mut HashMap<String, String>,
) -> Result<(), StoreError> {
    if part == 0 {
        return add_member(row, families, family_of);
    }
    let (family, record) = membership(row, 10)?;
    if let Some(family) = families.get_mut(&family) {
        family.memberships.push(record);
    }
    Ok(())
}

/// A batch's answers, one per lookup in the order given.
pub type BatchAnswers = Vec<(Claim, Option<StatusRecord>)>;

impl Store {
    /// Runs `lookups` (at most [`MAX_BATCH`]) in one statement on PostgreSQL, each claiming
    /// its nonce as [`Store::status_claiming`] does. A nonce given twice in one batch is a
    /// replay for every use but the first. Values that cannot travel in the lists (a comma)
    /// are looked up one by one instead.
    pub fn statuses_claiming(&self, lookups: &[BatchedLookup]) -> Result<BatchAnswers, StoreError> {
        if self.dialect != Dialect::Postgres {
            return Err(StoreError::Corrupt("batched claiming lookups are PostgreSQL's".into()));
        }
        let listable = |text: &str| !text.is_empty() && !text.contains(',');
        if lookups.len() > MAX_BATCH
            || !lookups.iter().all(|l| listable(&l.kiosk) && listable(&l.nonce))
        {
            return lookups
                .iter()
                .map(|l| {
                    let claim =
                        super::NonceClaim { kiosk: &l.kiosk, nonce: &l.nonce, seen_at: l.seen_at };
                    self.status_claiming(&l.nik, claim)
                })
                .collect();
        }
        let join = |values: &mut dyn Iterator<Item = String>| values.collect::<Vec<_>>().join(",");
        let niks = join(&mut lookups.iter().map(|l| l.nik.as_str().to_owned()));
        let kiosks = join(&mut lookups.iter().map(|l| l.kiosk.clone()));
        let nonces = join(&mut lookups.iter().map(|l| l.nonce.clone()));
        let seen = join(&mut lookups.iter().map(|l| l.seen_at.to_string()));
        let rows = self
            .pool
            .get()?
            .query(&CLAIMING_SQL, params![niks, kiosks, nonces, seen, MINUTE_COUNT_CAP as i64])?;

        let mut families: HashMap<String, Family> = HashMap::new();
        let mut family_of: HashMap<String, String> = HashMap::new();
        let mut new_nonce = vec![None; lookups.len()];
        let mut minute: HashMap<String, u64> = HashMap::new();
        for mut row in rows {
            match row.get::<i64>(PART)? {
                -2 => {
                    let (kiosk, count): (String, i64) = (row.get(0)?, row.get(22)?);
                    minute.insert(kiosk, count.max(0) as u64);
                }
                -1 => {
                    let (position, new): (i64, i64) = (row.get(22)?, row.get(23)?);
                    let slot = usize::try_from(position - 1)
                        .ok()
                        .and_then(|index| new_nonce.get_mut(index))
                        .ok_or_else(|| StoreError::Corrupt(format!("batch position {position}")))?;
                    *slot = Some(new == 1);
                }
                part => file_row(part, &mut row, &mut families, &mut family_of)?,
            }
        }

        // Within the batch: the second use of a nonce is a replay, and each kiosk's earlier
        // lookups count in its minute.
        let mut seen_here: HashMap<(&str, &str), ()> = HashMap::new();
        let mut earlier: HashMap<&str, u64> = HashMap::new();
        lookups
            .iter()
            .zip(new_nonce)
            .map(|(lookup, new)| {
                let new = new.ok_or_else(|| StoreError::Corrupt("a lookup's claim row".into()))?;
                let first_here =
                    seen_here.insert((lookup.kiosk.as_str(), lookup.nonce.as_str()), ()).is_none();
                let before = earlier.entry(lookup.kiosk.as_str()).or_insert(0);
                let last_minute = minute.get(&lookup.kiosk).copied().unwrap_or(0) + *before;
                *before += 1;
                let claim = Claim { first_use: new && first_here, last_minute: Some(last_minute) };
                Ok((claim, subject_status(&lookup.nik, &family_of, &families)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(nik: Nik, kiosk: &str, nonce: &str) -> BatchedLookup {
        BatchedLookup { nik, kiosk: kiosk.into(), nonce: nonce.into(), seen_at: 1_000_000 }
    }

    /// A batch answers each lookup exactly as a lookup of its own would, claims each nonce
    /// once (a nonce repeated inside the batch or used before is refused) and counts each
    /// kiosk's minute across the batch.
    #[test]
    fn a_batch_answers_each_lookup_as_alone_and_claims_each_nonce_once() {
        let store = Store::open_temporary().expect("store");
        if !store.nonces_shared() {
            return; // SQLite answers lookups on the request's thread, one at a time.
        }
        crate::demo::generate(&store, &crate::demo::DemoOptions { residents: 300, seed: 17 })
            .expect("demo registry");
        let niks = store.sample_niks(12, 4).expect("sample");
        assert!(niks.len() >= 10);
        let unknown = Nik::parse("3510011203850999").expect("valid NIK");
        let mut batch: Vec<BatchedLookup> = niks
            .iter()
            .enumerate()
            .map(|(i, nik)| {
                lookup(*nik, if i % 2 == 0 { "BWI-A-01" } else { "BWI-B-01" }, &format!("n{i:015}"))
            })
            .collect();
        batch.push(lookup(unknown, "BWI-A-01", "unknownnonce0001"));
        // Used before the batch, and repeated inside it.
        let used = super::super::NonceClaim {
            kiosk: "BWI-B-01",
            nonce: "usedbefore000001",
            seen_at: 999_990,
        };
        store.status_claiming(&niks[0], used).expect("earlier lookup");
        batch.push(lookup(niks[1], "BWI-B-01", "usedbefore000001"));
        batch.push(lookup(niks[2], "BWI-A-01", "n000000000000000"));
        let answers = store.statuses_claiming(&batch).expect("batch");
        assert_eq!(answers.len(), batch.len());
        for (lookup, (claim, record)) in batch.iter().zip(&answers).take(niks.len() + 1) {
            let alone = store.status(&lookup.nik).expect("alone");
            assert_eq!(record.as_ref().map(sorted), alone.map(|r| sorted(&r)), "{:?}", lookup.nik);
            assert!(claim.first_use, "{}", lookup.nonce);
        }
        assert!(answers[niks.len()].1.is_none(), "an unknown NIK is not found");
        let n = answers.len();
        assert!(!answers[n - 2].0.first_use, "a nonce used before the batch");
        assert!(!answers[n - 1].0.first_use, "a nonce repeated inside the batch");
        // Kiosk A's lookups are the even ones: the 3rd of them has two before it.
        assert_eq!(answers[4].0.last_minute, Some(2));
        // Kiosk B had one counted lookup before the batch.
        assert_eq!(answers[1].0.last_minute, Some(1));
        assert_eq!(answers[3].0.last_minute, Some(2));
    }

    fn sorted(record: &StatusRecord) -> StatusRecord {
        let mut record = record.clone();
        record.memberships.sort_by(|a, b| {
            (&a.program, &a.nik, &a.member_nik).cmp(&(&b.program, &b.nik, &b.member_nik))
        });
        record
    }
}
