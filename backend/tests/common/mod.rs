//! A central service with demo data on loopback, and requests signed as a registered kiosk.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::net::SocketAddr;

use backend::Store;
use backend::demo::{DemoOptions, DemoSummary, generate};
use protocol::auth::KioskKey;

pub mod console;
pub mod process;

pub struct Server {
    pub url: String,
    pub store: Store,
    pub summary: DemoSummary,
    pub key: KioskKey,
}

pub async fn server() -> Server {
    let store = Store::open_temporary().expect("store");
    let summary = generate(&store, &DemoOptions { residents: 4000, seed: 7 }).expect("demo data");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let key = store.register_kiosk("BWI-TEST-07", None, 600).expect("register kiosk");
    tokio::spawn(backend::serve(listener, store.clone()));
    Server { url, store, summary, key }
}

/// A registry opened by path (which, unlike a temporary store, has no key of its own) with
/// a kiosk secrets key file in `dir`, as `backend serve` attaches one.
pub fn with_key_file(store: Store, dir: &std::path::Path) -> Store {
    let source = backend::secrets::KeySource::File(dir.join("secrets.key"));
    store.with_secrets(source, "cli:tester").expect("kiosk secrets key")
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub fn fresh_nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("nonce{:016}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A GET signed as `key` would sign it, with the given clock and nonce.
pub async fn signed_get(
    server: &Server,
    path: &str,
    key: &KioskKey,
    at: i64,
    nonce: &str,
) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    for (name, value) in key.sign("GET", path, at, nonce, b"").pairs() {
        request = request.header(name, value);
    }
    request.send().await.expect("request")
}

/// A correctly signed GET from the test kiosk.
pub async fn get(server: &Server, path: &str) -> reqwest::Response {
    signed_get(server, path, &server.key, now(), &fresh_nonce()).await
}

pub fn example<'a>(summary: &'a DemoSummary, description: &str) -> &'a backend::demo::Example {
    summary
        .examples
        .iter()
        .find(|e| e.description.contains(description))
        .unwrap_or_else(|| panic!("no example {description:?} in {:?}", summary.examples))
}

/// A POST of `body` as JSON, signed by the test kiosk.
pub async fn post(server: &Server, path: &str, body: &serde_json::Value) -> reqwest::Response {
    let bytes = serde_json::to_vec(body).expect("JSON");
    post_raw(server, path, bytes).await
}

/// A POST of raw bytes, signed by the test kiosk (for malformed and oversized bodies).
pub async fn post_raw(server: &Server, path: &str, bytes: Vec<u8>) -> reqwest::Response {
    post_raw_as(server, &server.key, path, bytes).await
}

/// A POST of `body` as JSON signed by `key` (another kiosk than the test kiosk).
pub async fn post_as(
    server: &Server,
    key: &KioskKey,
    path: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    post_raw_as(server, key, path, serde_json::to_vec(body).expect("JSON")).await
}

async fn post_raw_as(
    server: &Server,
    key: &KioskKey,
    path: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/json");
    for (name, value) in key.sign("POST", path, now(), &fresh_nonce(), &bytes).pairs() {
        request = request.header(name, value);
    }
    request.body(bytes).send().await.expect("request")
}

/// Records `nik` with `life_status` (as an import of a death or move would), on the
/// blocking pool.
pub async fn set_life_status(server: &Server, nik: &str, life_status: &str) {
    let (store, sql) = (
        server.store.clone(),
        format!("UPDATE residents SET life_status = '{life_status}' WHERE nik = '{nik}'"),
    );
    let changed = tokio::task::spawn_blocking(move || store.inspect_execute(&sql))
        .await
        .expect("join")
        .expect("update");
    assert_eq!(changed, 1, "{nik} is registered");
}

/// An import's per-row report (CSV) as rows of column -> value.
pub fn report_rows(path: &std::path::Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("report");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("row");
            headers.iter().zip(record.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

/// The desa `nik` is registered in.
pub async fn desa_of(server: &Server, nik: &protocol::Nik) -> u64 {
    let (store, nik) = (server.store.clone(), *nik);
    tokio::task::spawn_blocking(move || store.status(&nik))
        .await
        .expect("join")
        .expect("store")
        .expect("registered")
        .desa_code
}

/// Two kiosks for `nik`: one registered in the desa they live in, one in a neighbouring
/// desa of the same kecamatan. Returns that home desa and the two keys.
pub async fn home_and_away_kiosks(
    server: &Server,
    nik: &protocol::Nik,
    ids: (&'static str, &'static str),
) -> (u64, KioskKey, KioskKey) {
    let home = desa_of(server, nik).await;
    let elsewhere = protocol::region::regions()
        .villages_of((home / 10_000) as u32)
        .iter()
        .map(|village| village.code)
        .find(|&code| code != home)
        .expect("a neighbouring village");
    let store = server.store.clone();
    let (own, other) = tokio::task::spawn_blocking(move || {
        let own = store.register_kiosk(ids.0, Some(home), 60).expect("register");
        let other = store.register_kiosk(ids.1, Some(elsewhere), 60).expect("register");
        (own, other)
    })
    .await
    .expect("join");
    (home, own, other)
}

/// Signs a staff account in at the service at `url`.
pub async fn staff_login(
    url: &str,
    username: &str,
    password: &str,
) -> protocol::staff::LoginResponse {
    reqwest::Client::new()
        .post(format!("{url}/api/v1/staff/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login JSON")
}

/// A loopback port free a moment ago, for a `backend serve` process.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A `backend serve` process, killed when the test ends however it ends.
pub struct Serving(pub std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
