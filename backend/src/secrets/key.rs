//! The master key kiosk secrets are sealed under, and the keyring a store opens them with.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::Key;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::SecretsError;

/// A 256-bit master key and its id: the first 8 hex digits of SHA-256 over a label and the
/// key, which names the key in each sealed value without revealing it.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    key: Key,
}

impl std::fmt::Debug for MasterKey {
    /// The id only: a key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> MasterKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        MasterKey::from_bytes(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        let mut digest = Sha256::new();
        digest.update(b"anjungan kiosk secrets key id\0");
        digest.update(bytes);
        let id = hex::encode(&digest.finalize()[..4]);
        MasterKey { id, key: Key::from(bytes) }
    }

    /// Reads a key as written by [`MasterKey::to_text`]: base64 of 32 bytes, surrounding
    /// whitespace ignored. `origin` names where it came from in the error.
    pub fn parse(text: &str, origin: &str) -> Result<MasterKey, SecretsError> {
        let bad = || SecretsError::BadKey { origin: origin.to_owned() };
        let bytes = STANDARD.decode(text.trim()).map_err(|_| bad())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(MasterKey::from_bytes(bytes))
    }

    /// The key as a key file holds it: one line of base64.
    pub fn to_text(&self) -> String {
        format!("{}\n", STANDARD.encode(self.key.as_slice()))
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn key(&self) -> &Key {
        &self.key
    }
}

/// The keys sealed values are opened with: the current one, which also seals, and those
/// kept while a rotation is under way (the key file's `.old`).
#[derive(Debug, Clone)]
pub struct Keyring {
    current: MasterKey,
    older: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey) -> Keyring {
        Keyring { current, older: Vec::new() }
    }

    /// Adds a key that still opens values but no longer seals (the same key twice is kept once).
    pub fn with_older(mut self, older: MasterKey) -> Keyring {
        if self.find(older.id()).is_none() {
            self.older.push(older);
        }
        self
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The key named `id`, if loaded.
    pub fn find(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.current).chain(&self.older).find(|key| key.id == id)
    }

    /// The ids of every loaded key, current first.
    pub fn ids(&self) -> Vec<String> {
        std::iter::once(&self.current).chain(&self.older).map(|key| key.id.clone()).collect()
    }

    /// Whether keys other than the current one are loaded.
    pub fn has_older(&self) -> bool {
        !self.older.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_text_with_the_same_id() {
        let key = MasterKey::generate();
        let again = MasterKey::parse(&key.to_text(), "test").expect("parse");
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().len(), 8);
        assert!(MasterKey::parse("c2hvcnQ=", "test").is_err(), "too short");
        assert!(!format!("{key:?}").contains(key.to_text().trim()));
    }
}
