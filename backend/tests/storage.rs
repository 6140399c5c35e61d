//! The storage layer itself: the database a temporary store runs on is the one the test run
//! asked for, and what is written survives reopening.

use backend::Store;
use backend::store::{AuditEntry, TEST_DATABASE_ENV};

#[test]
fn temporary_stores_use_the_database_the_run_asks_for() {
    let store = Store::open_temporary().expect("store");
    let expected = match std::env::var(TEST_DATABASE_ENV) {
        Ok(url) if !url.is_empty() => "postgresql",
        _ => "sqlite",
    };
    assert_eq!(store.database_kind(), expected);
}

#[test]
fn audit_entries_come_back_newest_first_with_their_text_intact() {
    let store = Store::open_temporary().expect("store");
    for n in 0..130 {
        store.audit(AuditEntry {
            at: format!("2026-11-23T08:{:02}:{:02}Z", n / 60, n % 60),
            actor: "kiosk:BWI-01".into(),
            action: "status_lookup".into(),
            subject: format!("3510********{n:04}"),
            // Quotes and question marks must reach the database as data, not as SQL.
            outcome: "found ? 'quoted' $1".into(),
        });
    }
    store.flush_audit();
    let recent = store.recent_audit(3).expect("audit");
    let subjects: Vec<&str> = recent.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["3510********0129", "3510********0128", "3510********0127"]);
    assert_eq!(recent[0].outcome, "found ? 'quoted' $1");
}
