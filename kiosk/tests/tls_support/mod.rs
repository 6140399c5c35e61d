//! A kabupaten CA made at test time, for the tests that talk to a central service (real or
//! fake) over TLS as a kiosk on a desa network does, and the kiosk program run with its
//! configuration from the command line only.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A CA as PEM, and a certificate for 127.0.0.1 it signed with its key, as files in `dir`.
pub fn kabupaten_ca(dir: &Path, name: &str) -> (String, PathBuf, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, format!("{name} CA"));
    let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let (cert_path, key_path) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cert_path, cert.pem()).expect("write certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (ca_pem, cert_path, key_path)
}

/// The kiosk program, its configuration from the command line only.
pub fn kiosk(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiosk"));
    for variable in [
        "ANJUNGAN_BACKEND_URL",
        "ANJUNGAN_BACKEND_CA",
        "ANJUNGAN_BACKEND_KEYS",
        "ANJUNGAN_KEY_FILE",
        "ANJUNGAN_KIOSK_DATA",
        "ANJUNGAN_HARDWARE",
    ] {
        command.env_remove(variable);
    }
    command.args(args).output().expect("run kiosk")
}

pub fn refusal(output: &Output) -> String {
    assert!(!output.status.success(), "the kiosk started");
    String::from_utf8_lossy(&output.stderr).into_owned()
}
