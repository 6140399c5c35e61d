//! Ticket numbers printed on receipts: `LP-IIII-SSSSSS-C`.
//!
//! `IIII` is the issuer (0000 for the central service, a kiosk's own number for tickets it
//! issues while offline), `SSSSSS` the issuer's serial, `C` a Luhn check digit over the ten
//! digits, so a mistyped ticket is caught before it is looked up and two issuers can never
//! hand out the same ticket.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `GET`: the highest serial the central service holds for the calling kiosk's issuer
/// ([`LastSerial`]). A kiosk whose database is new (re-imaged) asks before numbering its
/// own tickets, so it does not hand out again tickets citizens already hold.
pub const LAST_SERIAL_PATH: &str = "/api/v1/kiosk/last-serial";

/// Answer to [`LAST_SERIAL_PATH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastSerial {
    /// The calling kiosk's issuer number.
    pub issuer: u16,
    /// The highest serial of that issuer any report or letter request holds; 0 for none.
    pub last_serial: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket {
    issuer: u16,
    serial: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("a ticket looks like LP-0000-000123-4")]
    Format,
    #[error("the check digit does not match: a digit was mistyped")]
    CheckDigit,
    #[error("issuer or serial out of range")]
    Range,
}

/// Luhn check digit of a digit string.
fn luhn(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl Ticket {
    pub const MAX_ISSUER: u16 = 9999;
    pub const MAX_SERIAL: u32 = 999_999;

    pub fn new(issuer: u16, serial: u32) -> Result<Ticket, TicketError> {
        if issuer > Self::MAX_ISSUER || serial > Self::MAX_SERIAL {
            return Err(TicketError::Range);
        }
        Ok(Ticket { issuer, serial })
    }

    pub fn issuer(&self) -> u16 {
        self.issuer
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    fn digits(&self) -> [u8; 10] {
        let text = format!("{:04}{:06}", self.issuer, self.serial);
        let mut digits = [0u8; 10];
        for (slot, byte) in digits.iter_mut().zip(text.bytes()) {
            *slot = byte - b'0';
        }
        digits
    }

    pub fn check_digit(&self) -> u8 {
        luhn(&self.digits())
    }

    /// Accepts `LP-0000-000123-4`, lower case, and the same without dashes or with spaces.
    pub fn parse(text: &str) -> Result<Ticket, TicketError> {
        let compact: String = text
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect::<String>()
            .to_uppercase();
        let digits = compact.strip_prefix("LP").ok_or(TicketError::Format)?;
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TicketError::Format);
        }
        let issuer: u16 = digits[..4].parse().map_err(|_| TicketError::Format)?;
        let serial: u32 = digits[4..10].parse().map_err(|_| TicketError::Format)?;
        let ticket = Ticket::new(issuer, serial)?;
        if digits.as_bytes()[10] - b'0' != ticket.check_digit() {
            return Err(TicketError::CheckDigit);
        }
        Ok(ticket)
    }
}

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LP-{:04}-{:06}-{}", self.issuer, self.serial, self.check_digit())
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ticket({self})")
    }
}

impl Serialize for Ticket {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ticket {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ticket::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_catches_typos() {
        let ticket = Ticket::new(0, 123).expect("in range");
        let text = ticket.to_string();
        assert!(text.starts_with("LP-0000-000123-"));
        assert_eq!(Ticket::parse(&text), Ok(ticket));
        assert_eq!(Ticket::parse(&text.to_lowercase().replace('-', " ")), Ok(ticket));
        // Every single-digit change and every swap of neighbours in the serial is caught.
        let bytes: Vec<u8> = text.bytes().collect();
        for position in [3, 4, 5, 6, 8, 9, 10, 11, 12, 13] {
            for replacement in b'0'..=b'9' {
                if bytes[position] == replacement {
                    continue;
                }
                let mut typo = bytes.clone();
                typo[position] = replacement;
                let typo = String::from_utf8(typo).expect("ascii");
                assert_eq!(Ticket::parse(&typo), Err(TicketError::CheckDigit), "{typo}");
            }
        }
        assert_eq!(Ticket::parse("LP-0000-0001"), Err(TicketError::Format));
        assert_eq!(Ticket::parse("XX-0000-000123-0"), Err(TicketError::Format));
    }
}
