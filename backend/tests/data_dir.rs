//! The data directory as another local user of the server would find it: created 0700 with
//! its database 0600, and a directory or database others could read refused at start with
//! the fix, in Indonesian and English. The `backend` program as a real process.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn backend(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(args)
        .env_remove("ANJUNGAN_DATABASE")
        .env_remove("ANJUNGAN_DATA_DIR")
        .output()
        .expect("run backend")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

fn demo_data(data_dir: &Path) -> Output {
    let dir = data_dir.to_str().expect("path");
    backend(&["demo-data", "--data-dir", dir, "--residents", "50"])
}

#[test]
fn a_new_data_directory_and_its_database_are_private() {
    let parent = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data = parent.path().join("lib").join("anjungan");
    let output = demo_data(&data);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(mode(&data), 0o700);
    for entry in std::fs::read_dir(&data).expect("list") {
        let path = entry.expect("entry").path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert!(data.join("anjungan.sqlite3").exists());
}

#[test]
fn a_directory_or_database_others_can_read_is_refused_naming_the_fix() {
    let parent = tempfile::tempdir().expect("dir");
    let data = parent.path().join("data");
    assert!(demo_data(&data).status.success());
    let database = data.join("anjungan.sqlite3");
    let before = std::fs::read(&database).expect("database");

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = demo_data(&data);
    assert!(!output.status.success(), "served from a directory others can read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pengguna lain") && stderr.contains("other users"), "{stderr}");
    assert!(stderr.contains(&format!("chmod 700 {}", data.display())), "{stderr}");

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = demo_data(&data);
    assert!(!output.status.success(), "served a database others can read");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("chmod 600 {}", database.display())), "{stderr}");
    assert_eq!(std::fs::read(&database).expect("database"), before, "nothing was written");

    // A database named by --database is held to the same.
    let file = database.to_str().expect("path");
    let output = backend(&["--database", file, "demo-data", "--residents", "50", "--force"]);
    assert!(!output.status.success(), "served a database others can read");
}
