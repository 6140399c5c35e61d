//! Replay and scale-out, probed as an attacker on the desa network would: a signed lookup
//! captured on the wire and sent again after the service restarted (also after a `kill -9`),
//! and, on PostgreSQL, to a second instance sharing the database; and a kiosk spreading its
//! requests over two instances to get twice its per-minute budget.

use crate::common;

use common::process::{Database, Serving, audited, registry, signed_get};
use common::{fresh_nonce, now};
use protocol::api::status_path;
use protocol::auth::KioskKey;

/// A registry with a few families and one kiosk allowed `per_minute` lookups.
fn prepare(database: &Database, data_dir: &std::path::Path, per_minute: u32) -> (KioskKey, String) {
    let (mut keys, niks) =
        registry(database, data_dir, 11, &[("BWI-REPLAY-01".into(), per_minute)]);
    (keys.remove(0), niks[0].clone())
}

#[tokio::test]
async fn a_lookup_captured_before_a_restart_or_a_crash_does_not_replay_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let database = Database::for_test();
    let (key, nik) = prepare(&database, &data_dir, 60);
    let path = status_path(&nik);
    let client = reqwest::Client::new();
    let (at, nonce) = (now(), fresh_nonce());

    let serving = Serving::start(&data_dir, &database).await;
    let first = signed_get(&client, &serving.base, &path, &key, at, &nonce).await;
    assert_eq!(first.status(), 200, "the kiosk's own lookup is answered");
    let again = signed_get(&client, &serving.base, &path, &key, at, &nonce).await;
    assert_eq!(again.status(), 401, "the same request again is refused");

    // A graceful restart (systemd's stop and start).
    serving.stop();
    let serving = Serving::start(&data_dir, &database).await;
    let replayed = signed_get(&client, &serving.base, &path, &key, at, &nonce).await;
    assert_eq!(replayed.status(), 401, "replayed after a restart");

    // A lookup answered just before a crash.
    let (at, nonce) = (now(), fresh_nonce());
    let answered = signed_get(&client, &serving.base, &path, &key, at, &nonce).await;
    assert_eq!(answered.status(), 200);
    serving.kill_hard();
    let serving = Serving::start(&data_dir, &database).await;
    let replayed = signed_get(&client, &serving.base, &path, &key, at, &nonce).await;
    assert_eq!(replayed.status(), 401, "replayed after kill -9");
    let fresh = signed_get(&client, &serving.base, &path, &key, now(), &fresh_nonce()).await;
    assert_eq!(fresh.status(), 200, "the kiosk itself goes on working");

    // Three lookups were answered, and each is in the audit log once: the starts after the
    // stop and after the kill wrote what the spool held past the database's mark, no more.
    serving.stop();
    let audited = audited(&database.open(&data_dir), "status_lookup");
    assert_eq!(audited, 3);
}

/// A request the service refused (a mistyped NIK, or one past the kiosk's minute) used its
/// nonce all the same: replayed after a crash it is refused as a replay, not answered.
#[tokio::test]
async fn a_refused_lookup_does_not_replay_after_a_crash() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let database = Database::for_test();
    let (key, nik) = prepare(&database, &data_dir, 2);
    let client = reqwest::Client::new();
    let serving = Serving::start(&data_dir, &database).await;

    let invalid = (status_path("3510000000000000x"), now(), fresh_nonce());
    let sent = signed_get(&client, &serving.base, &invalid.0, &key, invalid.1, &invalid.2).await;
    assert_eq!(sent.status(), 400, "a mistyped NIK is refused");
    // The guard's burst (10) is the kiosk's budget at first: nine more are answered.
    for _ in 0..9 {
        let path = status_path(&nik);
        let answered = signed_get(&client, &serving.base, &path, &key, now(), &fresh_nonce()).await;
        assert_eq!(answered.status(), 200);
    }
    let over = (status_path(&nik), now(), fresh_nonce());
    let sent = signed_get(&client, &serving.base, &over.0, &key, over.1, &over.2).await;
    assert_eq!(sent.status(), 429, "the eleventh lookup at once is past the kiosk's budget");

    serving.kill_hard();
    let serving = Serving::start(&data_dir, &database).await;
    for (path, at, nonce) in [&invalid, &over] {
        let replayed = signed_get(&client, &serving.base, path, &key, *at, nonce).await;
        assert_eq!(replayed.status(), 401, "{path} replayed after kill -9");
    }
    serving.stop();
}

#[tokio::test]
async fn a_second_serve_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let database = Database::for_test();
    prepare(&database, &data_dir, 60);
    let _serving = Serving::start(&data_dir, &database).await;
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .arg("serve")
        .arg("--data-dir")
        .arg(&data_dir)
        .args(database.args())
        .args(["--listen", &format!("127.0.0.1:{}", common::process::free_port())])
        .env_remove("ANJUNGAN_DATABASE")
        .output()
        .expect("second serve");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("sudah dilayani proses backend lain"), "{stderr}");
    assert!(stderr.contains("already served by another backend process"), "{stderr}");
}

/// Two instances on one PostgreSQL database, each with its own data directory, as a
/// kabupaten scales out: a request answered by one is refused by the other, and a kiosk
/// gets its per-minute budget once across both, not once per instance.
#[tokio::test]
async fn two_instances_refuse_each_others_replays_and_share_the_minute_budget() {
    let Some(admin) =
        std::env::var(backend::store::TEST_DATABASE_ENV).ok().filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: two instances need PostgreSQL (set ANJUNGAN_TEST_DATABASE)");
        return;
    };
    let database = Database::postgres(&admin);
    let dir = tempfile::tempdir().expect("dir");
    let (first_dir, second_dir) = (dir.path().join("one"), dir.path().join("two"));
    let per_minute = 10;
    let (key, nik) = prepare(&database, &first_dir, per_minute);
    // Instances share the database's master key of kiosk secrets (as a deployment installs
    // the same key file beside each).
    backend::data_dir::prepare_dir(&second_dir).expect("second data dir");
    std::fs::copy(first_dir.join("secrets.key"), second_dir.join("secrets.key")).expect("key");
    let first = Serving::start(&first_dir, &database).await;
    let second = Serving::start(&second_dir, &database).await;
    let client = reqwest::Client::new();
    let path = status_path(&nik);

    let (at, nonce) = (now(), fresh_nonce());
    let answered = signed_get(&client, &first.base, &path, &key, at, &nonce).await;
    assert_eq!(answered.status(), 200);
    let replayed = signed_get(&client, &second.base, &path, &key, at, &nonce).await;
    assert_eq!(replayed.status(), 401, "the second instance knows the first one's nonce");

    // Sixteen more lookups, alternating between the instances: each instance alone would
    // allow ten, together they allow ten in the minute, one of which is spent above.
    let mut answered = 1;
    let mut limited = 0;
    for i in 0..16 {
        let base = if i % 2 == 0 { &first.base } else { &second.base };
        let response = signed_get(&client, base, &path, &key, now(), &fresh_nonce()).await;
        match response.status().as_u16() {
            200 => answered += 1,
            429 => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(answered, per_minute, "one budget across both instances");
    assert_eq!(limited, 17 - per_minute);
}
