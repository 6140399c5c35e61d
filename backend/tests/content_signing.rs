//! The service signs what kiosks apply with a key kept outside the database: `backend serve`
//! creates it (0600) in the data directory, `backend signing-key public` prints the line
//! kiosks install, and the configuration a kiosk pulls verifies with exactly that line, for
//! that kiosk and those bytes only. `signing-key new` makes a rotation's next key and never
//! writes over a file; a key file others can read is refused. The served configuration is
//! read from SQLite and, with `ANJUNGAN_TEST_DATABASE` set, from PostgreSQL.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::Store;
use backend::http::RouterOptions;
use common::{Serving, free_port, fresh_nonce, now};
use protocol::auth::KioskKey;
use protocol::fleet::{CONFIG_PATH, KioskConfig};
use protocol::signed::{ContentKind, SIGNATURE_HEADER, TrustedKeys};

const KIOSK: &str = "BWI-3510-0042";

fn backend(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(args)
        .env_remove("ANJUNGAN_DATABASE")
        .env_remove("ANJUNGAN_DATA_DIR")
        .env_remove("ANJUNGAN_SIGNING_KEY")
        .output()
        .expect("run backend")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// A signed pull of `KIOSK`'s configuration: the body's bytes and the signature header.
async fn pull(base: &str, key: &KioskKey) -> (Vec<u8>, Option<String>) {
    let mut request = reqwest::Client::new().get(format!("{base}{CONFIG_PATH}"));
    for (name, value) in key.sign("GET", CONFIG_PATH, now(), &fresh_nonce(), b"").pairs() {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("config");
    assert_eq!(response.status(), 200);
    let signature = response
        .headers()
        .get(SIGNATURE_HEADER)
        .map(|value| value.to_str().expect("ASCII").to_owned());
    (response.bytes().await.expect("body").to_vec(), signature)
}

#[tokio::test]
async fn the_served_configuration_verifies_with_the_printed_public_key() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data_dir = data.to_str().expect("path");
    let key_file = dir.path().join("kiosk.key");
    let added = backend(&[
        "kiosk-add",
        "--data-dir",
        data_dir,
        "--id",
        KIOSK,
        "--key-out",
        key_file.to_str().expect("path"),
    ]);
    stdout(&added);
    let kiosk_key =
        KioskKey::parse(&std::fs::read_to_string(&key_file).expect("key file")).expect("key");

    // The operator prints the line for the kiosks before the first start: the key is made
    // then, private, and the same line comes back every time.
    let line = stdout(&backend(&["signing-key", "public", "--data-dir", data_dir]));
    assert!(line.starts_with("anjungan-ed25519 "), "{line}");
    let signing_key = data.join(backend::signing_key::KEY_FILE);
    assert_eq!(mode(&signing_key), 0o600);
    assert_eq!(stdout(&backend(&["signing-key", "public", "--data-dir", data_dir])), line);
    let trusted = TrustedKeys::parse(&line).expect("the printed line");

    let port = free_port();
    let _server = Serving(
        Command::new(env!("CARGO_BIN_EXE_backend"))
            .args(["serve", "--data-dir", data_dir, "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("ANJUNGAN_DATABASE")
            .env_remove("ANJUNGAN_SIGNING_KEY")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the service did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (body, signature) = pull(&base, &kiosk_key).await;
    let signature = signature.expect("a signature header");
    let kind = ContentKind::KioskConfig;
    let signer = trusted.verify_header(kind, KIOSK, &body, Some(&signature)).expect("verifies");
    assert_eq!(trusted.ids(), [signer]);
    // Only for this kiosk, and only these bytes.
    assert!(trusted.verify_header(kind, "BWI-3510-0043", &body, Some(&signature)).is_err());
    let mut changed = body.clone();
    changed.extend_from_slice(b" ");
    assert!(trusted.verify_header(kind, KIOSK, &changed, Some(&signature)).is_err());
    let config: KioskConfig = serde_json::from_slice(&body).expect("config");
    assert_eq!(config.kiosk_id, KIOSK);
    config.validate(KIOSK).expect("valid, with an issue time");
}

#[tokio::test]
async fn each_pull_is_issued_anew_and_signed_over_what_the_store_holds() {
    let store = Store::open_temporary().expect("store");
    let kiosk_key = store.register_kiosk(KIOSK, Some(3510252005), 60).expect("register");
    let dir = tempfile::tempdir().expect("dir");
    let signer = backend::signing_key::open(&dir.path().join("data"), None).expect("key");
    let trusted = TrustedKeys::new(vec![signer.public_key()]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let options = RouterOptions { signer: Some(Arc::new(signer)), ..RouterOptions::default() };
    tokio::spawn(backend::serve_with_options(
        listener,
        store.clone(),
        options,
        std::future::pending(),
    ));

    let mut seen = Vec::new();
    for _ in 0..2 {
        let (body, signature) = pull(&base, &kiosk_key).await;
        trusted
            .verify_header(ContentKind::KioskConfig, KIOSK, &body, signature.as_deref())
            .expect("verifies");
        seen.push(serde_json::from_slice::<KioskConfig>(&body).expect("config"));
    }
    assert_eq!(seen[0].config_version, seen[1].config_version, "the same content");
    assert!(seen[0].issued_before(&seen[1]), "{} then {}", seen[0].issued_at, seen[1].issued_at);
    let stored = store
        .kiosk_config(KIOSK, &backend::letters::LetterCatalogue::builtin().for_kiosks())
        .expect("read")
        .expect("kiosk");
    assert_eq!(stored.config_version, seen[1].config_version, "the version names the content only");
    assert_eq!(stored.staff_pins, seen[1].staff_pins);
}

#[test]
fn a_rotation_key_is_made_beside_the_old_one_and_key_files_must_be_private() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data_dir = data.to_str().expect("path");
    let current = stdout(&backend(&["signing-key", "public", "--data-dir", data_dir]));
    let next_file = data.join("content-signing.next.key");
    let next_path = next_file.to_str().expect("path");
    let next = stdout(&backend(&["signing-key", "new", "--out", next_path]));
    assert_ne!(next, current, "a new key");
    assert_eq!(mode(&next_file), 0o600);
    let both = TrustedKeys::parse(&format!("{current}{next}")).expect("both lines");
    assert_eq!(both.ids().len(), 2);
    // Its public line again, from the file the service will be pointed at.
    let named =
        backend(&["signing-key", "public", "--data-dir", data_dir, "--signing-key", next_path]);
    assert_eq!(stdout(&named), next);

    // Never over an existing file.
    let again = backend(&["signing-key", "new", "--out", next_path]);
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("sudah ada") && stderr.contains("exists already"), "{stderr}");
    assert_eq!(stdout(&named_again(data_dir, next_path)), next, "the key is unchanged");

    // A key file other local users can read is refused, with the fix.
    std::fs::set_permissions(&next_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = named_again(data_dir, next_path);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains(&format!("chmod 600 {next_path}")), "{stderr}");
}

fn named_again(data_dir: &str, key: &str) -> Output {
    backend(&["signing-key", "public", "--data-dir", data_dir, "--signing-key", key])
}
