//! Content the central service pushes to kiosks, signed with its Ed25519 key, so that a box
//! in the middle (a compromised proxy, a CA that issued one certificate too many) cannot
//! push its own configuration, and with it its own staff PIN.
//!
//! What is signed is the exact body bytes, never a re-encoding of them, behind a domain
//! label, the kind of content and the kiosk it is meant for:
//!
//! ```text
//! "anjungan-content-v1" || len(kind) || kind || len(audience) || audience || body
//! ```
//!
//! (lengths as 4-byte big-endian), so a configuration signed for kiosk A does not verify on
//! kiosk B, and a configuration cannot be taken for another kind of content that later
//! travels the same way.
//!
//! Keys rotate: every signature names the key that made it by a short id (the first 8 bytes
//! of the SHA-256 of the public key), and a kiosk trusts a small set of public keys, one per
//! line of a file ([`TrustedKeys::parse`]); during a rotation the old and the new key are
//! both in it.
//!
//! ```
//! use protocol::signed::{ContentKind, SigningKey, TrustedKeys};
//! let key = SigningKey::from_seed([7; 32]);
//! let trusted = TrustedKeys::parse(&key.public_key().line()).unwrap();
//! let signature = key.sign(ContentKind::KioskConfig, "BWI-1", b"{}");
//! assert!(trusted.verify(ContentKind::KioskConfig, "BWI-1", b"{}", &signature).is_ok());
//! assert!(trusted.verify(ContentKind::KioskConfig, "BWI-2", b"{}", &signature).is_err());
//! ```

use std::fmt;

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Response header carrying the [`ContentSignature`] of the body, as
/// [`ContentSignature::header_value`] writes it.
pub const SIGNATURE_HEADER: &str = "anjungan-content-signature";

/// Domain label in front of every signed message: no other Ed25519 signature, made for
/// another purpose with the same key, can be replayed as one of these.
const DOMAIN: &[u8] = b"anjungan-content-v1";

/// First word of a public key line.
const PUBLIC_TAG: &str = "anjungan-ed25519";
/// First word of a signing key file.
const SECRET_TAG: &str = "anjungan-ed25519-secret";
/// First word of a signature header.
const SIGNATURE_TAG: &str = "ed25519";

/// What is signed. Each kind is its own name in the signed message, so content of one kind
/// never verifies as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// `GET /api/v1/kiosk/config` ([`crate::fleet::KioskConfig`]).
    KioskConfig,
    /// An issued letter's seal, signed by its desa's key ([`crate::letter::seal`]).
    Letter,
    /// A status slip's seal, signed by the kiosk's desa's key.
    StatusSlip,
}

impl ContentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::KioskConfig => "kiosk-config",
            ContentKind::Letter => "letter",
            ContentKind::StatusSlip => "status-slip",
        }
    }
}

/// Why a key, a key file or a signature cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("no public key in the file")]
    NoKeys,
    #[error("not a signing key file ({0})")]
    Secret(&'static str),
    #[error("signature header unreadable ({0})")]
    Header(&'static str),
}

/// Why signed content is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The service sent no signature at all.
    #[error("content is not signed")]
    Missing,
    #[error(transparent)]
    Unreadable(#[from] KeyError),
    /// Signed by a key this kiosk does not trust (a box in the middle, or a rotation whose
    /// new key has not been installed yet).
    #[error("signed by key {0}, which is not trusted")]
    UnknownKey(KeyId),
    /// A trusted key's id, but the signature does not match: the body was changed, or it was
    /// signed for another kiosk or another kind of content.
    #[error("signature of key {0} does not match the content")]
    Mismatch(KeyId),
}

/// The short name of a public key: the first 8 bytes of its SHA-256, 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 8]);

impl KeyId {
    fn of(key: &ed25519_dalek::VerifyingKey) -> KeyId {
        let digest = Sha256::digest(key.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    fn parse(text: &str) -> Option<KeyId> {
        let mut id = [0u8; 8];
        hex::decode_to_slice(text, &mut id).ok()?;
        Some(KeyId(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The signed message: domain, kind and audience length-prefixed, then the body as it is.
fn message(kind: ContentKind, audience: &str, body: &[u8]) -> Vec<u8> {
    let kind = kind.as_str().as_bytes();
    let mut message =
        Vec::with_capacity(DOMAIN.len() + 8 + kind.len() + audience.len() + body.len());
    message.extend_from_slice(DOMAIN);
    for part in [kind, audience.as_bytes()] {
        // Kinds and kiosk ids are short; a length that does not fit is cut to u32::MAX and
        // can then match nothing the service signs.
        message.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        message.extend_from_slice(part);
    }
    message.extend_from_slice(body);
    message
}

/// The central service's secret key. Its `Debug` shows only the key id.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// The key of a 32-byte seed (from the operating system's random source; the service
    /// makes it, see backend/src/signing_key.rs).
    pub fn from_seed(seed: [u8; 32]) -> SigningKey {
        SigningKey { key: ed25519_dalek::SigningKey::from_bytes(&seed) }
    }

    /// Reads a key file as [`SigningKey::file_text`] writes it.
    pub fn parse_file(text: &str) -> Result<SigningKey, KeyError> {
        let mut words = text.split_whitespace();
        if words.next() != Some(SECRET_TAG) {
            return Err(KeyError::Secret("it does not start with anjungan-ed25519-secret"));
        }
        let mut seed = [0u8; 32];
        let hex_seed = words.next().ok_or(KeyError::Secret("no key after the tag"))?;
        hex::decode_to_slice(hex_seed, &mut seed)
            .map_err(|_| KeyError::Secret("the key is not 64 hex digits"))?;
        if words.next().is_some() {
            return Err(KeyError::Secret("more than one key"));
        }
        Ok(SigningKey::from_seed(seed))
    }

    /// The key file's content: `anjungan-ed25519-secret <64 hex digits>` and a newline.
    pub fn file_text(&self) -> String {
        format!("{SECRET_TAG} {}\n", hex::encode(self.key.to_bytes()))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::new(self.key.verifying_key())
    }

    /// Signs `body` as content of `kind` for `audience` (the kiosk id).
    pub fn sign(&self, kind: ContentKind, audience: &str, body: &[u8]) -> ContentSignature {
        ContentSignature {
            key_id: KeyId::of(&self.key.verifying_key()),
            signature: self.key.sign(&message(kind, audience, body)),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key().id())
    }
}

/// A public key kiosks may trust.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: ed25519_dalek::VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    fn new(key: ed25519_dalek::VerifyingKey) -> PublicKey {
        PublicKey { id: KeyId::of(&key), key }
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The line installed on kiosks: `anjungan-ed25519 <key id> <64 hex digits>`.
    pub fn line(&self) -> String {
        format!("{PUBLIC_TAG} {} {}", self.id, hex::encode(self.key.as_bytes()))
    }

    /// Reads a line as [`PublicKey::line`] writes it; words after the key are a comment.
    /// The id must be the key's own, so a line pasted from two halves is caught.
    pub fn parse_line(line: &str) -> Result<PublicKey, &'static str> {
        let mut words = line.split_whitespace();
        if words.next() != Some(PUBLIC_TAG) {
            return Err("it does not start with anjungan-ed25519");
        }
        let id = words.next().and_then(KeyId::parse).ok_or("no key id of 16 hex digits")?;
        let mut bytes = [0u8; 32];
        let hex_key = words.next().ok_or("no key after the key id")?;
        hex::decode_to_slice(hex_key, &mut bytes).map_err(|_| "the key is not 64 hex digits")?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| "not an Ed25519 public key")?;
        let key = PublicKey::new(key);
        if key.id != id {
            return Err("the key id does not belong to this key");
        }
        Ok(key)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

/// A signature and the id of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSignature {
    key_id: KeyId,
    signature: ed25519_dalek::Signature,
}

impl ContentSignature {
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The key id and the signature, 72 bytes: the compact form a QR code carries.
    pub fn to_bytes(&self) -> [u8; 72] {
        let mut bytes = [0u8; 72];
        bytes[..8].copy_from_slice(&self.key_id.0);
        bytes[8..].copy_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Reads [`ContentSignature::to_bytes`]; `None` unless exactly 72 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<ContentSignature> {
        let bytes: &[u8; 72] = bytes.try_into().ok()?;
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&bytes[..8]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&bytes[8..]);
        Some(ContentSignature {
            key_id: KeyId(key_id),
            signature: ed25519_dalek::Signature::from_bytes(&signature),
        })
    }

    /// `ed25519 <key id> <128 hex digits>`.
    pub fn header_value(&self) -> String {
        format!("{SIGNATURE_TAG} {} {}", self.key_id, hex::encode(self.signature.to_bytes()))
    }

    pub fn parse_header(value: &str) -> Result<ContentSignature, KeyError> {
        let mut words = value.split_whitespace();
        if words.next() != Some(SIGNATURE_TAG) {
            return Err(KeyError::Header("not an ed25519 signature"));
        }
        let key_id = words.next().and_then(KeyId::parse).ok_or(KeyError::Header("no key id"))?;
        let mut bytes = [0u8; 64];
        let hex_signature = words.next().ok_or(KeyError::Header("no signature"))?;
        hex::decode_to_slice(hex_signature, &mut bytes)
            .map_err(|_| KeyError::Header("the signature is not 128 hex digits"))?;
        if words.next().is_some() {
            return Err(KeyError::Header("more than a key id and a signature"));
        }
        Ok(ContentSignature { key_id, signature: ed25519_dalek::Signature::from_bytes(&bytes) })
    }
}

/// The public keys a kiosk accepts content from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<PublicKey>,
}

impl TrustedKeys {
    pub fn new(keys: Vec<PublicKey>) -> TrustedKeys {
        TrustedKeys { keys }
    }

    /// A key file: one [`PublicKey::line`] per line; blank lines and lines starting with `#`
    /// are skipped. A file without any key is refused: it would trust nothing, and a kiosk
    /// would never take a configuration again.
    pub fn parse(text: &str) -> Result<TrustedKeys, KeyError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = PublicKey::parse_line(line)
                .map_err(|reason| KeyError::Line { line: index + 1, reason: reason.into() })?;
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(TrustedKeys { keys })
    }

    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(PublicKey::id).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks that a trusted key signed exactly `body` as `kind` for `audience`; answers
    /// which key did. Strict verification: no second signature for the same message is
    /// accepted (no malleability), nor a weak key.
    pub fn verify(
        &self,
        kind: ContentKind,
        audience: &str,
        body: &[u8],
        signature: &ContentSignature,
    ) -> Result<KeyId, SignatureError> {
        let key = self
            .keys
            .iter()
            .find(|key| key.id == signature.key_id)
            .ok_or(SignatureError::UnknownKey(signature.key_id))?;
        key.key
            .verify_strict(&message(kind, audience, body), &signature.signature)
            .map_err(|_| SignatureError::Mismatch(key.id))?;
        Ok(key.id)
    }

    /// [`TrustedKeys::verify`] of a signature header's value (`None`: no header).
    pub fn verify_header(
        &self,
        kind: ContentKind,
        audience: &str,
        body: &[u8],
        header: Option<&str>,
    ) -> Result<KeyId, SignatureError> {
        let signature = ContentSignature::parse_header(header.ok_or(SignatureError::Missing)?)?;
        self.verify(kind, audience, body, &signature)
    }
}

/// Signed content as a kiosk keeps it on disk: the exact body (UTF-8 text; every kind so far
/// is JSON) with its signature, so it is verified again when it is read back, and a file
/// edited on the kiosk's disk is not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedContent {
    /// [`ContentSignature::header_value`].
    pub signature: String,
    /// The body exactly as it was signed.
    pub body: String,
}

impl SignedContent {
    /// The body, if a trusted key signed it as `kind` for `audience`.
    pub fn verified(
        &self,
        keys: &TrustedKeys,
        kind: ContentKind,
        audience: &str,
    ) -> Result<&str, SignatureError> {
        keys.verify_header(kind, audience, self.body.as_bytes(), Some(&self.signature))?;
        Ok(&self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: ContentKind = ContentKind::KioskConfig;

    fn keys(seed: u8) -> (SigningKey, TrustedKeys) {
        let key = SigningKey::from_seed([seed; 32]);
        let trusted = TrustedKeys::new(vec![key.public_key()]);
        (key, trusted)
    }

    #[test]
    fn a_signature_holds_only_for_its_body_kiosk_and_key() {
        let (key, trusted) = keys(1);
        let body = br#"{"kiosk_id":"BWI-1","pin":"x"}"#;
        let signature = key.sign(KIND, "BWI-1", body);
        assert_eq!(trusted.verify(KIND, "BWI-1", body, &signature), Ok(key.public_key().id()));
        let tampered = br#"{"kiosk_id":"BWI-1","pin":"y"}"#;
        assert_eq!(
            trusted.verify(KIND, "BWI-1", tampered, &signature),
            Err(SignatureError::Mismatch(key.public_key().id()))
        );
        assert!(matches!(
            trusted.verify(KIND, "BWI-2", body, &signature),
            Err(SignatureError::Mismatch(_))
        ));
        let (stranger, _) = keys(2);
        let forged = stranger.sign(KIND, "BWI-1", body);
        assert_eq!(
            trusted.verify(KIND, "BWI-1", body, &forged),
            Err(SignatureError::UnknownKey(stranger.public_key().id()))
        );
    }

    #[test]
    fn kind_and_audience_cannot_be_shifted_into_each_other() {
        // Without the length prefixes, audience "ab" + body "c" and audience "a" + body "bc"
        // would be the same message.
        let (key, trusted) = keys(3);
        let signature = key.sign(KIND, "ab", b"c");
        assert!(trusted.verify(KIND, "a", b"bc", &signature).is_err());
        assert!(trusted.verify(KIND, "abc", b"", &signature).is_err());
    }

    #[test]
    fn lines_headers_and_key_files_round_trip_and_bad_ones_are_named() {
        let (key, _) = keys(4);
        let line = key.public_key().line();
        assert_eq!(PublicKey::parse_line(&format!("{line} backend 2026-12")), Ok(key.public_key()));
        let file = format!("# kabupaten Banyuwangi\n\n{line}\n{}\n", keys(5).0.public_key().line());
        assert_eq!(TrustedKeys::parse(&file).expect("two keys").ids().len(), 2);
        assert_eq!(TrustedKeys::parse("# nothing\n"), Err(KeyError::NoKeys));
        // Another key's id in front of this key: refused, naming the line.
        let other_id = keys(5).0.public_key().id().to_string();
        let swapped = line.replace(&key.public_key().id().to_string(), &other_id);
        assert!(matches!(
            TrustedKeys::parse(&format!("\n{swapped}")),
            Err(KeyError::Line { line: 2, .. })
        ));

        let signature = key.sign(KIND, "BWI-1", b"body");
        assert_eq!(ContentSignature::parse_header(&signature.header_value()), Ok(signature));
        assert!(ContentSignature::parse_header("ed25519 00").is_err());

        let again = SigningKey::parse_file(&key.file_text()).expect("key file");
        assert_eq!(again.public_key(), key.public_key());
        assert!(SigningKey::parse_file(&line).is_err(), "a public line is no secret key");
        assert!(!format!("{key:?}").contains(&hex::encode(key.key.to_bytes())));
    }

    #[test]
    fn stored_content_is_verified_again() {
        let (key, trusted) = keys(6);
        let body = r#"{"a":1}"#;
        let mut stored = SignedContent {
            signature: key.sign(KIND, "BWI-1", body.as_bytes()).header_value(),
            body: body.into(),
        };
        assert_eq!(stored.verified(&trusted, KIND, "BWI-1"), Ok(body));
        stored.body = r#"{"a":2}"#.into();
        assert!(stored.verified(&trusted, KIND, "BWI-1").is_err());
        assert_eq!(trusted.verify_header(KIND, "BWI-1", b"", None), Err(SignatureError::Missing));
    }
}
