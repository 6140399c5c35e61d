//! Sealing one kiosk's secret and opening it again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use super::{Keyring, MasterKey, SecretsError};

const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;

/// What a `kiosks.secret` value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    /// 64 hex digits: written before secrets were sealed.
    Plain,
    /// Sealed under the key with this id.
    Sealed { key_id: &'a str },
    /// Neither.
    Malformed,
}

impl<'a> Stored<'a> {
    pub(crate) fn of(value: &'a str) -> Stored<'a> {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Stored::Plain;
        }
        let mut parts = value.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(key_id), Some(_)) if !key_id.is_empty() => {
                Stored::Sealed { key_id }
            }
            _ => Stored::Malformed,
        }
    }
}

/// Binds a sealed value to its kiosk: opened for any other id, it fails.
fn associated_data(kiosk_id: &str) -> Vec<u8> {
    [b"anjungan kiosk secret v1\0".as_slice(), kiosk_id.as_bytes()].concat()
}

/// Seals `secret_hex` for `kiosk_id` under `key`, with a fresh random nonce.
pub(crate) fn seal(key: &MasterKey, kiosk_id: &str, secret_hex: &str) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let aad = associated_data(kiosk_id);
    let sealed = XChaCha20Poly1305::new(key.key())
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret_hex.as_bytes(), aad: &aad })
        // Encryption fails only for messages of gigabytes; a secret is 64 bytes.
        .unwrap_or_default();
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    format!("{VERSION}:{}:{}", key.id(), STANDARD.encode(bytes))
}

/// Opens the value stored for `kiosk_id`. A plain-text value is refused: after start-up
/// none is left, so one found later was written by someone who is not the service.
pub(crate) fn open(keys: &Keyring, kiosk_id: &str, value: &str) -> Result<String, SecretsError> {
    let kiosk = || kiosk_id.to_owned();
    let key_id = match Stored::of(value) {
        Stored::Sealed { key_id } => key_id,
        Stored::Plain => return Err(SecretsError::Plain { kiosk: kiosk() }),
        Stored::Malformed => return Err(SecretsError::Unopenable { kiosk: kiosk() }),
    };
    let key = keys.find(key_id).ok_or_else(|| SecretsError::UnknownKey {
        kiosk: kiosk(),
        key_id: key_id.to_owned(),
        loaded: keys.ids(),
    })?;
    let body = value.rsplit(':').next().unwrap_or_default();
    let bytes = STANDARD.decode(body).map_err(|_| SecretsError::Unopenable { kiosk: kiosk() })?;
    if bytes.len() <= NONCE_LEN {
        return Err(SecretsError::Unopenable { kiosk: kiosk() });
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let aad = associated_data(kiosk_id);
    let plain = XChaCha20Poly1305::new(key.key())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
        .map_err(|_| SecretsError::Unopenable { kiosk: kiosk() })?;
    let secret =
        String::from_utf8(plain).map_err(|_| SecretsError::Unopenable { kiosk: kiosk() })?;
    if Stored::of(&secret) != Stored::Plain {
        return Err(SecretsError::Unopenable { kiosk: kiosk() });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn a_sealed_secret_opens_for_its_kiosk_only_and_under_its_key_only() {
        let key = MasterKey::generate();
        let keys = Keyring::new(key.clone());
        let sealed = seal(&key, "BWI-1", SECRET);
        assert!(!sealed.contains(SECRET));
        assert_eq!(Stored::of(&sealed), Stored::Sealed { key_id: key.id() });
        assert_eq!(open(&keys, "BWI-1", &sealed).expect("open"), SECRET);
        assert!(matches!(open(&keys, "BWI-2", &sealed), Err(SecretsError::Unopenable { .. })));
        let other = Keyring::new(MasterKey::generate());
        assert!(matches!(open(&other, "BWI-1", &sealed), Err(SecretsError::UnknownKey { .. })));
        assert!(matches!(open(&keys, "BWI-1", SECRET), Err(SecretsError::Plain { .. })));
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 3;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).expect("text");
        assert!(matches!(open(&keys, "BWI-1", &flipped), Err(SecretsError::Unopenable { .. })));
        assert_ne!(seal(&key, "BWI-1", SECRET), sealed, "a fresh nonce each time");
    }
}
