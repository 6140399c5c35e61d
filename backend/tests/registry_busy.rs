//! Two kabupaten operators loading files at once, and an operator watching a long load at
//! the command line: the second upload is refused while the first holds the registry, and
//! the CLI draws its progress on a terminal. Real sockets, and the `backend` program under
//! a pseudo-terminal (`script`, from util-linux).

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use backend::Store;
use backend::population::generate::{GenerateOptions, write_opensid_csv};
use protocol::api::{ApiError, ErrorCode};
use protocol::registry::POPULATION_PATH;
use tokio::io::AsyncWriteExt;

const PASSWORD: &str = "kabupaten-2026";

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/population").join(name)
}

#[tokio::test]
async fn a_second_upload_while_one_is_running_is_refused_409_and_audited() {
    let store = Store::open_temporary().expect("store");
    store.set_staff("operator", PASSWORD, None).expect("operator");
    // Its own password chosen: the API serves only such accounts.
    store.change_staff_password("operator", PASSWORD, None).expect("own password");
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
    let address = listener.local_addr().expect("address");
    let url = format!("http://{address}");
    tokio::spawn(backend::serve(listener, store.clone()));
    let client = reqwest::Client::new();
    let login = common::staff_login(&url, "operator", PASSWORD).await;

    // The first upload sends its headers and the start of a large body, then waits.
    let mut first = tokio::net::TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "POST {POPULATION_PATH}?regency=3510 HTTP/1.1\r\nHost: kabupaten\r\n\
         Authorization: Bearer {}\r\nContent-Length: 100000000\r\n\r\nnik,no_kk,nama\r\n",
        login.token
    );
    first.write_all(head.as_bytes()).await.expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let file = std::fs::read(sample("opensid.csv")).expect("sample");
    let upload = || {
        client
            .post(format!("{url}{POPULATION_PATH}?regency=3510"))
            .bearer_auth(&login.token)
            .body(file.clone())
            .send()
    };
    let second = upload().await.expect("post");
    assert_eq!(second.status(), 409);
    let error: ApiError = second.json().await.expect("JSON");
    assert_eq!(error.code, ErrorCode::ImportRunning);
    assert!(error.message.id.contains("Impor lain") && error.message.en.contains("Another import"));
    assert_eq!(store.resident_count().expect("count"), 0);

    // The first gives up: the registry is free again.
    drop(first);
    let mut third = None;
    for _ in 0..50 {
        let answer = upload().await.expect("post");
        if answer.status() != 409 {
            third = Some(answer.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(third.map(|s| s.as_u16()), Some(200));
    assert!(store.resident_count().expect("count") > 0);

    store.flush_audit();
    let audit = store.recent_audit(50).expect("audit");
    assert!(
        audit.iter().any(|e| e.action == "registry_import" && e.outcome == "busy"),
        "the refused upload is audited"
    );
}

#[test]
fn the_cli_draws_its_progress_on_a_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    // Large enough to take a moment, so that the bar is drawn more than once.
    let file = dir.path().join("kabupaten.csv");
    let mut bytes = Vec::new();
    let options = GenerateOptions { residents: 30_000, seed: 5, regency: 3510 };
    write_opensid_csv(&mut bytes, &options).expect("generate");
    std::fs::write(&file, bytes).expect("write");
    let command = format!(
        "{} registry import --data-dir {} --regency 3510 --report {} {}",
        env!("CARGO_BIN_EXE_backend"),
        data.display(),
        dir.path().join("report.csv").display(),
        file.display()
    );
    // `script` runs the command on a pseudo-terminal and copies what it drew.
    let output = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env_remove("ANJUNGAN_DATABASE")
        .env("TERM", "xterm")
        .output()
        .expect("run script (util-linux)");
    let drawn = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{drawn}");
    assert!(
        drawn.contains("membaca dan memeriksa baris / reading and checking rows")
            || drawn.contains("menyimpan ke registri / writing the registry"),
        "no progress bar drawn:\n{drawn}"
    );
    assert!(drawn.contains("accepted"), "the summary follows the bar:\n{drawn}");
}
