//! The e-KTP reader bridge's framing: one card per frame, text fields, a CRC-16.
//!
//! The card itself needs a SAM and a vendor SDK, so the kiosk talks to a bridge that has
//! read the chip and sends the printed fields over a serial line. The full spec for firmware
//! vendors is `docs/hardware/ektp-framing.md`; in short:
//!
//! ```text
//! STX "KTP1" { US tag "=" value } US crc(4 hex) ETX
//! ```
//!
//! Every byte between `STX` (0x02) and `ETX` (0x03) is printable text or `US` (0x1F), so a
//! start byte can never occur inside a frame: the decoder resynchronises on it without
//! knowing any lengths, and a half frame followed by a new one is detected, not merged.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use crc::{CRC_16_IBM_3740, Crc};
use time::{Date, Month};

use super::{Decoder, ReaderEvent, Reject, keep_ends, redact};

/// Start of frame.
pub const STX: u8 = 0x02;
/// End of frame.
pub const ETX: u8 = 0x03;
/// Separates the magic, the fields and the checksum.
pub const US: u8 = 0x1F;
/// Frame type and version, first thing after STX.
pub const MAGIC: &[u8] = b"KTP1";
/// Longest accepted frame, counted between STX and ETX exclusive. The longest valid card is
/// about 620 bytes; anything longer is a stuck or foreign sender.
pub const MAX_FRAME: usize = 1024;
/// A frame whose bytes stop arriving for this long is dropped. A bridge sends a frame in one
/// burst (about 0.6 s at 9600 baud for the longest card, with no gaps).
pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_millis(500);

/// CRC-16/IBM-3740 (also known as CRC-16/CCITT-FALSE): poly 0x1021, init 0xFFFF, no
/// reflection. The check value of "123456789" is 0x29B1.
pub const CHECKSUM: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);

/// A field of the card, with its two-letter tag on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Nik,
    Name,
    BirthPlace,
    BirthDate,
    Sex,
    Address,
    RtRw,
    Village,
    District,
    Religion,
    MaritalStatus,
    Occupation,
    Nationality,
}

impl Field {
    /// Every field, in the order the encoder writes them.
    pub const ALL: [Field; 13] = [
        Field::Nik,
        Field::Name,
        Field::BirthPlace,
        Field::BirthDate,
        Field::Sex,
        Field::Address,
        Field::RtRw,
        Field::Village,
        Field::District,
        Field::Religion,
        Field::MaritalStatus,
        Field::Occupation,
        Field::Nationality,
    ];

    /// The tag on the wire.
    pub fn tag(self) -> &'static str {
        match self {
            Field::Nik => "NK",
            Field::Name => "NM",
            Field::BirthPlace => "TL",
            Field::BirthDate => "TG",
            Field::Sex => "JK",
            Field::Address => "AL",
            Field::RtRw => "RW",
            Field::Village => "DS",
            Field::District => "KC",
            Field::Religion => "AG",
            Field::MaritalStatus => "SK",
            Field::Occupation => "PK",
            Field::Nationality => "KW",
        }
    }

    pub fn from_tag(tag: &[u8]) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.tag().as_bytes() == tag)
    }

    /// Longest value accepted, in bytes of UTF-8.
    pub fn max_len(self) -> usize {
        match self {
            Field::Nik => 16,
            Field::BirthDate => 10,
            Field::Sex => 1,
            Field::RtRw => 7,
            Field::Name => 80,
            Field::BirthPlace => 50,
            Field::Address => 120,
            Field::Village | Field::District | Field::Occupation => 60,
            Field::Religion | Field::MaritalStatus | Field::Nationality => 30,
        }
    }

    /// The label printed on the card, for error messages.
    pub fn label(self) -> &'static str {
        match self {
            Field::Nik => "NIK",
            Field::Name => "Nama",
            Field::BirthPlace => "Tempat Lahir",
            Field::BirthDate => "Tgl Lahir",
            Field::Sex => "Jenis Kelamin",
            Field::Address => "Alamat",
            Field::RtRw => "RT/RW",
            Field::Village => "Kel/Desa",
            Field::District => "Kecamatan",
            Field::Religion => "Agama",
            Field::MaritalStatus => "Status Perkawinan",
            Field::Occupation => "Pekerjaan",
            Field::Nationality => "Kewarganegaraan",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a field was refused. Names the field, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{0} is missing")]
    Missing(Field),
    #[error("{0} appears twice")]
    Duplicate(Field),
    #[error("{0} is empty")]
    Empty(Field),
    #[error("{field} is longer than {max} bytes")]
    TooLong { field: Field, max: usize },
    #[error("{0} holds control characters, surrounding spaces or invalid UTF-8")]
    NotPrintable(Field),
    #[error("{0} does not have the expected format")]
    Format(Field),
}

/// Jenis kelamin as printed: `L` (laki-laki) or `P` (perempuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }
}

/// The printed fields of an e-KTP, as the bridge read them from the chip. Every card the
/// decoder delivers passed [`EktpCard::validate`]. `Debug` masks the NIK, shows only the
/// name's length, and leaves out the birth date and address, so a stray `{:?}` cannot leak
/// who was at the kiosk.
#[derive(Clone, PartialEq, Eq)]
pub struct EktpCard {
    /// 16 digits. The kiosk validates the region code and date with `protocol::Nik`.
    pub nik: String,
    pub name: String,
    pub birth_place: String,
    pub birth_date: Date,
    pub sex: Sex,
    pub address: String,
    /// `RRR/WWW` as printed, e.g. `001/002`.
    pub rt_rw: String,
    pub village: String,
    pub district: String,
    pub religion: String,
    pub marital_status: String,
    pub occupation: String,
    pub nationality: String,
}

impl fmt::Debug for EktpCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EktpCard")
            .field("nik", &keep_ends(&self.nik))
            .field("name", &redact(&self.name))
            .field("sex", &self.sex)
            .field("village", &self.village)
            .field("district", &self.district)
            .finish_non_exhaustive()
    }
}

impl EktpCard {
    /// The value of a field as it goes on the wire.
    pub fn value(&self, field: Field) -> String {
        match field {
            Field::Nik => self.nik.clone(),
            Field::Name => self.name.clone(),
            Field::BirthPlace => self.birth_place.clone(),
            Field::BirthDate => format_date(self.birth_date),
            Field::Sex => self.sex.code().to_string(),
            Field::Address => self.address.clone(),
            Field::RtRw => self.rt_rw.clone(),
            Field::Village => self.village.clone(),
            Field::District => self.district.clone(),
            Field::Religion => self.religion.clone(),
            Field::MaritalStatus => self.marital_status.clone(),
            Field::Occupation => self.occupation.clone(),
            Field::Nationality => self.nationality.clone(),
        }
    }

    /// The same rules the decoder applies, so an encoder cannot send what a reader refuses.
    pub fn validate(&self) -> Result<(), FieldError> {
        for field in Field::ALL {
            check_value(field, &self.value(field))?;
        }
        Ok(())
    }

    /// Builds a card from field values, each checked at this boundary.
    fn from_values(values: &HashMap<Field, &str>) -> Result<EktpCard, FieldError> {
        let get = |field: Field| -> Result<String, FieldError> {
            let value = values.get(&field).ok_or(FieldError::Missing(field))?;
            check_value(field, value)?;
            Ok((*value).to_string())
        };
        let birth_date = parse_date(&get(Field::BirthDate)?)?;
        let sex = match get(Field::Sex)?.as_str() {
            "L" => Sex::Male,
            "P" => Sex::Female,
            _ => return Err(FieldError::Format(Field::Sex)),
        };
        Ok(EktpCard {
            nik: get(Field::Nik)?,
            name: get(Field::Name)?,
            birth_place: get(Field::BirthPlace)?,
            birth_date,
            sex,
            address: get(Field::Address)?,
            rt_rw: get(Field::RtRw)?,
            village: get(Field::Village)?,
            district: get(Field::District)?,
            religion: get(Field::Religion)?,
            marital_status: get(Field::MaritalStatus)?,
            occupation: get(Field::Occupation)?,
            nationality: get(Field::Nationality)?,
        })
    }
}

/// `DD-MM-YYYY`, as printed on the card.
fn format_date(date: Date) -> String {
    format!("{:02}-{:02}-{:04}", date.day(), u8::from(date.month()), date.year())
}

fn parse_date(text: &str) -> Result<Date, FieldError> {
    let bad = FieldError::Format(Field::BirthDate);
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[2] == b'-'
        && bytes[5] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 2 || i == 5 || b.is_ascii_digit());
    if !shape_ok {
        return Err(bad);
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u16>().map_err(|_| bad);
    let day = u8::try_from(number(0..2)?).map_err(|_| bad)?;
    let month = Month::try_from(u8::try_from(number(3..5)?).map_err(|_| bad)?).map_err(|_| bad)?;
    let year = number(6..10)?;
    if year < 1900 {
        return Err(bad);
    }
    Date::from_calendar_date(i32::from(year), month, day).map_err(|_| bad)
}

/// Field rules shared by the encoder and the decoder.
fn check_value(field: Field, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::Empty(field));
    }
    if value.len() > field.max_len() {
        return Err(FieldError::TooLong { field, max: field.max_len() });
    }
    if value.chars().any(char::is_control) || value.trim() != value {
        return Err(FieldError::NotPrintable(field));
    }
    let format_ok = match field {
        Field::Nik => value.len() == 16 && value.bytes().all(|b| b.is_ascii_digit()),
        Field::BirthDate => parse_date(value).is_ok(),
        Field::Sex => value == "L" || value == "P",
        Field::RtRw => value.split_once('/').is_some_and(|(rt, rw)| {
            [rt, rw].iter().all(|part| {
                (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
            })
        }),
        _ => true,
    };
    if format_ok { Ok(()) } else { Err(FieldError::Format(field)) }
}

/// Encodes a card as one frame, as a bridge sends it.
pub fn encode(card: &EktpCard) -> Result<Vec<u8>, FieldError> {
    card.validate()?;
    let values: Vec<(String, String)> =
        Field::ALL.iter().map(|field| (field.tag().to_string(), card.value(*field))).collect();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
    Ok(frame(&pairs))
}

/// Frames tag/value pairs without checking them: for simulators that must also send what a
/// faulty bridge would (unknown tags, bad values), and for conformance tests of firmware.
pub fn frame(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![STX];
    out.extend_from_slice(MAGIC);
    for (tag, value) in fields {
        out.push(US);
        out.extend_from_slice(tag.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
    out.push(US);
    let crc = CHECKSUM.checksum(&out[1..]);
    out.extend_from_slice(format!("{crc:04X}").as_bytes());
    out.push(ETX);
    out
}

/// Parses what lies between STX and ETX. The checksum is verified before anything else is
/// looked at.
fn parse_body(body: &[u8]) -> Result<EktpCard, Reject> {
    let split =
        body.iter().rposition(|b| *b == US).ok_or(Reject::Malformed("no checksum separator"))?;
    let (covered, crc_text) = body.split_at(split + 1);
    if crc_text.len() != 4 || !crc_text.iter().all(u8::is_ascii_hexdigit) {
        return Err(Reject::Malformed("checksum is not 4 hex digits"));
    }
    let crc_text = std::str::from_utf8(crc_text).map_err(|_| Reject::Malformed("checksum"))?;
    let sent =
        u16::from_str_radix(crc_text, 16).map_err(|_| Reject::Malformed("checksum is not hex"))?;
    if CHECKSUM.checksum(covered) != sent {
        return Err(Reject::BadChecksum);
    }
    // `covered` ends with the US before the checksum: drop it, then split the rest.
    let mut parts = covered[..covered.len() - 1].split(|b| *b == US);
    if parts.next() != Some(MAGIC) {
        return Err(Reject::Malformed("unknown frame type or version"));
    }
    let mut values: HashMap<Field, &str> = HashMap::new();
    for part in parts {
        let (tag, value) = match part {
            [a, b, b'=', value @ ..] => ([*a, *b], value),
            _ => return Err(Reject::Malformed("field is not TAG=value")),
        };
        if !tag.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return Err(Reject::Malformed("field tag is not two capitals or digits"));
        }
        // Unknown tags are skipped: a newer bridge may send more than this reader knows.
        let Some(field) = Field::from_tag(&tag) else { continue };
        let value = std::str::from_utf8(value)
            .map_err(|_| Reject::Field(FieldError::NotPrintable(field)))?;
        if values.insert(field, value).is_some() {
            return Err(Reject::Field(FieldError::Duplicate(field)));
        }
    }
    EktpCard::from_values(&values).map_err(Reject::Field)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between frames: bytes other than STX are noise.
    Idle,
    /// After STX, collecting the body.
    InFrame,
    /// The current frame was already refused (control byte, too long): skip to its end.
    Discard,
}

/// Incremental decoder: feed it chunks as they come off the wire, in any split.
///
/// - Bytes outside a frame are counted and reported as one [`Reject::Garbage`] when the next
///   frame starts or the line goes quiet. CR and LF between frames are ignored, as some
///   bridges end frames with a line break.
/// - A new STX inside a frame drops the partial frame ([`Reject::Truncated`]) and starts over.
/// - A frame not finished within the frame timeout is dropped ([`Reject::TimedOut`]).
#[derive(Debug)]
pub struct EktpDecoder {
    state: State,
    body: Vec<u8>,
    garbage: usize,
    last_byte: Option<Instant>,
    timeout: Duration,
}

impl EktpDecoder {
    pub fn new(timeout: Duration) -> EktpDecoder {
        EktpDecoder { state: State::Idle, body: Vec::new(), garbage: 0, last_byte: None, timeout }
    }

    /// Decodes one chunk; `now` is when it arrived.
    pub fn push(&mut self, bytes: &[u8], now: Instant) -> Vec<ReaderEvent> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        for &byte in bytes {
            self.byte(byte, &mut out);
        }
        if !bytes.is_empty() {
            self.last_byte = Some(now);
        }
        out
    }

    /// Drops a partial frame (and reports pending noise) once the line has been quiet for
    /// the frame timeout. Call it when a read times out.
    pub fn expire(&mut self, now: Instant) -> Vec<ReaderEvent> {
        let mut out = Vec::new();
        self.expire_into(now, &mut out);
        out
    }

    /// Forgets any partial frame and pending noise (the device went away).
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.body.clear();
        self.garbage = 0;
        self.last_byte = None;
    }

    fn expire_into(&mut self, now: Instant, out: &mut Vec<ReaderEvent>) {
        let Some(last) = self.last_byte else { return };
        if now.saturating_duration_since(last) < self.timeout {
            return;
        }
        if self.state == State::InFrame {
            out.push(rejected(Reject::TimedOut));
        }
        self.flush_garbage(out);
        self.state = State::Idle;
        self.body.clear();
        self.last_byte = None;
    }

    fn flush_garbage(&mut self, out: &mut Vec<ReaderEvent>) {
        if self.garbage > 0 {
            out.push(rejected(Reject::Garbage { bytes: self.garbage }));
            self.garbage = 0;
        }
    }

    fn byte(&mut self, byte: u8, out: &mut Vec<ReaderEvent>) {
        if byte == STX {
            if self.state == State::InFrame {
                out.push(rejected(Reject::Truncated));
            }
            self.flush_garbage(out);
            self.state = State::InFrame;
            self.body.clear();
            return;
        }
        match self.state {
            State::Idle => {
                if byte != b'\r' && byte != b'\n' {
                    self.garbage += 1;
                    // A device spewing noise is reported now and then, not only when it stops.
                    if self.garbage >= MAX_FRAME {
                        self.flush_garbage(out);
                    }
                }
            }
            State::Discard => {
                if byte == ETX {
                    self.state = State::Idle;
                }
            }
            State::InFrame => {
                if byte == ETX {
                    self.state = State::Idle;
                    let body = std::mem::take(&mut self.body);
                    match parse_body(&body) {
                        Ok(card) => {
                            tracing::debug!(bytes = body.len(), "e-KTP frame decoded");
                            out.push(ReaderEvent::Card(card));
                        }
                        Err(why) => out.push(rejected(why)),
                    }
                } else if (byte < 0x20 && byte != US) || byte == 0x7F {
                    out.push(rejected(Reject::Malformed("control byte inside a frame")));
                    self.body.clear();
                    self.state = State::Discard;
                } else if self.body.len() >= MAX_FRAME {
                    out.push(rejected(Reject::TooLong { max: MAX_FRAME }));
                    self.body.clear();
                    self.state = State::Discard;
                } else {
                    self.body.push(byte);
                }
            }
        }
    }
}

fn rejected(why: Reject) -> ReaderEvent {
    tracing::debug!(%why, "e-KTP input rejected");
    ReaderEvent::Rejected { why }
}

impl Decoder for EktpDecoder {
    fn feed(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<ReaderEvent>) {
        out.extend(self.push(bytes, now));
    }

    fn expire(&mut self, now: Instant, out: &mut Vec<ReaderEvent>) {
        self.expire_into(now, out);
    }

    fn reset(&mut self) {
        EktpDecoder::reset(self);
    }
}

/// A made-up card for simulators, demos and tests (Banyuwangi region code; not a real person).
pub fn sample_card() -> EktpCard {
    EktpCard {
        nik: "3510011203850001".into(),
        name: "BUDI SANTOSO".into(),
        birth_place: "BANYUWANGI".into(),
        birth_date: time::macros::date!(1985 - 03 - 12),
        sex: Sex::Male,
        address: "JL. KENANGA NO. 7".into(),
        rt_rw: "001/002".into(),
        village: "KEMIREN".into(),
        district: "GLAGAH".into(),
        religion: "ISLAM".into(),
        marital_status: "KAWIN".into(),
        occupation: "PETANI/PEKEBUN".into(),
        nationality: "WNI".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(decoder: &mut EktpDecoder, chunks: &[&[u8]]) -> Vec<ReaderEvent> {
        let now = Instant::now();
        chunks.iter().flat_map(|chunk| decoder.push(chunk, now)).collect()
    }

    fn decoder() -> EktpDecoder {
        EktpDecoder::new(DEFAULT_FRAME_TIMEOUT)
    }

    #[test]
    fn checksum_is_the_documented_crc() {
        assert_eq!(CHECKSUM.checksum(b"123456789"), 0x29B1);
    }

    /// The example in docs/hardware/ektp-framing.md, byte for byte: if this fails, the spec
    /// vendors build against is wrong.
    #[test]
    fn documented_example_frame_decodes() {
        let frame = encode(&sample_card()).unwrap();
        let hex: String = frame.iter().map(|b| format!("{b:02X}")).collect();
        let documented = include_str!("../../../docs/hardware/ektp-framing.md");
        let example: String = documented
            .split("<!-- example-frame-hex -->")
            .nth(1)
            .and_then(|rest| rest.split("<!-- /example-frame-hex -->").next())
            .expect("example markers")
            .lines()
            .filter(|line| !line.starts_with("```"))
            .flat_map(str::split_whitespace)
            .collect();
        assert_eq!(example, hex);
        assert_eq!(decode_all(&mut decoder(), &[&frame]), vec![ReaderEvent::Card(sample_card())]);
    }

    #[test]
    fn a_frame_split_at_every_position_decodes_once() {
        let frame = encode(&sample_card()).unwrap();
        for cut in 0..=frame.len() {
            let events = decode_all(&mut decoder(), &[&frame[..cut], &frame[cut..]]);
            assert_eq!(events, vec![ReaderEvent::Card(sample_card())], "cut at {cut}");
        }
    }

    #[test]
    fn garbage_is_counted_and_the_next_frame_still_decodes() {
        let frame = encode(&sample_card()).unwrap();
        let events = decode_all(&mut decoder(), &[b"\xFF\x00zzz\x03", &frame, b"\r\n"]);
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::Garbage { bytes: 6 } },
                ReaderEvent::Card(sample_card())
            ]
        );
    }

    #[test]
    fn a_bad_checksum_is_rejected_and_the_next_frame_decodes() {
        let mut bad = encode(&sample_card()).unwrap();
        let at = bad.len() - 2;
        bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
        let good = encode(&sample_card()).unwrap();
        let events = decode_all(&mut decoder(), &[&bad, &good]);
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::BadChecksum },
                ReaderEvent::Card(sample_card())
            ]
        );
    }

    #[test]
    fn a_lower_case_checksum_is_accepted() {
        let mut frame = encode(&sample_card()).unwrap();
        let end = frame.len() - 1;
        frame[end - 4..end].make_ascii_lowercase();
        assert_eq!(decode_all(&mut decoder(), &[&frame]), vec![ReaderEvent::Card(sample_card())]);
    }

    #[test]
    fn a_flipped_bit_in_a_field_fails_the_checksum() {
        let mut frame = encode(&sample_card()).unwrap();
        let at = frame.iter().position(|b| *b == b'B').unwrap();
        frame[at] = b'C';
        let events = decode_all(&mut decoder(), &[&frame]);
        assert_eq!(events, vec![ReaderEvent::Rejected { why: Reject::BadChecksum }]);
    }

    #[test]
    fn a_new_start_byte_drops_the_partial_frame() {
        let frame = encode(&sample_card()).unwrap();
        let events = decode_all(&mut decoder(), &[&frame[..40], &frame]);
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::Truncated },
                ReaderEvent::Card(sample_card())
            ]
        );
    }

    #[test]
    fn a_partial_frame_times_out_and_is_not_glued_to_the_next() {
        let frame = encode(&sample_card()).unwrap();
        let mut decoder = decoder();
        let start = Instant::now();
        assert!(decoder.push(&frame[..30], start).is_empty());
        assert!(decoder.expire(start + Duration::from_millis(100)).is_empty());
        assert_eq!(
            decoder.expire(start + DEFAULT_FRAME_TIMEOUT),
            vec![ReaderEvent::Rejected { why: Reject::TimedOut }]
        );
        // The rest of the old frame arrives late: it is noise now, and the frame after it is fine.
        let later = start + Duration::from_secs(2);
        let mut events = decoder.push(&frame[30..], later);
        events.extend(decoder.push(&frame, later));
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::Garbage { bytes: frame.len() - 30 } },
                ReaderEvent::Card(sample_card())
            ]
        );
    }

    #[test]
    fn a_late_chunk_expires_the_stale_frame_before_it_is_decoded() {
        let frame = encode(&sample_card()).unwrap();
        let mut decoder = decoder();
        let start = Instant::now();
        decoder.push(&frame[..30], start);
        let events = decoder.push(&frame, start + Duration::from_secs(1));
        assert_eq!(
            events,
            vec![ReaderEvent::Rejected { why: Reject::TimedOut }, ReaderEvent::Card(sample_card())]
        );
    }

    #[test]
    fn control_bytes_and_oversize_frames_are_skipped_to_their_end() {
        let good = encode(&sample_card()).unwrap();
        let mut with_control = good.clone();
        with_control[10] = 0x07;
        let mut oversize = vec![STX];
        oversize.extend(std::iter::repeat_n(b'A', MAX_FRAME + 10));
        oversize.push(ETX);
        let events = decode_all(&mut decoder(), &[&with_control, &oversize, &good]);
        assert_eq!(
            events,
            vec![
                ReaderEvent::Rejected { why: Reject::Malformed("control byte inside a frame") },
                ReaderEvent::Rejected { why: Reject::TooLong { max: MAX_FRAME } },
                ReaderEvent::Card(sample_card())
            ]
        );
    }

    fn fields_with(replace: Field, value: &str) -> Vec<(String, String)> {
        let card = sample_card();
        Field::ALL
            .iter()
            .map(|f| {
                let v = if *f == replace { value.to_string() } else { card.value(*f) };
                (f.tag().to_string(), v)
            })
            .collect()
    }

    fn decode_fields(fields: &[(String, String)]) -> Vec<ReaderEvent> {
        let pairs: Vec<(&str, &str)> =
            fields.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
        decode_all(&mut decoder(), &[&frame(&pairs)])
    }

    #[test]
    fn fields_are_validated_at_the_boundary() {
        let cases = [
            (Field::Nik, "351001120385000", FieldError::Format(Field::Nik)),
            (Field::Nik, "35100112038500X1", FieldError::Format(Field::Nik)),
            (Field::BirthDate, "31-02-1985", FieldError::Format(Field::BirthDate)),
            (Field::BirthDate, "1985-03-12", FieldError::Format(Field::BirthDate)),
            (Field::Sex, "X", FieldError::Format(Field::Sex)),
            (Field::RtRw, "001-002", FieldError::Format(Field::RtRw)),
            (Field::Name, "", FieldError::Empty(Field::Name)),
            (Field::Name, " BUDI", FieldError::NotPrintable(Field::Name)),
            (
                Field::Address,
                &"A".repeat(121),
                FieldError::TooLong { field: Field::Address, max: 120 },
            ),
        ];
        for (field, value, expected) in cases {
            assert_eq!(
                decode_fields(&fields_with(field, value)),
                vec![ReaderEvent::Rejected { why: Reject::Field(expected) }],
                "{field:?} = {value:?}"
            );
        }
    }

    #[test]
    fn missing_duplicate_and_unknown_tags() {
        let mut missing = fields_with(Field::Name, "X");
        missing.retain(|(tag, _)| tag != "KW");
        assert_eq!(
            decode_fields(&missing),
            vec![ReaderEvent::Rejected {
                why: Reject::Field(FieldError::Missing(Field::Nationality))
            }]
        );
        let mut twice = fields_with(Field::Name, "BUDI SANTOSO");
        twice.push(("NK".into(), "3510011203850002".into()));
        assert_eq!(
            decode_fields(&twice),
            vec![ReaderEvent::Rejected { why: Reject::Field(FieldError::Duplicate(Field::Nik)) }]
        );
        let mut newer = fields_with(Field::Name, "BUDI SANTOSO");
        newer.push(("GD".into(), "O".into()));
        assert_eq!(decode_fields(&newer), vec![ReaderEvent::Card(sample_card())]);
    }

    #[test]
    fn encoder_refuses_what_the_decoder_would() {
        let mut card = sample_card();
        card.sex = Sex::Female;
        card.nik = "12".into();
        assert_eq!(encode(&card), Err(FieldError::Format(Field::Nik)));
    }

    #[test]
    fn debug_masks_personal_fields() {
        let text = format!("{:?}", sample_card());
        assert!(text.contains("3510********0001"), "{text}");
        assert!(text.contains(r#"name: "<12 chars>""#), "{text}");
        for secret in ["3510011203850001", "BUDI", "SANTOSO", "KENANGA", "1985"] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        // Printable, Latin-1 letters included, no surrounding spaces.
        proptest::string::string_regex("[A-Z0-9À-ÿ]([A-Za-z0-9À-ÿ ,./'()-]{0,28}[A-Z0-9.)])?")
            .unwrap()
            .prop_filter("fits", move |s| s.len() <= max)
    }

    prop_compose! {
        fn any_card()(
            nik in "[0-9]{16}",
            name in text(80), birth_place in text(50),
            day in 1u8..=28, month in 1u8..=12, year in 1900i32..=2030,
            female in any::<bool>(),
            address in text(120), rt in "[0-9]{1,3}", rw in "[0-9]{1,3}",
            village in text(60), district in text(60), religion in text(30),
            marital_status in text(30), occupation in text(60), nationality in text(30),
        ) -> EktpCard {
            let month = Month::try_from(month).unwrap();
            EktpCard {
                nik, name, birth_place,
                birth_date: Date::from_calendar_date(year, month, day).unwrap(),
                sex: if female { Sex::Female } else { Sex::Male },
                address, rt_rw: format!("{rt}/{rw}"), village, district, religion,
                marital_status, occupation, nationality,
            }
        }
    }

    proptest! {
        #[test]
        fn decoder_never_panics(chunks in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..200), 0..20)
        ) {
            let mut decoder = decoder();
            let start = Instant::now();
            for (i, chunk) in chunks.iter().enumerate() {
                let now = start + Duration::from_millis(200 * i as u64);
                let _ = decoder.push(chunk, now);
            }
        }

        #[test]
        fn any_valid_card_round_trips_in_any_split(card in any_card(), cut in any::<prop::sample::Index>()) {
            let frame = encode(&card).unwrap();
            prop_assert!(frame.len() - 2 <= MAX_FRAME);
            let cut = cut.index(frame.len() + 1);
            let events = decode_all(&mut decoder(), &[&frame[..cut], &frame[cut..]]);
            prop_assert_eq!(events, vec![ReaderEvent::Card(card)]);
        }
    }
}
