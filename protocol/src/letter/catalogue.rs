//! Letter types as data: what a kiosk is told about each letter it may offer (pushed in its
//! configuration, like the services), so adding a type at the centre needs no new kiosk.
//!
//! The templates and the rules that decide a request stay with the central service
//! (backend/data/letters); a kiosk gets the name, who may ask, and the fields to ask for.

use serde::{Deserialize, Serialize};

use crate::lang::Text;

/// A letter type's code: 2 to 32 of `a-z 0-9 _` (`sktm`, `pengantar_skck`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "sktm"))]
pub struct LetterCode(String);

impl LetterCode {
    pub fn parse(text: &str) -> Option<LetterCode> {
        let valid = (2..=32).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        valid.then(|| LetterCode(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LetterCode {
    type Error = String;
    fn try_from(text: String) -> Result<LetterCode, String> {
        LetterCode::parse(&text)
            .ok_or_else(|| format!("letter type {text:?}: use 2-32 of a-z 0-9 _"))
    }
}

impl From<LetterCode> for String {
    fn from(code: LetterCode) -> String {
        code.0
    }
}

impl std::fmt::Display for LetterCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who may ask for a letter about a family or a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Applicant {
    /// The person the letter is about.
    #[default]
    Person,
    /// The head of the family (the SKTM, a letter about the whole KK).
    HeadOfFamily,
}

/// How a field's answer is typed and checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FieldKind {
    /// Words, on the kiosk's letter keyboard.
    #[default]
    Text,
    /// Digits only (a NIK of a child, a year), on the number pad.
    Digits,
    /// A date, typed `DD-MM-YYYY` on the number pad, kept as `YYYY-MM-DD`.
    Date,
}

/// One thing the citizen answers for a letter type (the purpose, a business's name, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldSpec {
    /// Name in the request and in the template: `purpose`, `business_name`.
    pub key: String,
    pub label: Text,
    /// An example shown under the input.
    #[serde(default)]
    pub hint: Option<Text>,
    #[serde(default)]
    pub kind: FieldKind,
    /// Longest answer in characters.
    pub max: u16,
    #[serde(default = "required")]
    pub required: bool,
}

fn required() -> bool {
    true
}

/// A letter type as a kiosk offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterType {
    pub code: LetterCode,
    pub name: Text,
    #[serde(default)]
    pub applicant: Applicant,
    pub fields: Vec<FieldSpec>,
    /// Shown when the type is chosen: what the letter is for and when it waits for staff.
    #[serde(default)]
    pub note: Option<Text>,
}

impl FieldSpec {
    /// An answer as it is kept and printed: control characters gone, white space folded,
    /// checked against the field's kind and length; or the reason in both languages.
    pub fn clean(&self, raw: &str) -> Result<String, Text> {
        let folded = fold(raw);
        let length = folded.chars().count();
        if folded.is_empty() {
            return if self.required {
                Err(Text::new(
                    format!("{} wajib diisi.", self.label.id),
                    format!("{} is required.", self.label.en),
                ))
            } else {
                Ok(folded)
            };
        }
        if length > usize::from(self.max) {
            return Err(Text::new(
                format!("{} paling banyak {} huruf.", self.label.id, self.max),
                format!("{} may have at most {} characters.", self.label.en, self.max),
            ));
        }
        match self.kind {
            FieldKind::Text => Ok(folded),
            FieldKind::Digits if folded.bytes().all(|b| b.is_ascii_digit()) => Ok(folded),
            FieldKind::Digits => Err(Text::new(
                format!("{} hanya berisi angka.", self.label.id),
                format!("{} takes digits only.", self.label.en),
            )),
            FieldKind::Date => match date(&folded) {
                Ok(date) => Ok(date),
                Err(DateProblem::Shape) => Err(Text::new(
                    format!("{}: tulis tanggal sebagai HH-BB-TTTT.", self.label.id),
                    format!("{}: write the date as DD-MM-YYYY.", self.label.en),
                )),
                Err(DateProblem::NoSuchDay) => Err(Text::new(
                    format!("{}: tanggal {folded} tidak ada di kalender.", self.label.id),
                    format!("{}: {folded} is not a day of the calendar.", self.label.en),
                )),
            },
        }
    }
}

fn fold(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a date answer is refused: not written as a date at all, or a day that does not exist.
enum DateProblem {
    Shape,
    NoSuchDay,
}

/// `DD-MM-YYYY` (or already `YYYY-MM-DD`) as `YYYY-MM-DD`, when it is a real date.
fn date(text: &str) -> Result<String, DateProblem> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return Err(DateProblem::Shape) };
    let (year, month, day) = if a.len() == 4 { (*a, *b, *c) } else { (*c, *b, *a) };
    let number = |part: &str| part.parse::<u16>().map_err(|_| DateProblem::Shape);
    let (y, m, d) = (number(year)?, number(month)?, number(day)?);
    if year.len() != 4 || !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
        return Err(DateProblem::Shape);
    }
    let valid = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .zip(u8::try_from(d).ok())
        .is_some_and(|(month, day)| {
            time::Date::from_calendar_date(i32::from(y), month, day).is_ok()
        });
    if !valid {
        return Err(DateProblem::NoSuchDay);
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, max: u16) -> FieldSpec {
        FieldSpec {
            key: "x".into(),
            label: Text::new("Nama usaha", "Business name"),
            hint: None,
            kind,
            max,
            required: true,
        }
    }

    #[test]
    fn codes_are_short_lowercase_words() {
        assert!(LetterCode::parse("pengantar_skck").is_some());
        for bad in ["", "a", "SKTM", "sk tm", "sktm;", &"a".repeat(33)] {
            assert!(LetterCode::parse(bad).is_none(), "{bad:?}");
        }
        assert!(serde_json::from_str::<LetterCode>(r#""sktm""#).is_ok());
        assert!(serde_json::from_str::<LetterCode>(r#""../x""#).is_err());
    }

    #[test]
    fn answers_are_folded_and_checked_by_kind() {
        let text = field(FieldKind::Text, 20);
        assert_eq!(text.clean("  Warung\x1b  Bu Siti\n").as_deref(), Ok("Warung Bu Siti"));
        assert!(text.clean(" \x07 ").expect_err("empty").id.contains("wajib"));
        assert!(text.clean(&"a".repeat(21)).expect_err("long").en.contains("20"));
        let digits = field(FieldKind::Digits, 4);
        assert_eq!(digits.clean("2019").as_deref(), Ok("2019"));
        assert!(digits.clean("20a9").is_err());
        let date = field(FieldKind::Date, 10);
        assert_eq!(date.clean("07-12-2026").as_deref(), Ok("2026-12-07"));
        assert_eq!(date.clean("2026-12-07").as_deref(), Ok("2026-12-07"));
        let no_day = date.clean("31-02-2026").expect_err("no 31 February");
        assert!(no_day.id.contains("tidak ada") && no_day.en.contains("not a day"), "{no_day:?}");
        let shape = date.clean("2026").expect_err("not a date");
        assert!(shape.id.contains("HH-BB-TTTT"), "{shape:?}");
        let optional = FieldSpec { required: false, ..field(FieldKind::Text, 5) };
        assert_eq!(optional.clean("  ").as_deref(), Ok(""));
    }
}
