//! Making text from data safe and printable.
//!
//! Names and addresses come from citizens and registries. A control byte in them (ESC, GS,
//! DLE, ...) would be read by the printer as the start of a command: it could cut the paper,
//! reset the printer, or open a cash drawer. Every text that enters a [`Document`] goes
//! through [`sanitize_for`], which leaves only characters the printer's code page shows as a
//! glyph: printable ASCII plus the accented letters of the selected [`CodePage`]. Everything
//! else is transliterated (`’` -> `'`, `–` -> `-`, `ş` -> `s`) or, with no sensible form, `?`.
//!
//! [`Document`]: crate::printer::Document

use crate::printer::codepage::CodePage;

/// Printable ASCII only: controls removed, tabs and line breaks become spaces, other
/// characters transliterated (or `?` when there is no sensible ASCII form). For QR and
/// barcode payloads, and printers set to [`CodePage::Ascii`].
pub fn sanitize(text: &str) -> String {
    sanitize_for(text, CodePage::Ascii)
}

/// Text the printer shows as written with `page` selected: one glyph per character, never
/// a control byte, so the column count of the result is its `chars().count()`.
pub fn sanitize_for(text: &str, page: CodePage) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            ' '..='~' => out.push(ch),
            // Line and paragraph breaks and Unicode spaces (NBSP, thin space, ...).
            ch if ch.is_whitespace() => out.push(' '),
            ch if ch.is_control() => {}
            // Soft hyphen, zero-width joiners and marks, BOM: invisible in the source too.
            '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' => {}
            // A middle dot or bullet is a speck on thermal paper; a dash reads.
            '·' | '•' | '∙' => out.push('-'),
            ch if page.encode(ch).is_some() => out.push(ch),
            ch => {
                let ascii = deunicode::deunicode_char(ch).unwrap_or("?");
                out.extend(ascii.chars().filter(|c| (' '..='~').contains(c)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_never_survive() {
        assert_eq!(sanitize("BUDI\x1b@\x1dV\x00"), "BUDI@V");
        assert_eq!(sanitize("A\x10\x04\x01B\x7f\u{9b}C"), "ABC");
        assert_eq!(sanitize_for("BUDI\x1b@\x1dV\x00", CodePage::Pc858), "BUDI@V");
    }

    #[test]
    fn indonesian_text_is_kept_and_typography_transliterated() {
        assert_eq!(
            sanitize("Jl. Raya Jember No. 12, RT 003/RW 001"),
            "Jl. Raya Jember No. 12, RT 003/RW 001"
        );
        assert_eq!(sanitize("Ma’ruf “Amin” – Café"), "Ma'ruf \"Amin\" - Cafe");
        assert_eq!(sanitize("ibu hamil · aktif"), "ibu hamil - aktif");
        assert_eq!(sanitize("a\tb\nc\u{a0}d"), "a b c d");
    }

    #[test]
    fn accents_the_code_page_holds_are_printed_as_such() {
        assert_eq!(sanitize_for("Ma’ruf “Amin” – Café", CodePage::Pc437), "Ma'ruf \"Amin\" - Café");
        assert_eq!(sanitize_for("Sebastião Müller", CodePage::Pc437), "Sebastiao Müller");
        assert_eq!(sanitize_for("Sebastião Müller", CodePage::Pc858), "Sebastião Müller");
        assert_eq!(sanitize_for("Şükrü\u{ad}", CodePage::Pc437), "Sükrü");
    }

    #[test]
    fn every_result_is_printable_in_its_page() {
        let nasty = "\u{0}\u{1b}t\u{7f}\u{85}\u{9b}é€ı’\u{202e}\u{200b}\u{1f600}漢";
        for page in CodePage::ALL {
            let clean = sanitize_for(nasty, page);
            assert!(clean.chars().all(|c| page.encode(c).is_some()), "{page:?}: {clean:?}");
        }
    }
}
