//! The idempotency key a kiosk puts on each submission, so that a resend after a timeout or
//! a power cut files nothing twice. One rule for both sides: the kiosk's outbox chooses and
//! keeps keys by it, the central service checks it at its boundary.

use std::fmt;

use crate::Text;

/// Shortest key accepted: short keys of different kiosks could collide.
pub const MIN_LEN: usize = 8;
/// Longest key accepted: it is stored and indexed with every submission.
pub const MAX_LEN: usize = 64;

/// 8 to 64 of `A-Z a-z 0-9 -`. Only [`IdempotencyKey::parse`] and
/// [`IdempotencyKey::from_random`] build one, so a value is always valid.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a text is not an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid idempotency key: 8 to 64 of A-Z a-z 0-9 -")]
pub struct InvalidIdempotencyKey;

impl InvalidIdempotencyKey {
    /// The refusal in both languages.
    pub fn text(&self) -> Text {
        Text::new("Kunci idempotensi tidak valid.", "Invalid idempotency key.")
    }
}

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, InvalidIdempotencyKey> {
        let valid = (MIN_LEN..=MAX_LEN).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if valid { Ok(IdempotencyKey(text.to_owned())) } else { Err(InvalidIdempotencyKey) }
    }

    /// A fresh key from 128 random bits (the caller's generator: this crate does no I/O),
    /// written as 32 lowercase hex digits.
    pub fn from_random(bits: [u8; 16]) -> IdempotencyKey {
        IdempotencyKey(hex::encode(bits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_the_outbox_chooses_are_accepted_and_others_refused() {
        let fresh = IdempotencyKey::from_random([0xab; 16]);
        assert_eq!(fresh.as_str(), "abababababababababababababababab");
        assert_eq!(IdempotencyKey::parse(fresh.as_str()), Ok(fresh));
        assert!(IdempotencyKey::parse("kiosk-1-report-7").is_ok());
        assert!(IdempotencyKey::parse(&"a".repeat(MAX_LEN)).is_ok());
        assert_eq!(IdempotencyKey::parse("short"), Err(InvalidIdempotencyKey));
        assert_eq!(IdempotencyKey::parse(&"a".repeat(MAX_LEN + 1)), Err(InvalidIdempotencyKey));
        assert_eq!(IdempotencyKey::parse("with space1"), Err(InvalidIdempotencyKey));
        assert_eq!(IdempotencyKey::parse("semicolon;;"), Err(InvalidIdempotencyKey));
    }
}
