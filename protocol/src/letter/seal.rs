//! Seals: what a letter's (or a status slip's) QR code carries, signed by the desa's
//! Ed25519 key, so whoever receives the paper (a school, a hospital, the police) can check
//! it without trusting the paper, and without the network.
//!
//! A seal is one line of `|`-separated fields: a tag saying what it seals, the signed fields
//! themselves, and last the signature (key id and Ed25519 signature, 72 bytes in base64url):
//!
//! ```text
//! AJL1|<letter id>|<desa code>|<letter type>|<number>|<issued on>|<NIK>|<name>|<signature>
//! AJS1|<slip id>|<desa code>|<kiosk>|<at>|<NIK, masked>|<answer>|<signature>
//! ```
//!
//! What is signed is the line up to the last `|`, exactly as it is printed, behind the
//! domain label of [`crate::signed`] with the seal's kind and the desa code as audience: a
//! changed name, date or number does not verify, nor a seal of one desa passed off with
//! another's key. A field never holds `|` or a control character ([`clean_field`]).
//! Verifiers hold the desas' public keys ([`DesaKeys`], one line per key), so a key
//! rotation keeps old letters verifiable while both keys are listed.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::signed::{ContentKind, ContentSignature, PublicKey, SigningKey, TrustedKeys};

/// What a seal is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    Letter,
    StatusSlip,
}

impl SealKind {
    fn tag(self) -> &'static str {
        match self {
            SealKind::Letter => "AJL1",
            SealKind::StatusSlip => "AJS1",
        }
    }

    fn fields(self) -> usize {
        match self {
            SealKind::Letter => 7,
            SealKind::StatusSlip => 6,
        }
    }

    fn content(self) -> ContentKind {
        match self {
            SealKind::Letter => ContentKind::Letter,
            SealKind::StatusSlip => ContentKind::StatusSlip,
        }
    }
}

/// A field as a seal may carry it: control characters and `|` replaced by a space, runs of
/// white space folded, so that what is printed beside the QR and what is signed are the
/// same text.
pub fn clean_field(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '|' || c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The signed fields of an issued letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterSeal {
    pub id: String,
    pub desa_code: u64,
    /// The letter type's code (`sktm`).
    pub letter: String,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issued_on: String,
    /// The full NIK: the letter prints it too.
    pub nik: String,
    pub name: String,
}

/// The signed fields of a status slip: what the kiosk answered, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipSeal {
    pub id: String,
    pub desa_code: u64,
    pub kiosk: String,
    /// RFC 3339 UTC.
    pub at: String,
    /// Masked, as on the slip.
    pub nik: String,
    /// The answer in short: `terdaftar: PKH, BPNT` or `tidak terdaftar`.
    pub answer: String,
}

/// Why a seal is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("not a seal of this kind (expected {0})")]
    Tag(&'static str),
    #[error("the seal has {found} fields, expected {expected}")]
    Fields { found: usize, expected: usize },
    #[error("desa code {0:?} is not a number")]
    Desa(String),
    #[error("the signature is not readable")]
    Signature,
    #[error("no key of desa {0} is known")]
    UnknownDesa(u64),
    #[error(
        "the seal does not match its signature: the content was changed, or another key signed it"
    )]
    Mismatch,
}

impl SealError {
    /// The sentence a verifier shows, in Indonesian and English.
    pub fn text(&self) -> crate::Text {
        match self {
            SealError::UnknownDesa(desa) => crate::Text::new(
                format!("Kunci desa {desa} tidak dikenal: keaslian tidak dapat diperiksa."),
                format!("No key of desa {desa} is known: authenticity cannot be checked."),
            ),
            SealError::Mismatch => crate::Text::new(
                "TIDAK ASLI: isi kode QR tidak cocok dengan tanda tangan desa.",
                "NOT GENUINE: the QR code's content does not match the desa's signature.",
            ),
            _ => crate::Text::new(
                "Kode QR ini bukan segel surat atau slip Anjungan yang dapat dibaca.",
                "This QR code is not a readable Anjungan letter or slip seal.",
            ),
        }
    }
}

fn signed_line(kind: SealKind, fields: &[String]) -> String {
    let mut line = kind.tag().to_owned();
    for field in fields {
        line.push('|');
        line.push_str(&clean_field(field));
    }
    line
}

fn seal(kind: SealKind, fields: &[String], desa: u64, key: &SigningKey) -> String {
    let line = signed_line(kind, fields);
    let signature = key.sign(kind.content(), &desa.to_string(), line.as_bytes());
    format!("{line}|{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Splits a seal into its fields and checks the signature with the desa's keys.
fn open(kind: SealKind, payload: &str, keys: &DesaKeys) -> Result<Vec<String>, SealError> {
    let payload = payload.trim();
    let (line, signature) = payload.rsplit_once('|').ok_or(SealError::Tag(kind.tag()))?;
    let mut parts = line.split('|');
    if parts.next() != Some(kind.tag()) {
        return Err(SealError::Tag(kind.tag()));
    }
    let fields: Vec<String> = parts.map(str::to_owned).collect();
    if fields.len() != kind.fields() {
        return Err(SealError::Fields { found: fields.len(), expected: kind.fields() });
    }
    let desa: u64 = fields[1].parse().map_err(|_| SealError::Desa(fields[1].clone()))?;
    let bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| SealError::Signature)?;
    let signature = ContentSignature::from_bytes(&bytes).ok_or(SealError::Signature)?;
    let trusted = keys.of(desa).ok_or(SealError::UnknownDesa(desa))?;
    trusted
        .verify(kind.content(), &desa.to_string(), line.as_bytes(), &signature)
        .map_err(|_| SealError::Mismatch)?;
    Ok(fields)
}

impl LetterSeal {
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.desa_code.to_string(),
            self.letter.clone(),
            self.number.clone(),
            self.issued_on.clone(),
            self.nik.clone(),
            self.name.clone(),
        ]
    }

    /// The QR payload: the fields and the desa key's signature of them.
    pub fn payload(&self, key: &SigningKey) -> String {
        seal(SealKind::Letter, &self.fields(), self.desa_code, key)
    }

    /// Reads a scanned payload and checks it against the desa's keys: the fields that were
    /// signed, or why the seal is not genuine.
    pub fn verify(payload: &str, keys: &DesaKeys) -> Result<LetterSeal, SealError> {
        let mut fields = open(SealKind::Letter, payload, keys)?.into_iter();
        let mut next = || fields.next().unwrap_or_default();
        let id = next();
        let desa_code = next().parse().unwrap_or_default();
        Ok(LetterSeal {
            id,
            desa_code,
            letter: next(),
            number: next(),
            issued_on: next(),
            nik: next(),
            name: next(),
        })
    }
}

impl SlipSeal {
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.desa_code.to_string(),
            self.kiosk.clone(),
            self.at.clone(),
            self.nik.clone(),
            self.answer.clone(),
        ]
    }

    pub fn payload(&self, key: &SigningKey) -> String {
        seal(SealKind::StatusSlip, &self.fields(), self.desa_code, key)
    }

    pub fn verify(payload: &str, keys: &DesaKeys) -> Result<SlipSeal, SealError> {
        let mut fields = open(SealKind::StatusSlip, payload, keys)?.into_iter();
        let mut next = || fields.next().unwrap_or_default();
        let id = next();
        let desa_code = next().parse().unwrap_or_default();
        Ok(SlipSeal { id, desa_code, kiosk: next(), at: next(), nik: next(), answer: next() })
    }
}

/// Whether `payload` is a letter's seal (else, if anything, a slip's).
pub fn is_letter(payload: &str) -> bool {
    payload.trim_start().starts_with("AJL1|")
}

/// The desas' public keys, as a verifier keeps them: a file with one `<desa code>
/// <public key line>` per line (`3510152001 anjungan-ed25519 <hex>`); `#` starts a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesaKeys {
    keys: BTreeMap<u64, TrustedKeys>,
}

impl DesaKeys {
    pub fn new() -> DesaKeys {
        DesaKeys::default()
    }

    pub fn add(&mut self, desa: u64, key: PublicKey) {
        let keys = self.keys.entry(desa).or_default();
        let mut all: Vec<PublicKey> = keys.keys().to_vec();
        if !all.contains(&key) {
            all.push(key);
        }
        *keys = TrustedKeys::new(all);
    }

    pub fn of(&self, desa: u64) -> Option<&TrustedKeys> {
        self.keys.get(&desa).filter(|keys| !keys.is_empty())
    }

    /// Reads a key file as [`DesaKeys::file_text`] writes it.
    pub fn parse(text: &str) -> Result<DesaKeys, String> {
        let mut keys = DesaKeys::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (desa, key) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected `<desa code> <key>`", index + 1))?;
            let desa = desa
                .parse()
                .map_err(|_| format!("line {}: desa code {desa:?} is not a number", index + 1))?;
            let key = PublicKey::parse_line(key.trim())
                .map_err(|reason| format!("line {}: {reason}", index + 1))?;
            keys.add(desa, key);
        }
        Ok(keys)
    }

    pub fn file_text(&self) -> String {
        let mut text = String::new();
        for (desa, keys) in &self.keys {
            for key in keys.keys() {
                text.push_str(&format!("{desa} {}\n", key.line()));
            }
        }
        text
    }
}

impl fmt::Display for LetterSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}), {} {}, desa {}",
            self.letter, self.number, self.issued_on, self.nik, self.name, self.desa_code
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> LetterSeal {
        LetterSeal {
            id: "K7Q2M9XW4T".into(),
            desa_code: 3510152001,
            letter: "sktm".into(),
            number: "470/012/35.10.15.2001/XII/2026".into(),
            issued_on: "2026-12-07".into(),
            nik: "3510154305880001".into(),
            name: "SITI AMINAH".into(),
        }
    }

    fn keys(seed: u8, desa: u64) -> (SigningKey, DesaKeys) {
        let key = SigningKey::from_seed([seed; 32]);
        let mut keys = DesaKeys::new();
        keys.add(desa, key.public_key());
        (key, keys)
    }

    #[test]
    fn a_genuine_letter_verifies_offline_and_fits_a_small_qr() {
        let (key, keys) = keys(3, 3510152001);
        let payload = letter().payload(&key);
        assert!(payload.starts_with("AJL1|K7Q2M9XW4T|3510152001|sktm|470/012/"), "{payload}");
        // A version 11 QR at level M holds 251 bytes: 61 modules, 5 dots each, fit the
        // 384 dots of 58 mm paper; this one leaves room for a 40-letter name.
        assert!(payload.len() <= 251 - 30, "{} bytes: {payload}", payload.len());
        assert_eq!(LetterSeal::verify(&payload, &keys), Ok(letter()));
        let text = DesaKeys::parse(&keys.file_text()).expect("key file");
        assert_eq!(LetterSeal::verify(&payload, &text), Ok(letter()));
    }

    #[test]
    fn a_changed_name_date_or_number_does_not_verify() {
        let (key, keys) = keys(3, 3510152001);
        let payload = letter().payload(&key);
        for (from, to) in [
            ("SITI AMINAH", "SITI AMINAX"),
            ("2026-12-07", "2026-12-08"),
            ("470/012/", "470/013/"),
            ("3510154305880001", "3510154305880002"),
            ("|sktm|", "|domisili|"),
        ] {
            let forged = payload.replace(from, to);
            assert_ne!(forged, payload);
            assert_eq!(LetterSeal::verify(&forged, &keys), Err(SealError::Mismatch), "{to}");
        }
    }

    #[test]
    fn another_desas_key_or_seal_kind_is_refused() {
        let (key, _) = keys(3, 3510152001);
        let (_, other) = keys(4, 3510152001);
        let payload = letter().payload(&key);
        assert_eq!(LetterSeal::verify(&payload, &other), Err(SealError::Mismatch));
        let (_, elsewhere) = keys(3, 3510152002);
        assert_eq!(
            LetterSeal::verify(&payload, &elsewhere),
            Err(SealError::UnknownDesa(3510152001))
        );
        // The desa key signs letters and slips; one is never taken for the other.
        let (_, keys) = keys(3, 3510152001);
        let slip = payload.replacen("AJL1", "AJS1", 1);
        assert!(SlipSeal::verify(&slip, &keys).is_err());
        assert!(LetterSeal::verify("https://example.org/x", &keys).is_err());
        assert!(LetterSeal::verify("AJL1|a|b", &keys).is_err());
    }

    #[test]
    fn fields_are_cleaned_before_they_are_signed() {
        let (key, keys) = keys(5, 3510152001);
        let mut sly = letter();
        sly.name = "SITI|AMINAH\n\x1b[2J".into();
        let payload = sly.payload(&key);
        let read = LetterSeal::verify(&payload, &keys).expect("verifies");
        assert_eq!(read.name, "SITI AMINAH [2J");
    }

    #[test]
    fn a_status_slip_seal_round_trips() {
        let (key, keys) = keys(6, 3510152001);
        let slip = SlipSeal {
            id: "S1".into(),
            desa_code: 3510152001,
            kiosk: "BWI-ALIYAN-01".into(),
            at: "2026-12-07T03:04:05Z".into(),
            nik: "3510********0001".into(),
            answer: "terdaftar: PKH, BPNT".into(),
        };
        let payload = slip.payload(&key);
        assert_eq!(SlipSeal::verify(&payload, &keys), Ok(slip));
        let forged = payload.replace("PKH, BPNT", "PKH, BPNT, PIP");
        assert_eq!(SlipSeal::verify(&forged, &keys), Err(SealError::Mismatch));
    }
}
