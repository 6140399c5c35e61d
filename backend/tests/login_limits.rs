//! Staff sign-in as someone without credentials would attack it: guessing one account's
//! password, flooding from one address, 64 sign-ins at once against a real `backend serve`
//! process; and the limits and lockouts kept in the database, so that a restart forgets
//! none of them. Store tests run on SQLite and, with `ANJUNGAN_TEST_DATABASE`, PostgreSQL.

use crate::common;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backend::Store;
use backend::store::{AlertKind, LimitScope, LoginGate, LoginLimits};
use common::{Serving, free_port};
use serde_json::json;

const PASSWORD: &str = "kata-sandi-desa-2026";

/// Waits, if need be, until a burst of a few seconds fits in the current minute: the
/// limits count per minute, and a burst split across two would be counted twice as low.
async fn start_of_a_minute() {
    let second = time::OffsetDateTime::now_utc().second();
    if second >= 45 {
        tokio::time::sleep(Duration::from_secs(u64::from(61 - second))).await;
    }
}

#[tokio::test]
async fn guessing_one_accounts_password_is_stopped_audited_and_alerted_once() {
    let store = Store::open_temporary().expect("store");
    store.set_staff("sekdes", PASSWORD, Some(3510092001)).expect("account");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}/api/v1/staff/login", listener.local_addr().expect("address"));
    tokio::spawn(backend::serve(listener, store.clone()));
    let client = reqwest::Client::new();
    let attempt = |password: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            client
                .post(&url)
                .json(&json!({"username": "sekdes", "password": password}))
                .send()
                .await
                .expect("request")
        }
    };

    start_of_a_minute().await;
    let limits = LoginLimits::default();
    let mut statuses = Vec::new();
    for _ in 0..limits.per_user + 10 {
        statuses.push(attempt("tebakan-salah").await.status().as_u16());
    }
    let allowed = limits.per_user as usize;
    assert!(statuses[..allowed].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[allowed..].iter().all(|s| *s == 429), "{statuses:?}");
    // The right password too waits out the minute: the guesser cannot tell it apart.
    let right = attempt(PASSWORD).await;
    assert_eq!(right.status(), 429);
    let wait: u64 = right.headers()["retry-after"].to_str().expect("text").parse().expect("s");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let body: protocol::api::ApiError = right.json().await.expect("JSON");
    assert!(body.message.en.starts_with("Too many sign-in attempts."), "{}", body.message.en);
    assert!(body.message.id.starts_with("Terlalu banyak percobaan masuk."), "{}", body.message.id);

    store.flush_audit();
    let audit = store.recent_audit(100).expect("audit");
    let outcomes = |outcome: &str| {
        audit.iter().filter(|e| e.action == "staff_login" && e.outcome == outcome).count()
    };
    assert_eq!(outcomes("refused"), allowed, "each checked guess audited");
    assert_eq!(outcomes("limited_account"), 1, "the limit audited once, not per attempt");
    // The alert is written beside the answer, not before it.
    let started = Instant::now();
    let alert = loop {
        let alerts = store.alerts(false, 10).expect("alerts");
        if let Some(alert) = alerts.into_iter().find(|a| a.kind == AlertKind::LoginLockout) {
            break alert;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no alert raised");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((alert.subject.as_str(), alert.count), ("staff:sekdes", 1));
}

#[test]
fn an_account_locks_after_failures_in_a_row_and_stays_locked_across_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("registry.sqlite3");
    let limits = LoginLimits::default();
    let now = 1_800_000_000;
    {
        let store = Store::open(&path).expect("store");
        store.set_staff("kaur", PASSWORD, None).expect("account");
        for failure in 1..limits.lock_after {
            let minute = now + i64::from(failure) * 60;
            assert_eq!(
                store.admit_login("kaur", "10.0.0.7", minute, &limits).expect("gate"),
                LoginGate::Open
            );
            assert_eq!(store.login_outcome("kaur", false, minute, &limits).expect("outcome"), None);
        }
        // A success ends the run; the failures start again from nothing.
        assert_eq!(store.login_outcome("kaur", true, now, &limits).expect("outcome"), None);
        for failure in 1..limits.lock_after {
            let outcome = store.login_outcome("kaur", false, now + i64::from(failure), &limits);
            assert_eq!(outcome.expect("outcome"), None);
        }
        let locked = store.login_outcome("kaur", false, now + 100, &limits).expect("outcome");
        assert_eq!(locked, Some(now + 100 + limits.lock_seconds));
        // Unknown accounts never lock (and answer as before).
        assert_eq!(store.login_outcome("tidak.ada", false, now, &limits).expect("outcome"), None);
    }
    // A new process on the same database.
    let store = Store::open(&path).expect("reopened");
    let later = now + 200 + 60 * 5;
    let gate = store.admit_login("kaur", "10.0.0.7", later, &limits).expect("gate");
    assert_eq!(gate, LoginGate::Locked { until: now + 100 + limits.lock_seconds });
    let after = now + 100 + limits.lock_seconds + 1;
    assert_eq!(
        store.admit_login("kaur", "10.0.0.7", after, &limits).expect("gate"),
        LoginGate::Open
    );
}

#[test]
fn limits_per_address_and_for_the_service_hold_in_the_database() {
    let store = Store::open_temporary().expect("store");
    let limits = LoginLimits { per_user: 100, per_address: 3, total: 5, ..LoginLimits::default() };
    // The start of a minute (1,800,000,000 is one).
    let now = 1_800_000_000;
    let gate = |user: &str, address: &str| {
        store.admit_login(user, address, now + 5, &limits).expect("gate")
    };
    for user in ["a1", "a2", "a3"] {
        assert_eq!(gate(user, "10.0.0.1"), LoginGate::Open);
    }
    assert_eq!(
        gate("a4", "10.0.0.1"),
        LoginGate::Limited { scope: LimitScope::Address, retry_after: 55, first: true }
    );
    assert!(matches!(gate("a5", "10.0.0.1"), LoginGate::Limited { first: false, .. }));
    // One from elsewhere is the service's sixth this minute: the refused ones count for the
    // service too, for it is the load that is limited.
    assert!(matches!(
        gate("b1", "10.0.0.2"),
        LoginGate::Limited { scope: LimitScope::Service, first: true, .. }
    ));
    // The next minute starts afresh.
    assert_eq!(
        store.admit_login("b1", "10.0.0.2", now + 65, &limits).expect("gate"),
        LoginGate::Open
    );
}

/// A free port on loopback for a server process.
/// The server's peak resident set, from the kernel.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kb: f64 = line.split_whitespace().nth(1).expect("kB").parse().expect("number");
    kb / 1024.0
}

#[tokio::test]
async fn sixty_four_sign_ins_at_once_keep_the_service_under_300_mb() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data_dir = data.to_str().expect("path");
    let mut add = Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["staff-add", "--data-dir", data_dir, "--username", "sekdes"])
        .env_remove("ANJUNGAN_DATABASE")
        .stdin(Stdio::piped())
        .spawn()
        .expect("staff-add");
    add.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes()).expect("pw");
    assert!(add.wait().expect("staff-add").success());

    let port = free_port();
    let server = Serving(
        Command::new(env!("CARGO_BIN_EXE_backend"))
            .args(["serve", "--data-dir", data_dir, "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("ANJUNGAN_DATABASE")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the service did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let attempts = (0..64).map(|i| {
        let (client, url) = (client.clone(), format!("{base}/api/v1/staff/login"));
        // Half guess the real account, half try usernames that do not exist.
        let username = if i % 2 == 0 { "sekdes".to_owned() } else { format!("tamu{i}") };
        tokio::spawn(async move {
            let response = client
                .post(url)
                .json(&json!({"username": username, "password": format!("tebakan-{i}")}))
                .send()
                .await
                .expect("answered");
            response.status().as_u16()
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        statuses.push(attempt.await.expect("task"));
    }
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&429), "the address's limit refused some: {statuses:?}");
    let peak = peak_rss_mb(server.0.id());
    eprintln!("peak RSS of the service after 64 sign-ins at once: {peak:.0} MB");
    assert!(peak < 300.0, "peak RSS {peak:.0} MB");
    // Still serving.
    let health = client.get(format!("{base}/healthz")).send().await.expect("health");
    assert_eq!(health.status(), 200);
}
