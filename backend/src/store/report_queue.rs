//! The desa staff's side of citizen reports: the queue, one report with its history, and the
//! distribution batches. Everything leaves here masked (NIKs, names), so a list cannot leak
//! what a status lookup at a kiosk would not show either; reading is the caller's to audit.

use std::collections::BTreeMap;

use protocol::api::{NikEntry, ReportReason, ReportState};
use protocol::mask::{mask_digits_in, mask_name};
use protocol::staff::{
    BATCH_LIST_MAX, BatchReport, HeldProgram, QueuedReport, REPORT_PAGE_SIZE, ReportBatch,
    ReportBatches, ReportDetail, ReportFamily, ReportStepRecord,
};
use protocol::ticket::Ticket;
use protocol::{Nik, Text};

use super::conn::Conn;
use super::sql::{Db, Param, Row, params};
use super::{Store, StoreError};

/// Which reports the queue lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    /// `None`: every desa (a kabupaten account).
    pub desa: Option<u64>,
    /// `None`: those waiting for a staff step (verification, verified, scheduled).
    pub state: Option<ReportState>,
    /// From 1.
    pub page: u32,
}

/// The states a report waits in for the staff.
const OPEN_STATES: &str = "('verification', 'verified', 'scheduled')";

/// A report as the queue shows it, with what it asks for and its subject's family.
/// `?1` is the catalogue's program for citizen reports (what an unverified report asks for).
const REPORT_COLUMNS: &str = "SELECT r.ticket, r.created_at, r.desa_code, r.kiosk, r.reason,
        coalesce(r.program, ?1), p.name_id, p.name_en, r.state, r.decision_id, r.decision_en,
        r.about_self, r.reporter_nik, r.nik_entry, r.verified_at, r.scheduled_for,
        r.subject_nik, s.name, s.kk, f.desil,
        (SELECT count(*) FROM residents m WHERE m.kk = s.kk AND m.life_status = 'alive'),
        r.text
    FROM reports r
    LEFT JOIN programs p ON p.code = coalesce(r.program, ?1)
    LEFT JOIN residents s ON s.nik = r.subject_nik
    LEFT JOIN families f ON f.kk = s.kk";

fn state(text: &str) -> Result<ReportState, StoreError> {
    ReportState::parse(text).ok_or_else(|| StoreError::Corrupt(format!("report state {text:?}")))
}

fn bilingual(id: Option<String>, en: Option<String>) -> Option<Text> {
    id.zip(en).map(|(id, en)| Text::new(id, en))
}

/// A program's names, or its code in both languages when the catalogue no longer has it.
fn program_name(code: &str, id: Option<String>, en: Option<String>) -> Text {
    bilingual(id, en).unwrap_or_else(|| Text::new(code, code))
}

fn masked_nik(nik: &str) -> String {
    Nik::parse(nik).map(|nik| nik.masked()).unwrap_or_default()
}

/// A queue row, its subject's KK (to read the family's programs) and the reporter's text.
struct Read {
    report: QueuedReport,
    kk: Option<String>,
    text: String,
}

fn read_report(row: &mut Row) -> Result<Read, StoreError> {
    let program: String = row.get(5)?;
    let state = state(&row.get::<String>(8)?)?;
    let reason: String = row.get(4)?;
    let entry: String = row.get(13)?;
    let subject: String = row.get(16)?;
    let name: Option<String> = row.get(17)?;
    let kk: Option<String> = row.get(18)?;
    let desil: Option<i64> = row.get(19)?;
    let members: i64 = row.get(20)?;
    let family = name.map(|name| ReportFamily {
        name: mask_name(&name),
        desil: desil.and_then(|d| u8::try_from(d).ok()),
        members: u32::try_from(members).unwrap_or(u32::MAX),
        programs: Vec::new(),
    });
    let report = QueuedReport {
        ticket: row.get(0)?,
        filed_at: row.get(1)?,
        desa_code: row.get(2)?,
        kiosk: row.get(3)?,
        subject: masked_nik(&subject),
        reason: serde_json::from_value(serde_json::Value::String(reason))
            .unwrap_or(ReportReason::Other),
        program_name: program_name(&program, row.get(6)?, row.get(7)?),
        program,
        state,
        // Filing either refuses a report at once or passes it to the staff.
        filed_state: if state == ReportState::Rejected {
            ReportState::Rejected
        } else {
            ReportState::Verification
        },
        decision: bilingual(row.get(9)?, row.get(10)?),
        about_self: row.get(11)?,
        reporter: masked_nik(&row.get::<String>(12)?),
        nik_entry: if entry == "card" { NikEntry::Card } else { NikEntry::Keypad },
        verified_at: row.get(14)?,
        scheduled_for: row.get(15)?,
        family,
    };
    Ok(Read { report, kk, text: row.get(21)? })
}

/// The programs a family or any of its members holds, not ended.
fn held_programs(db: &mut Conn, kk: &str) -> Result<Vec<HeldProgram>, StoreError> {
    db.query(
        "SELECT DISTINCT m.program, p.name_id, p.name_en, m.state FROM memberships m
         JOIN programs p ON p.code = m.program
         WHERE m.state <> 'ended'
           AND (m.kk = ?1 OR m.nik IN (SELECT nik FROM residents WHERE kk = ?1))
         ORDER BY m.program, m.state",
        params![kk],
    )?
    .into_iter()
    .map(|mut row| {
        let code: String = row.get(0)?;
        Ok(HeldProgram {
            name: program_name(&code, row.get(1)?, row.get(2)?),
            code,
            state: row.get(3)?,
        })
    })
    .collect()
}

/// Fills in the programs of a report's family.
fn with_programs(db: &mut Conn, read: Read) -> Result<(QueuedReport, String), StoreError> {
    let Read { mut report, kk, text } = read;
    if let (Some(family), Some(kk)) = (report.family.as_mut(), kk) {
        family.programs = held_programs(db, &kk)?;
    }
    Ok((report, text))
}

/// `WHERE` conditions and their parameters, numbered after the `taken` ones before them.
fn conditions(filter: &ReportFilter, taken: usize) -> (String, Vec<Param<'static>>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    if let Some(desa) = filter.desa {
        args.push(Param::Int(i64::try_from(desa).unwrap_or(i64::MAX)));
        clauses.push(format!("r.desa_code = ?{}", taken + args.len()));
    }
    match filter.state {
        Some(state) => {
            args.push(Param::Text(state.as_str()));
            clauses.push(format!("r.state = ?{}", taken + args.len()));
        }
        None => clauses.push(format!("r.state IN {OPEN_STATES}")),
    }
    (clauses.join(" AND "), args)
}

impl Store {
    /// One page of the reports `filter` selects, oldest first, masked, with the total
    /// count. `report_program` is the catalogue's program for citizen reports.
    pub fn reports_waiting(
        &self,
        filter: &ReportFilter,
        report_program: &str,
    ) -> Result<(Vec<QueuedReport>, u64), StoreError> {
        let offset = i64::from(filter.page.max(1) - 1) * i64::from(REPORT_PAGE_SIZE);
        self.pool.get()?.read(|db| {
            let (count_where, count_args) = conditions(filter, 0);
            let total: u64 = db.query_value(
                &format!("SELECT count(*) FROM reports r WHERE {count_where}"),
                &count_args,
            )?;
            let (page_where, page_args) = conditions(filter, 1);
            let mut args = vec![Param::Text(report_program)];
            args.extend(page_args);
            let limit = args.len() + 1;
            args.extend([Param::Int(i64::from(REPORT_PAGE_SIZE)), Param::Int(offset)]);
            let sql = format!(
                "{REPORT_COLUMNS} WHERE {page_where} ORDER BY r.created_at, r.ticket
                 LIMIT ?{limit} OFFSET ?{}",
                limit + 1
            );
            let rows = db.query(&sql, &args)?;
            let reads = rows
                .into_iter()
                .map(|mut row| read_report(&mut row))
                .collect::<Result<Vec<_>, _>>()?;
            let reports = reads
                .into_iter()
                .map(|read| with_programs(db, read).map(|(report, _)| report))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((reports, total))
        })
    }

    /// One report with its family, the reporter's text (digit runs masked) and the history
    /// of its steps: the filing, then each staff step. Its desa is the caller's to check.
    pub fn report_detail(
        &self,
        ticket: &Ticket,
        report_program: &str,
    ) -> Result<Option<ReportDetail>, StoreError> {
        self.pool.get()?.read(|db| {
            let row = db.query_opt(
                &format!("{REPORT_COLUMNS} WHERE r.issuer = ?2 AND r.serial = ?3"),
                params![report_program, ticket.issuer(), ticket.serial()],
            )?;
            let Some(mut row) = row else { return Ok(None) };
            let (report, text) = with_programs(db, read_report(&mut row)?)?;
            let filed = ReportStepRecord {
                at: report.filed_at.clone(),
                actor: format!("kiosk:{}", report.kiosk),
                step: "filed".into(),
                state: report.filed_state,
                reason: (report.filed_state == ReportState::Rejected)
                    .then(|| report.decision.clone())
                    .flatten(),
                batch_date: None,
            };
            let mut steps = vec![filed];
            for mut row in db.query(
                "SELECT at, actor, step, state, reason_id, reason_en, batch_date
                 FROM report_steps WHERE ticket = ?1 ORDER BY id",
                params![report.ticket],
            )? {
                steps.push(ReportStepRecord {
                    at: row.get(0)?,
                    actor: row.get(1)?,
                    step: row.get(2)?,
                    state: state(&row.get::<String>(3)?)?,
                    reason: bilingual(row.get(4)?, row.get(5)?),
                    batch_date: row.get(6)?,
                });
            }
            Ok(Some(ReportDetail {
                report,
                text: mask_digits_in(&text),
                schedule_window: None,
                steps,
            }))
        })
    }

    /// The distribution batches from `from` to `to` (inclusive, `YYYY-MM-DD`) of `desa`
    /// (every desa: `None`): per date the scheduled and delivered reports, masked, by dusun,
    /// RW and RT, at most [`BATCH_LIST_MAX`] in all; the counts are complete.
    pub fn delivery_batches(
        &self,
        desa: Option<u64>,
        from: &str,
        to: &str,
        report_program: &str,
    ) -> Result<ReportBatches, StoreError> {
        let desa = desa.map(|d| Param::Int(i64::try_from(d).unwrap_or(i64::MAX)));
        // The days' reports of the desa, with their parameters numbered from `first`.
        let selected = |first: usize| {
            let scope = match desa {
                Some(_) => format!("AND r.desa_code = ?{}", first + 2),
                None => String::new(),
            };
            let mut args = vec![Param::Text(from), Param::Text(to)];
            args.extend(desa);
            let sql = format!(
                "r.scheduled_for >= ?{first} AND r.scheduled_for <= ?{}
                 AND r.state IN ('scheduled', 'delivered') {scope}",
                first + 1
            );
            (sql, args)
        };
        self.pool.get()?.read(|db| {
            let mut batches = BTreeMap::<String, ReportBatch>::new();
            let (counted, args) = selected(1);
            for mut row in db.query(
                &format!(
                    "SELECT r.scheduled_for, r.state, count(*) FROM reports r WHERE {counted}
                     GROUP BY r.scheduled_for, r.state"
                ),
                &args,
            )? {
                let date: String = row.get(0)?;
                let delivered = state(&row.get::<String>(1)?)? == ReportState::Delivered;
                let count: u32 = row.get(2)?;
                let batch = batches.entry(date.clone()).or_insert_with(|| ReportBatch {
                    date,
                    scheduled: 0,
                    delivered: 0,
                    reports: Vec::new(),
                });
                if delivered {
                    batch.delivered += count;
                } else {
                    batch.scheduled += count;
                }
            }
            let (listed, days) = selected(2);
            let mut args = vec![Param::Text(report_program)];
            args.extend(days);
            let limit = args.len() + 1;
            args.push(Param::Int(i64::from(BATCH_LIST_MAX) + 1));
            let rows = db.query(
                &format!(
                    "SELECT r.scheduled_for, r.ticket, r.desa_code, coalesce(r.program, ?1),
                            p.name_id, p.name_en, r.subject_nik, s.name, f.dusun, f.rw, f.rt,
                            r.state
                     FROM reports r
                     LEFT JOIN programs p ON p.code = coalesce(r.program, ?1)
                     LEFT JOIN residents s ON s.nik = r.subject_nik
                     LEFT JOIN families f ON f.kk = s.kk
                     WHERE {listed}
                     ORDER BY r.scheduled_for, f.dusun, f.rw, f.rt, r.ticket
                     LIMIT ?{limit}"
                ),
                &args,
            )?;
            let truncated = rows.len() > BATCH_LIST_MAX as usize;
            for mut row in rows.into_iter().take(BATCH_LIST_MAX as usize) {
                let date: String = row.get(0)?;
                let program: String = row.get(3)?;
                let name: Option<String> = row.get(7)?;
                let report = BatchReport {
                    ticket: row.get(1)?,
                    desa_code: row.get(2)?,
                    program_name: program_name(&program, row.get(4)?, row.get(5)?),
                    program,
                    nik: masked_nik(&row.get::<String>(6)?),
                    name: name.as_deref().map(mask_name).unwrap_or_default(),
                    dusun: row.get::<Option<String>>(8)?.unwrap_or_default(),
                    rw: row.get::<Option<String>>(9)?.unwrap_or_default(),
                    rt: row.get::<Option<String>>(10)?.unwrap_or_default(),
                    state: state(&row.get::<String>(11)?)?,
                };
                if let Some(batch) = batches.get_mut(&date) {
                    batch.reports.push(report);
                }
            }
            Ok(ReportBatches {
                from: from.to_owned(),
                to: to.to_owned(),
                batches: batches.into_values().collect(),
                truncated,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::TEST_DATABASE_ENV;
    use super::super::conn::{Conn, POSTGRES_MIGRATIONS, sqlite_migrations};
    use super::super::postgres_tls::PgTarget;
    use super::*;

    /// How many steps come before the report queue's (0020), wherever it stands in the list.
    fn before() -> usize {
        let ours = include_str!("../../migrations/postgres/0020_report_batches.sql");
        POSTGRES_MIGRATIONS.iter().position(|sql| *sql == ours).expect("step 0020 is listed")
    }

    /// A registry as the step before 0020 left it, on the database the suite runs on, and what
    /// removes it after.
    fn registry_before_step_twenty() -> (Conn, Box<dyn FnOnce()>) {
        match std::env::var(TEST_DATABASE_ENV).ok().filter(|url| !url.is_empty()) {
            Some(url) => {
                let target = PgTarget::from_url(&url).expect("PostgreSQL URL");
                let schema = format!("anjungan_tmp_{}_step20", std::process::id());
                let mut admin = Conn::open_postgres(&target, None).expect("connect");
                admin
                    .batch(&format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                    ))
                    .expect("schema");
                let mut conn = Conn::open_postgres(&target, Some(&schema)).expect("connect");
                conn.batch(
                    "CREATE TABLE schema_migrations (
                         version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                )
                .expect("versions");
                for (index, sql) in POSTGRES_MIGRATIONS[..before()].iter().enumerate() {
                    conn.batch(sql).expect("an earlier step");
                    conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES (?1)",
                        params![index as i64 + 1],
                    )
                    .expect("version");
                }
                let drop = move || {
                    let _ = admin.batch(&format!("DROP SCHEMA {schema} CASCADE"));
                };
                (conn, Box::new(drop))
            }
            None => {
                let dir = tempfile::tempdir().expect("dir");
                let path = dir.path().join("registry.sqlite3");
                let mut raw = rusqlite::Connection::open(&path).expect("open");
                sqlite_migrations().to_version(&mut raw, before()).expect("earlier steps");
                drop(raw);
                let conn = Conn::open_sqlite(&path).expect("open");
                (conn, Box::new(move || drop(dir)))
            }
        }
    }

    /// An installation upgraded to the report queue keeps its reports' history: each report
    /// takes its subject's desa (none for a subject no longer in the registry), and the steps
    /// staff took before come from their audit entries, a rejection with its reason.
    #[test]
    fn step_twenty_takes_desas_from_the_registry_and_steps_from_the_audit_log() {
        let (mut conn, remove) = registry_before_step_twenty();
        conn.batch(
            "INSERT INTO families (kk, desa_code, address) VALUES
                 ('3510092504150001', 3510092001, 'JL. MAWAR 4');
             INSERT INTO residents (nik, kk, name, sex, birth_date, relation) VALUES
                 ('3510091203850001', '3510092504150001', 'BUDI', 'male', '1985-03-12', 'head');
             INSERT INTO reports (issuer, serial, ticket, kiosk, idempotency_key, reporter_nik,
                     subject_nik, about_self, reason, phone, text, state, decision_id,
                     decision_en, created_at, updated_at, verified_at)
             VALUES (0, 1, 'LP-0000-000001-8', 'BWI-01', 'key-1', '3510091203850001',
                     '3510091203850001', TRUE, 'lost_job', '+6281234567890', '',
                     'rejected_after_verification', 'Sudah pindah.', 'Moved away.',
                     '2026-01-01T08:00:00Z', '2026-01-03T08:00:00Z', '2026-01-02T08:00:00Z'),
                    (0, 2, 'LP-0000-000002-6', 'BWI-01', 'key-2', '3510091203850001',
                     '3510095506880002', FALSE, 'illness', '+6281234567890', '',
                     'verification', NULL, NULL,
                     '2026-01-01T09:00:00Z', '2026-01-01T09:00:00Z', NULL);
             INSERT INTO audit (at, actor, action, subject, outcome) VALUES
                 ('2026-01-01T08:00:00Z', 'kiosk:BWI-01', 'report',
                  'LP-0000-000001-8 3510********0001', 'verification nik_entry=card'),
                 ('2026-01-02T08:00:00Z', 'staff:ani', 'report_verify',
                  'LP-0000-000001-8 3510********0001', 'verified'),
                 ('2026-01-02T09:00:00Z', 'kiosk:BWI-01', 'ticket_lookup',
                  'LP-0000-000001-8', 'found'),
                 ('2026-01-03T08:00:00Z', 'cli:root', 'report_reject',
                  'LP-0000-000001-8 3510********0001', 'rejected_after_verification');",
        )
        .expect("a registry from before step 0020");
        conn.migrate().expect("migrate");

        let desas: Vec<Option<i64>> = conn
            .query("SELECT desa_code FROM reports ORDER BY serial", &[])
            .expect("reports")
            .into_iter()
            .map(|mut row| row.get(0).expect("desa"))
            .collect();
        assert_eq!(desas, [Some(3_510_092_001), None]);
        let steps: Vec<(String, String, String, Option<String>)> = conn
            .query(
                "SELECT ticket, actor, step || ' ' || state, reason_id FROM report_steps ORDER BY id",
                &[],
            )
            .expect("steps")
            .into_iter()
            .map(|mut row| {
                (row.get(0).expect("ticket"), row.get(1).expect("actor"), row.get(2).expect("step"), row.get(3).expect("reason"))
            })
            .collect();
        assert_eq!(
            steps,
            [
                ("LP-0000-000001-8".into(), "staff:ani".into(), "verify verified".into(), None),
                (
                    "LP-0000-000001-8".into(),
                    "cli:root".into(),
                    "reject rejected_after_verification".into(),
                    Some("Sudah pindah.".into())
                ),
            ]
        );
        drop(conn);
        remove();
    }
}
