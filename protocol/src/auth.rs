//! How a kiosk proves who it is on every request: an HMAC-SHA256 signature with its own
//! secret key over the method, path, a timestamp, a single-use nonce and the body's digest.
//!
//! HMAC rather than public-key signatures because the central service checks every status
//! lookup of every kiosk (tens of thousands per second): an HMAC costs about a microsecond,
//! an Ed25519 verification fifty. The key is per kiosk, so one stolen kiosk can be disabled
//! alone. Replay protection: the service refuses timestamps outside [`MAX_SKEW_SECONDS`] and
//! any nonce it has already seen inside that window.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const HEADER_KIOSK: &str = "x-kiosk-id";
pub const HEADER_TIMESTAMP: &str = "x-anjungan-timestamp";
pub const HEADER_NONCE: &str = "x-anjungan-nonce";
pub const HEADER_SIGNATURE: &str = "x-anjungan-signature";

/// How far a request's clock may be from the service's, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 120;

/// Why a request's credentials were refused. Deliberately coarse on the wire (every case
/// answers 401); the service logs the precise kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("malformed header {0}")]
    Malformed(&'static str),
    #[error("unknown or disabled kiosk")]
    UnknownKiosk,
    #[error("timestamp outside the accepted window")]
    Stale,
    #[error("nonce already used")]
    Replayed,
    #[error("signature does not match")]
    BadSignature,
}

/// A kiosk's identity and secret, as provisioned by the central service.
#[derive(Clone, PartialEq, Eq)]
pub struct KioskKey {
    id: String,
    secret: [u8; 32],
    /// The kiosk's own ticket issuer number (1..=9999), so tickets it issues while offline
    /// never collide with another kiosk's or the central service's. `None` in key files
    /// written before issuers existed.
    issuer: Option<u16>,
}

impl std::fmt::Debug for KioskKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KioskKey({}, secret hidden)", self.id)
    }
}

/// The headers that authenticate one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub kiosk: String,
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
}

impl SignedHeaders {
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (HEADER_KIOSK, &self.kiosk),
            (HEADER_TIMESTAMP, &self.timestamp),
            (HEADER_NONCE, &self.nonce),
            (HEADER_SIGNATURE, &self.signature),
        ]
    }
}

/// Whether a kiosk id is acceptable: 1-64 of `A-Z a-z 0-9 - _`.
pub fn valid_kiosk_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KioskKey {
    pub fn new(id: &str, secret: [u8; 32]) -> Result<KioskKey, AuthError> {
        if !valid_kiosk_id(id) {
            return Err(AuthError::Malformed(HEADER_KIOSK));
        }
        Ok(KioskKey { id: id.to_string(), secret, issuer: None })
    }

    /// The same key with the kiosk's ticket issuer number (1..=9999).
    pub fn with_issuer(self, issuer: u16) -> Result<KioskKey, AuthError> {
        if !(1..=crate::ticket::Ticket::MAX_ISSUER).contains(&issuer) {
            return Err(AuthError::Malformed("key file issuer"));
        }
        Ok(KioskKey { issuer: Some(issuer), ..self })
    }

    /// Reads the key file format `<kiosk-id>:<64 hex digits>[:<issuer>]`; files without the
    /// issuer (written before kiosks issued tickets) still read.
    pub fn parse(text: &str) -> Result<KioskKey, AuthError> {
        let mut fields = text.trim().split(':');
        let (Some(id), Some(hex_secret)) = (fields.next(), fields.next()) else {
            return Err(AuthError::Malformed("key file"));
        };
        let issuer = fields.next();
        if fields.next().is_some() {
            return Err(AuthError::Malformed("key file"));
        }
        let bytes = hex::decode(hex_secret).map_err(|_| AuthError::Malformed("key file"))?;
        let secret: [u8; 32] = bytes.try_into().map_err(|_| AuthError::Malformed("key file"))?;
        let key = KioskKey::new(id, secret)?;
        match issuer {
            None => Ok(key),
            Some(issuer) => {
                let issuer = (!issuer.is_empty() && issuer.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| issuer.parse::<u16>().ok())
                    .flatten()
                    .ok_or(AuthError::Malformed("key file issuer"))?;
                key.with_issuer(issuer)
            }
        }
    }

    /// The key file format read by [`KioskKey::parse`].
    pub fn to_file_text(&self) -> String {
        match self.issuer {
            Some(issuer) => format!("{}:{}:{issuer}\n", self.id, hex::encode(self.secret)),
            None => format!("{}:{}\n", self.id, hex::encode(self.secret)),
        }
    }

    /// The kiosk's ticket issuer number, when its key file carries one.
    pub fn issuer(&self) -> Option<u16> {
        self.issuer
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.secret)
    }

    /// Signs one request. `path` includes the query string, if any.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> SignedHeaders {
        let signature = mac(&self.secret, &canonical(method, path, timestamp, nonce, body));
        SignedHeaders {
            kiosk: self.id.clone(),
            timestamp: timestamp.to_string(),
            nonce: nonce.to_string(),
            signature: hex::encode(signature),
        }
    }
}

fn mac(secret: &[u8; 32], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; 32 bytes cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 takes any key length"),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The exact bytes that are signed.
pub fn canonical(method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
    let body_digest = hex::encode(Sha256::digest(body));
    format!("ANJUNGAN-HMAC-SHA256\n{method}\n{path}\n{timestamp}\n{nonce}\n{body_digest}")
        .into_bytes()
}

/// Checks a request's signature and clock; the caller checks the nonce against the ones it
/// has seen. `now` is the service's clock in Unix seconds.
pub fn verify(
    secret_hex: &str,
    method: &str,
    path: &str,
    headers: &SignedHeaders,
    body: &[u8],
    now: i64,
) -> Result<(), AuthError> {
    let timestamp: i64 =
        headers.timestamp.parse().map_err(|_| AuthError::Malformed(HEADER_TIMESTAMP))?;
    if (now - timestamp).abs() > MAX_SKEW_SECONDS {
        return Err(AuthError::Stale);
    }
    if !(16..=64).contains(&headers.nonce.len())
        || !headers.nonce.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AuthError::Malformed(HEADER_NONCE));
    }
    let secret: [u8; 32] = hex::decode(secret_hex)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(AuthError::UnknownKiosk)?;
    let given =
        hex::decode(&headers.signature).map_err(|_| AuthError::Malformed(HEADER_SIGNATURE))?;
    let mut check = Hmac::<Sha256>::new_from_slice(&secret).map_err(|_| AuthError::UnknownKiosk)?;
    check.update(&canonical(method, path, timestamp, &headers.nonce, body));
    // Constant-time comparison.
    check.verify_slice(&given).map_err(|_| AuthError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KioskKey {
        KioskKey::new("BWI-3510-0001", [7; 32]).expect("valid id")
    }

    const NONCE: &str = "0123456789abcdef0123";

    #[test]
    fn a_signed_request_verifies() {
        let headers = key().sign("GET", "/api/v1/residents/x/status", 1000, NONCE, b"");
        assert_eq!(
            verify(&key().secret_hex(), "GET", "/api/v1/residents/x/status", &headers, b"", 1010),
            Ok(())
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let secret = key().secret_hex();
        let headers = key().sign("POST", "/api/v1/reports", 1000, NONCE, b"{\"a\":1}");
        let check = |method, path, body: &[u8]| verify(&secret, method, path, &headers, body, 1000);
        assert_eq!(check("POST", "/api/v1/reports", b"{\"a\":2}"), Err(AuthError::BadSignature));
        assert_eq!(check("GET", "/api/v1/reports", b"{\"a\":1}"), Err(AuthError::BadSignature));
        assert_eq!(check("POST", "/api/v1/other", b"{\"a\":1}"), Err(AuthError::BadSignature));
        let other = KioskKey::new("BWI-3510-0001", [8; 32]).expect("id").secret_hex();
        assert_eq!(
            verify(&other, "POST", "/api/v1/reports", &headers, b"{\"a\":1}", 1000),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn old_or_future_timestamps_are_refused() {
        let headers = key().sign("GET", "/p", 1000, NONCE, b"");
        let secret = key().secret_hex();
        assert_eq!(verify(&secret, "GET", "/p", &headers, b"", 1000 + 121), Err(AuthError::Stale));
        assert_eq!(verify(&secret, "GET", "/p", &headers, b"", 1000 - 121), Err(AuthError::Stale));
    }

    #[test]
    fn key_files_round_trip_and_debug_hides_the_secret() {
        let text = key().to_file_text();
        assert_eq!(KioskKey::parse(&text), Ok(key()));
        assert!(!format!("{:?}", key()).contains(&key().secret_hex()));
        assert!(KioskKey::parse("no-colon").is_err());
        assert!(KioskKey::parse("bad id!:00").is_err());
    }

    #[test]
    fn key_files_carry_the_issuer_and_old_files_still_read() {
        let with_issuer = key().with_issuer(42).expect("in range");
        let text = with_issuer.to_file_text();
        assert!(text.ends_with(":42\n"), "{text}");
        assert_eq!(KioskKey::parse(&text), Ok(with_issuer.clone()));
        assert_eq!(KioskKey::parse(&text).expect("parse").issuer(), Some(42));
        // A file from before issuers: same id and secret, no issuer.
        let old = format!("BWI-3510-0001:{}", key().secret_hex());
        assert_eq!(KioskKey::parse(&old).expect("old format").issuer(), None);
        let secret = key().secret_hex();
        for bad in ["0", "10000", "-1", "", "x1", "1:2"] {
            let text = format!("BWI-3510-0001:{secret}:{bad}");
            assert!(KioskKey::parse(&text).is_err(), "issuer {bad:?} accepted");
        }
        assert!(key().with_issuer(0).is_err(), "0 is the central service");
        assert!(!format!("{with_issuer:?}").contains(&secret));
    }
}
