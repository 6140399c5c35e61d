//! No answered read goes unaudited: a `kill -9` in the middle of a burst of lookups, and a
//! data directory whose disk fills up (a small tmpfs) while kiosks keep asking.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backend::Store;
use common::process::{Database, Serving, audited, free_port, registry, signed_get};
use common::{fresh_nonce, now};
use protocol::api::status_path;
use protocol::auth::KioskKey;

/// A registry with a few families and `kiosks` kiosks at the highest per-minute rate.
fn prepare(database: &Database, data_dir: &Path, kiosks: usize) -> (Vec<KioskKey>, Vec<String>) {
    let ids: Vec<(String, u32)> = (0..kiosks).map(|i| (format!("BWI-AUDIT-{i:02}"), 120)).collect();
    registry(database, data_dir, 5, &ids)
}

#[tokio::test]
async fn every_lookup_answered_before_a_kill_9_is_in_the_audit_log() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let database = Database::for_test();
    let (keys, niks) = prepare(&database, &data_dir, 40);
    let serving = Serving::start(&data_dir, &database).await;

    let answered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (keys, niks) = (Arc::new(keys), Arc::new(niks));
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (answered, stop, keys, niks) =
                (answered.clone(), stop.clone(), keys.clone(), niks.clone());
            let base = serving.base.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut i = worker;
                while !stop.load(Ordering::Relaxed) {
                    let key = &keys[i % keys.len()];
                    let path = status_path(&niks[i % niks.len()]);
                    i += 16;
                    let mut request = client.get(format!("{base}{path}"));
                    for (name, value) in key.sign("GET", &path, now(), &fresh_nonce(), b"").pairs()
                    {
                        request = request.header(name, value);
                    }
                    match request.send().await {
                        Ok(response) if [200, 404].contains(&response.status().as_u16()) => {
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Kill it mid-burst, while entries are still on their way to the database.
    let started = Instant::now();
    while answered.load(Ordering::SeqCst) < 150 {
        assert!(started.elapsed() < Duration::from_secs(30), "lookups are not answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    serving.kill_hard();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("worker");
    }
    let answered = answered.load(Ordering::SeqCst);

    // The next start writes what the crash left in the spool.
    let serving = Serving::start(&data_dir, &database).await;
    serving.stop();
    let audited = audited(&database.open(&data_dir), "status_lookup");
    eprintln!("kill -9: {answered} lookups answered, {audited} audited");
    assert!(audited >= answered, "{answered} answered but only {audited} audited");
    // No entry is written twice: at most the lookups in flight when it was killed (one per
    // worker) were audited without their answer arriving.
    assert!(audited <= answered + 16, "{audited} audited for {answered} answered");
}

#[tokio::test]
async fn every_report_filed_before_a_kill_9_is_in_the_audit_log() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().join("data");
    let database = Database::for_test();
    let (keys, niks) = prepare(&database, &data_dir, 3);
    let serving = Serving::start(&data_dir, &database).await;
    let client = reqwest::Client::new();
    let mut filed = 0;
    for i in 0..24 {
        let key = &keys[i % keys.len()];
        let nik = &niks[i % niks.len()];
        let body = serde_json::to_vec(&serde_json::json!({
            "reporter_nik": nik,
            "subject_nik": nik,
            "reason": "lost_job",
            "phone": "0812-3456-7890",
            "text": "Terkena PHK.",
            "idempotency_key": format!("kill-nine-{i:04}"),
        }))
        .expect("JSON");
        let path = protocol::api::REPORTS_PATH;
        let mut request = client
            .post(format!("{}{path}", serving.base))
            .header("content-type", "application/json");
        for (name, value) in key.sign("POST", path, now(), &fresh_nonce(), &body).pairs() {
            request = request.header(name, value);
        }
        let status = request.body(body).send().await.expect("answered").status();
        // 422: the engine refuses a report about that resident (died, already a recipient).
        assert!([201, 422, 429].contains(&status.as_u16()), "{status}");
        if status == 201 {
            filed += 1;
        }
    }
    // Killed right after the last answer: an entry queued for a later batch would be lost.
    serving.kill_hard();
    let store = database.open(&data_dir);
    let audited = audited(&store, "report");
    eprintln!("kill -9: {filed} reports filed, {audited} audited");
    assert!(filed >= 8, "most reports are filed: {filed}");
    assert_eq!(store.report_count().expect("count"), filed as u64);
    assert_eq!(audited, filed, "each filed report is audited with it");
}

/// Whether this machine lets the test mount a tmpfs in a mount namespace of its own.
fn can_mount_tmpfs() -> bool {
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs none /mnt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The service on a small tmpfs of its own, driven through marker files: the test asks for
/// the disk to be filled, freed, and the service stopped; the data directory is copied out at
/// the end.
const ON_TMPFS: &str = r#"
set -e
mount -t tmpfs -o size=16m tmpfs "$MNT"
mkdir -m 700 "$MNT/data"
cp -a "$SEED"/. "$MNT/data/"
"$BACKEND" serve --data-dir "$MNT/data" --listen "127.0.0.1:$PORT" $DATABASE_ARGS &
pid=$!
wait_for() { while [ ! -e "$CTL/$1" ]; do sleep 0.05; done; }
wait_for fill
dd if=/dev/zero of="$MNT/filler" bs=4096 2>/dev/null || true
touch "$CTL/filled"
wait_for free
rm -f "$MNT/filler"
touch "$CTL/freed"
wait_for stop
kill -TERM $pid
wait $pid || true
cp -a "$MNT/data/." "$OUT/"
touch "$CTL/stopped"
"#;

async fn marker(ctl: &Path, ask: &str, answer: &str) {
    std::fs::write(ctl.join(ask), b"").expect("marker");
    let started = Instant::now();
    while !ctl.join(answer).exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no {answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn on_a_full_disk_lookups_are_refused_not_answered_unaudited() {
    if !can_mount_tmpfs() {
        eprintln!("skipped: this machine does not allow a tmpfs in a user namespace (unshare)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (seed, mnt, ctl, out) = (
        dir.path().join("seed"),
        dir.path().join("mnt"),
        dir.path().join("ctl"),
        dir.path().join("out"),
    );
    for path in [&mnt, &ctl, &out] {
        std::fs::create_dir(path).expect("dir");
    }
    let database = Database::for_test();
    let (keys, niks) = prepare(&database, &seed, 30);
    let port = free_port();
    let child = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "bash", "-c", ON_TMPFS])
        .env("MNT", &mnt)
        .env("SEED", &seed)
        .env("CTL", &ctl)
        .env("OUT", &out)
        .env("PORT", port.to_string())
        .env("BACKEND", env!("CARGO_BIN_EXE_backend"))
        .env("DATABASE_ARGS", database.args().join(" "))
        .env_remove("ANJUNGAN_DATABASE")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unshare");
    let serving = Serving::wait_for(child, port, &mnt).await;
    let client = reqwest::Client::new();
    let mut kiosk = 0;
    let mut lookup = |count: usize| {
        let requests: Vec<_> = (0..count)
            .map(|_| {
                kiosk += 1;
                (keys[kiosk % keys.len()].clone(), status_path(&niks[kiosk % niks.len()]))
            })
            .collect();
        let (client, base) = (client.clone(), serving.base.clone());
        async move {
            let mut statuses = Vec::new();
            for (key, path) in requests {
                let response = signed_get(&client, &base, &path, &key, now(), &fresh_nonce()).await;
                statuses.push(response.status().as_u16());
            }
            statuses
        }
    };

    let before = lookup(5).await;
    assert!(before.iter().all(|s| *s == 200), "{before:?}");
    marker(&ctl, "fill", "filled").await;
    let full = lookup(60).await;
    eprintln!("on a full disk: {full:?}");
    assert!(full.iter().all(|s| [200, 503].contains(s)), "{full:?}");
    assert!(
        full[full.len() - 20..].iter().all(|s| *s == 503),
        "refused once the disk is full: {full:?}"
    );
    marker(&ctl, "free", "freed").await;
    let after = lookup(5).await;
    assert!(after.iter().all(|s| *s == 200), "serves again once space is free: {after:?}");
    marker(&ctl, "stop", "stopped").await;
    drop(serving);

    let answered =
        [&before, &full, &after].iter().flat_map(|s| s.iter()).filter(|s| **s == 200).count();
    let audited = match &database {
        Database::Sqlite => {
            audited(&Store::open(&out.join("anjungan.sqlite3")).expect("copy"), "status_lookup")
        }
        Database::Postgres { .. } => audited(&database.open(&seed), "status_lookup"),
    };
    eprintln!("full disk: {answered} lookups answered, {audited} audited");
    assert_eq!(audited, answered, "every answered lookup, and only those, is audited");
}
