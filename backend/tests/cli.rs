//! The `backend` command line against a registry file: the import refuses what the staff API
//! refuses, audits in the same shape, and `report` decides with the `--programs` catalogue.

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backend::Store;
use backend::demo::{DemoOptions, generate};
use common::*;
use protocol::api::{ReportState, TicketStatus};
use serde_json::json;

/// A SQLite registry with demo data in a directory of its own (the CLI opens it by path, so
/// these tests run on SQLite whatever `ANJUNGAN_TEST_DATABASE` says).
struct Registry {
    dir: tempfile::TempDir,
    database: PathBuf,
    store: Store,
    summary: backend::demo::DemoSummary,
}

fn registry() -> Registry {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("registry.sqlite3");
    let store = with_key_file(Store::open(&database).expect("open"), dir.path());
    let summary = generate(&store, &DemoOptions { residents: 400, seed: 7 }).expect("demo data");
    Registry { dir, database, store, summary }
}

/// Runs `backend --database <registry> <args>` as operator `tester`.
fn backend(database: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend"))
        .arg("--database")
        .arg(database)
        .args(args)
        .env("USER", "tester")
        .env_remove("ANJUNGAN_DATABASE")
        .env_remove("ANJUNGAN_DATA_DIR")
        .env_remove("ANJUNGAN_PROGRAMS")
        .output()
        .expect("run backend")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn import_refuses_an_unknown_desa_code_and_audits_like_the_api() {
    let registry = registry();
    let person = example(&registry.summary, "tidak menerima").nik;
    let desa = registry.store.status(&person).expect("status").expect("resident").desa_code;
    let list = registry.dir.path().join("list.csv");
    std::fs::write(&list, format!("nik\n{person}\n")).expect("write list");
    let list = list.to_str().expect("path");
    let report = format!("{list}.report.csv");

    // Before, the CLI imported for any number; now it refuses what the staff API refuses.
    let refused = backend(
        &registry.database,
        &["import", "--program", "BLT_DD", "--desa", "3510252999", list],
    );
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("unknown desa code 3510252999"), "{}", stderr(&refused));
    assert!(!Path::new(&report).exists(), "a refused list leaves no report behind");

    let desa_text = desa.to_string();
    let imported =
        backend(&registry.database, &["import", "--program", "BLT_DD", "--desa", &desa_text, list]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("1 memberships written"));
    assert!(Path::new(&report).exists());
    assert_eq!(registry.store.quota_used("BLT_DD", desa).expect("count"), 1);

    let audit = registry.store.recent_audit(20).expect("audit");
    let entries: Vec<(&str, &str, &str, &str)> = audit
        .iter()
        .filter(|e| e.action.starts_with("import"))
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.subject.as_str(), e.outcome.as_str()))
        .collect();
    let subject = format!("BLT_DD {desa}");
    let outcome = "rows=1 accepted=1 rejected=0 over_quota=0 written=true";
    assert_eq!(entries, [("cli:tester", "import", subject.as_str(), outcome)]);
}

#[tokio::test]
async fn report_verify_decides_with_the_programs_catalogue() {
    let registry = registry();
    let key = registry.store.register_kiosk("BWI-TEST-CLI", None, 600).expect("kiosk");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, registry.store.clone()));
    let server =
        Server { url, store: registry.store.clone(), summary: registry.summary.clone(), key };
    let person = example(&server.summary, "tidak menerima").nik;
    let mut tickets = Vec::new();
    for key in ["key-cli-0001", "key-cli-0002"] {
        let body = json!({
            "reporter_nik": person.as_str(), "subject_nik": person.as_str(),
            "reason": "income_stopped", "phone": "081234567890", "text": "", "idempotency_key": key,
        });
        let response = post(&server, "/api/v1/reports", &body).await;
        assert_eq!(response.status(), 201);
        let filed: TicketStatus = response.json().await.expect("JSON");
        assert_eq!(filed.state, ReportState::Verification, "the shipped catalogue accepts");
        tickets.push(filed.ticket.to_string());
    }

    // A catalogue under which the report program is for women only: the reporter, the head
    // of an uncovered family, is a man.
    let programs = registry.dir.path().join("programs.toml");
    let toml = backend::eligibility::catalogue::DEFAULT_TOML.replace(
        "code = \"GOTONG_ROYONG\"\n",
        "code = \"GOTONG_ROYONG\"\nrequires = [\"female\"]\n",
    );
    std::fs::write(&programs, toml).expect("write catalogue");
    let programs = programs.to_str().expect("path");
    let verified = backend(
        &registry.database,
        &["report", "--ticket", &tickets[0], "--programs", programs, "verify"],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(
        stdout.contains("reason: Ditolak: Banyuwangi Gotong Royong hanya untuk perempuan"),
        "{stdout}"
    );
    let first: TicketStatus =
        get(&server, &format!("/api/v1/tickets/{}", tickets[0])).await.json().await.expect("JSON");
    assert_eq!(first.state, ReportState::RejectedAfterVerification);

    // Without --programs the shipped catalogue decides, as before.
    let shipped = backend(&registry.database, &["report", "--ticket", &tickets[1], "verify"]);
    assert!(shipped.status.success(), "{}", stderr(&shipped));
    let second: TicketStatus =
        get(&server, &format!("/api/v1/tickets/{}", tickets[1])).await.json().await.expect("JSON");
    assert_eq!(second.state, ReportState::Verified);
}
