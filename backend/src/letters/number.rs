//! Letter numbers: per desa, per type and per year, in a format the desa chooses.
//!
//! The default is OpenSID's, which most villages already number with:
//! `[kode]/[nomor, 3]/[kode_desa]/[bulan_romawi]/[tahun]` gives `470/012/35.10.15.2001/XII/2026`.
//! The sequence itself comes from a counter row bumped in the issuing transaction
//! (`store::letters`), so numbers are gapless and unique however many kiosks issue at once.

use protocol::letter::document::MONTHS_ROMAN;
use protocol::region::dotted_village;

/// Today in the desa's own time zone: a letter issued at 06:30 WIB is dated that day, not
/// the UTC day before.
pub fn desa_today(desa_code: u64, now: time::OffsetDateTime) -> time::Date {
    now.to_offset(desa_zone(desa_code).0).date()
}

/// The desa's time zone and its name. The province decides: WIB (UTC+7) for Sumatra, Java
/// and West and Central Kalimantan, WITA (UTC+8) for Bali, Nusa Tenggara, the rest of
/// Kalimantan and Sulawesi, WIT (UTC+9) for Maluku and Papua.
pub fn desa_zone(desa_code: u64) -> (time::UtcOffset, &'static str) {
    let province = desa_code / 100_000_000;
    let (hours, name) = match province {
        51..=53 | 63..=65 | 71..=76 => (8, "WITA"),
        81..=82 | 91..=99 => (9, "WIT"),
        _ => (7, "WIB"),
    };
    (time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC), name)
}

/// OpenSID's default format.
pub const DEFAULT_FORMAT: &str = "[kode]/[nomor, 3]/[kode_desa]/[bulan_romawi]/[tahun]";

/// A checked number format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// The classification code of the letter type (`470`).
    Code,
    /// The sequence, zero-padded to this many digits.
    Sequence(usize),
    /// `35.10.15.2001`.
    DesaCode,
    MonthRoman,
    /// `12`.
    Month,
    Year,
}

/// What goes into one number.
#[derive(Debug, Clone, Copy)]
pub struct NumberParts<'a> {
    pub code: &'a str,
    pub sequence: u64,
    pub desa_code: u64,
    pub year: i32,
    /// 1-12.
    pub month: u8,
}

impl NumberFormat {
    /// Reads a format; it must hold `[nomor]` (or `[nomor, N]`, N of 1-6) exactly once,
    /// else two letters could get the same number.
    pub fn parse(text: &str) -> Result<NumberFormat, String> {
        let mut parts = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() || rest.len() > 100 {
            return Err("a number format is 1 to 100 characters".into());
        }
        while let Some(open) = rest.find('[') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let close = rest[open..]
                .find(']')
                .map(|at| open + at)
                .ok_or_else(|| format!("unclosed [ in {text:?}"))?;
            let token = rest[open + 1..close].trim().to_ascii_lowercase();
            parts.push(token_part(&token)?);
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if parts
            .iter()
            .any(|part| matches!(part, Part::Text(text) if text.chars().any(char::is_control)))
        {
            return Err("a number format holds no control characters".into());
        }
        let sequences = parts.iter().filter(|part| matches!(part, Part::Sequence(_))).count();
        if sequences != 1 {
            return Err(format!("{text:?} must hold [nomor] exactly once"));
        }
        Ok(NumberFormat { parts })
    }

    pub fn format(&self, number: NumberParts<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Code => out.push_str(number.code),
                Part::Sequence(width) => out.push_str(&format!("{:0width$}", number.sequence)),
                Part::DesaCode => out.push_str(&dotted_village(number.desa_code)),
                Part::MonthRoman => {
                    let index = usize::from(number.month.clamp(1, 12)) - 1;
                    out.push_str(MONTHS_ROMAN[index]);
                }
                Part::Month => out.push_str(&format!("{:02}", number.month)),
                Part::Year => out.push_str(&number.year.to_string()),
            }
        }
        out
    }
}

impl Default for NumberFormat {
    fn default() -> NumberFormat {
        NumberFormat::parse(DEFAULT_FORMAT).unwrap_or_else(|_| unreachable!("the default parses"))
    }
}

fn token_part(token: &str) -> Result<Part, String> {
    Ok(match token {
        "kode" | "kode_surat" => Part::Code,
        "kode_desa" => Part::DesaCode,
        "bulan_romawi" => Part::MonthRoman,
        "bulan" => Part::Month,
        "tahun" => Part::Year,
        "nomor" | "nomor_surat" => Part::Sequence(1),
        other => {
            let width = other
                .strip_prefix("nomor")
                .and_then(|rest| rest.trim_start_matches("_surat").trim().strip_prefix(','))
                .and_then(|width| width.trim().parse::<usize>().ok())
                .filter(|width| (1..=6).contains(width))
                .ok_or_else(|| {
                    format!(
                        "[{other}] is not one of [kode], [nomor], [nomor, N], [kode_desa], \
                         [bulan_romawi], [bulan], [tahun]"
                    )
                })?;
            Part::Sequence(width)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(sequence: u64) -> NumberParts<'static> {
        NumberParts { code: "470", sequence, desa_code: 3510152001, year: 2026, month: 12 }
    }

    #[test]
    fn a_letter_is_dated_in_the_desas_time_zone() {
        let early = time::macros::datetime!(2026-12-07 23:30 UTC); // 06:30 WIB on the 8th
        assert_eq!(desa_today(3510152001, early), time::macros::date!(2026 - 12 - 08));
        let bali = time::macros::datetime!(2026-12-07 15:30 UTC); // 23:30 WITA
        assert_eq!(desa_today(5171012001, bali), time::macros::date!(2026 - 12 - 07));
        let papua = time::macros::datetime!(2026-12-07 15:30 UTC); // 00:30 WIT
        assert_eq!(desa_today(9171012001, papua), time::macros::date!(2026 - 12 - 08));
    }

    #[test]
    fn the_default_is_opensids() {
        let format = NumberFormat::default();
        assert_eq!(format.format(parts(12)), "470/012/35.10.15.2001/XII/2026");
        assert_eq!(format.format(parts(1234)), "470/1234/35.10.15.2001/XII/2026");
    }

    #[test]
    fn a_desa_may_number_its_own_way() {
        let format = NumberFormat::parse("B/[nomor,4]/[kode]/[bulan]/[tahun]").expect("valid");
        assert_eq!(format.format(parts(7)), "B/0007/470/12/2026");
        let plain = NumberFormat::parse("[NOMOR]/DS/[tahun]").expect("tokens in any case");
        assert_eq!(plain.format(parts(31)), "31/DS/2026");
    }

    #[test]
    fn a_format_without_exactly_one_sequence_is_refused() {
        for bad in [
            "[kode]/[tahun]",
            "[nomor]/[nomor]",
            "[kode/[nomor]",
            "[nomor, 9]",
            "[nama]/[nomor]",
            "",
            "[nomor]/\u{7}",
        ] {
            assert!(NumberFormat::parse(bad).is_err(), "{bad:?}");
        }
    }
}
