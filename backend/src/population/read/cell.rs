//! One cell of a row, whatever the file kind, and how a cell becomes text, a 16-digit
//! number or a date.
//!
//! CSV cells are always text. Spreadsheet cells may be numbers, and a number is where a NIK
//! goes wrong: Excel keeps 15 significant digits, so a NIK typed into a number cell loses its
//! last digit (it becomes 0), and an `f64` holds every integer exactly only up to 2^53.

use std::borrow::Cow;

use time::{Date, Month};

/// A cell as the validator sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    /// A spreadsheet cell formatted as a date (already converted from its serial number).
    Date(Date),
}

impl Cell<'_> {
    /// The cell as text, trimmed, without the leading apostrophe spreadsheets use to keep
    /// digits as text; numbers without a fraction print as integers.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(text) => Cow::Borrowed(text.trim().trim_start_matches('\'').trim()),
            Cell::Number(number) => Cow::Owned(number_text(*number)),
            Cell::Date(date) => Cow::Owned(date.to_string()),
        }
    }

    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e17 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

/// Why a cell meant to hold a NIK or KK number cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DigitsCell {
    Empty,
    /// The cell's text, cleaned of spaces, invisible characters and the leading apostrophe;
    /// still to be parsed.
    Text(String),
    /// A number that may not be the one the village typed (see the module doc).
    Imprecise(String),
}

/// 2^53: every integer up to here is exact in an `f64`.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A NIK or KK cell. Text keeps only what can be part of the number's spelling (OpenSID
/// strips invisible characters from Dukcapil's files too); a number is taken only when it
/// is certainly the digits that were typed: integral, below 2^53, and not ending in the 0
/// Excel puts in place of a 16th digit.
pub(crate) fn digits(cell: &Cell<'_>) -> DigitsCell {
    match cell {
        Cell::Empty => DigitsCell::Empty,
        Cell::Number(number) => {
            let shown = number_text(*number);
            let integral = number.fract() == 0.0 && *number > 0.0;
            let sixteen_digits = integral && *number >= 1e15 && *number < 1e16;
            if sixteen_digits && (*number > EXACT_LIMIT || (*number as u64).is_multiple_of(10)) {
                return DigitsCell::Imprecise(shown);
            }
            DigitsCell::Text(shown)
        }
        Cell::Date(_) | Cell::Text(_) => {
            let text = cell.text();
            let cleaned: String =
                text.chars().filter(|c| !c.is_whitespace() && !is_invisible(*c)).collect();
            if cleaned.is_empty() || cleaned == "-" {
                return DigitsCell::Empty;
            }
            if looks_scientific(&cleaned) {
                return DigitsCell::Imprecise(cleaned);
            }
            DigitsCell::Text(cleaned)
        }
    }
}

/// `3.51001E+15`: a number a spreadsheet printed in scientific notation, digits lost.
fn looks_scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return false;
    };
    let mantissa_ok = !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    let exponent = exponent.trim_start_matches('+');
    mantissa_ok && !exponent.is_empty() && exponent.chars().all(|c| c.is_ascii_digit())
}

/// Zero-width and byte-order characters Dukcapil exports are known to carry.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}')
}

/// Free text as the registry keeps it: control and invisible characters out, runs of white
/// space as one space, trimmed. `Err(length)` when longer than `max` characters.
pub(crate) fn clean_text(cell: &Cell<'_>, max: usize) -> Result<String, usize> {
    let text = cell.text();
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    let length = out.chars().count();
    if length > max { Err(length) } else { Ok(out) }
}

/// A date cell: a spreadsheet date, a serial number (1900 system), or text as
/// `dd-mm-yyyy`, `dd/mm/yyyy`, `dd.mm.yyyy` or `yyyy-mm-dd` (a time after it is ignored).
/// `Ok(None)` for an empty cell.
pub(crate) fn date(cell: &Cell<'_>) -> Result<Option<Date>, ()> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(date) => Ok(Some(*date)),
        Cell::Number(serial) => serial_date(*serial).map(Some),
        Cell::Text(_) => {
            let text = cell.text();
            if text.is_empty() || text == "-" {
                return Ok(None);
            }
            text_date(&text).map(Some)
        }
    }
}

fn text_date(text: &str) -> Result<Date, ()> {
    let day_part = text.split([' ', 'T']).next().unwrap_or("");
    let parts: Vec<&str> = day_part.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return Err(()) };
    let number = |part: &str, max_len: usize| -> Result<u32, ()> {
        if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        part.parse().map_err(|_| ())
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a, 4)?, number(b, 2)?, number(c, 2)?)
    } else if c.len() == 4 {
        (number(c, 4)?, number(b, 2)?, number(a, 2)?)
    } else {
        return Err(());
    };
    calendar(year as i32, month, day)
}

fn calendar(year: i32, month: u32, day: u32) -> Result<Date, ()> {
    let month = Month::try_from(u8::try_from(month).map_err(|_| ())?).map_err(|_| ())?;
    Date::from_calendar_date(year, month, u8::try_from(day).map_err(|_| ())?).map_err(|_| ())
}

/// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the 29 February 1900
/// that never was (Lotus 1-2-3's bug, kept for compatibility).
pub(crate) fn serial_date(serial: f64) -> Result<Date, ()> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return Err(());
    }
    let days = serial.floor() as i64;
    let epoch = Date::from_calendar_date(1899, Month::December, 30).map_err(|_| ())?;
    let offset = match days {
        60 => return Err(()),
        1..=59 => days + 1,
        _ => days,
    };
    epoch.checked_add(time::Duration::days(offset)).ok_or(())
}

/// A NIK or KK cell as reports show it: the first four and last four characters, the rest
/// starred (`3510********0001` for a 16-digit number), so a report never carries a whole
/// number, valid or not.
pub(crate) fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let middle = "*".repeat(chars.len() - 8);
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{middle}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn text(value: &str) -> Cell<'_> {
        Cell::Text(Cow::Borrowed(value))
    }

    #[test]
    fn digits_from_text_lose_apostrophes_spaces_and_invisible_characters() {
        assert_eq!(digits(&text("'3510011203850001")), DigitsCell::Text("3510011203850001".into()));
        assert_eq!(
            digits(&text(" 3510 0112 0385 0001\u{200B} ")),
            DigitsCell::Text("3510011203850001".into())
        );
        assert_eq!(digits(&text("")), DigitsCell::Empty);
        assert_eq!(digits(&text("-")), DigitsCell::Empty);
        assert_eq!(digits(&text("3.51001E+15")), DigitsCell::Imprecise("3.51001E+15".into()));
    }

    #[test]
    fn a_number_is_a_nik_only_when_it_cannot_have_been_rounded() {
        assert_eq!(
            digits(&Cell::Number(3_510_011_203_850_001.0)),
            DigitsCell::Text("3510011203850001".into())
        );
        // Excel's 15 significant digits: the 16th became 0.
        assert_eq!(
            digits(&Cell::Number(3_510_011_203_850_000.0)),
            DigitsCell::Imprecise("3510011203850000".into())
        );
        // Above 2^53 (a Papua NIK) an f64 cannot tell neighbouring numbers apart.
        assert!(matches!(digits(&Cell::Number(9_101_011_203_850_001.0)), DigitsCell::Imprecise(_)));
        assert_eq!(digits(&Cell::Number(12.0)), DigitsCell::Text("12".into()));
    }

    #[test]
    fn dates_come_as_serials_or_in_the_spellings_villages_use() {
        for cell in [
            text("12-03-1985"),
            text("12/03/1985"),
            text("12.3.1985"),
            text("1985-03-12"),
            text("1985-03-12 00:00:00"),
            text("'12-03-1985"),
            Cell::Number(31_118.0),
            Cell::Date(date!(1985 - 03 - 12)),
        ] {
            assert_eq!(date(&cell), Ok(Some(date!(1985 - 03 - 12))), "{cell:?}");
        }
        assert_eq!(date(&Cell::Number(1.0)), Ok(Some(date!(1900 - 01 - 01))));
        assert_eq!(date(&Cell::Number(61.0)), Ok(Some(date!(1900 - 03 - 01))));
        assert_eq!(date(&text("")), Ok(None));
        for bad in ["31-02-1985", "12-03-85", "1985/3", "kemarin", "12-13-1985"] {
            assert_eq!(date(&text(bad)), Err(()), "{bad}");
        }
        assert_eq!(date(&Cell::Number(60.0)), Err(()));
    }

    #[test]
    fn text_is_cleaned_and_limited() {
        assert_eq!(
            clean_text(&text("  BUDI\t\u{0007} SANTOSO\r\n"), 20),
            Ok("BUDI SANTOSO".into())
        );
        assert_eq!(clean_text(&text("ABCDEF"), 5), Err(6));
        assert_eq!(clean_text(&Cell::Number(4.0), 5), Ok("4".into()));
    }

    #[test]
    fn masks_keep_four_and_four() {
        assert_eq!(mask("3510011203850001"), "3510********0001");
        assert_eq!(mask("351001120385000"), "3510*******5000");
        assert_eq!(mask("12345"), "*****");
    }
}
