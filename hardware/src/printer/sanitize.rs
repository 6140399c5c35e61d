//! Making text from data safe and printable.
//!
//! Names and addresses come from citizens and registries. A control byte in them (ESC, GS,
//! DLE, ...) would be read by the printer as the start of a command: it could cut the paper,
//! reset the printer, or open a cash drawer. Every text that enters a [`Document`] goes
//! through [`sanitize`], which leaves printable ASCII only. Receipt printers' code pages
//! differ from model to model; plain ASCII prints the same on all of them, and Indonesian
//! needs no other letters. Everything else is transliterated (`é` -> `e`, `’` -> `'`).
//!
//! [`Document`]: crate::printer::Document

/// Printable ASCII only: controls removed, tabs and line breaks become spaces, other
/// characters transliterated (or `?` when there is no sensible ASCII form).
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            ' '..='~' => out.push(ch),
            '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            ch if ch.is_control() => {}
            '·' | '•' => out.push('-'),
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
    }

    #[test]
    fn indonesian_text_is_kept_and_typography_transliterated() {
        assert_eq!(
            sanitize("Jl. Raya Jember No. 12, RT 003/RW 001"),
            "Jl. Raya Jember No. 12, RT 003/RW 001"
        );
        assert_eq!(sanitize("Ma’ruf “Amin” – Café"), "Ma'ruf \"Amin\" - Cafe");
        assert_eq!(sanitize("ibu hamil · aktif"), "ibu hamil - aktif");
        assert_eq!(sanitize("a\tb\nc"), "a b c");
    }
}
