//! The printer's character tables: which characters a receipt can carry besides ASCII.
//!
//! Indonesian needs only ASCII, but names and addresses from registries carry `é`, `ü`, `ñ`
//! and the like. ESC/POS printers hold 8-bit code pages selected with `ESC t n`; PC437 is
//! the power-on default of nearly every model and PC858 (PC850 with `€`) is on Epson and
//! most clones. A character the selected page holds is printed as its byte; everything else
//! is transliterated by [`sanitize`](crate::printer::sanitize).
//!
//! The tables are ours rather than the `escpos` crate's: its PC858 table (0.20) maps `-` to
//! 0xF0 (a soft hyphen) and loses `¿` and `Ò`. One table serves the renderer, the decoder and
//! the preview, so what is decoded is what the printer would show.

/// An 8-bit character table of the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CodePage {
    /// Plain ASCII, no `ESC t`: for printers whose code pages are unknown or broken.
    Ascii,
    /// PC437 (USA, standard Europe), `ESC t 0`: every ESC/POS printer has it.
    #[default]
    Pc437,
    /// PC858 (multilingual Latin I with `€`), `ESC t 19`: more accented capitals.
    Pc858,
}

/// PC437 0x80..=0xFF.
const PC437: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// PC858 0x80..=0xFF (PC850 with `€` at 0xD5 in place of the dotless `ı`).
const PC858: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', //
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', //
    'ð', 'Ð', 'Ê', 'Ë', 'È', '€', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', //
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', //
    '\u{ad}', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■', '\u{a0}',
];

impl CodePage {
    /// Every selectable table, for configuration and tests.
    pub const ALL: [CodePage; 3] = [CodePage::Ascii, CodePage::Pc437, CodePage::Pc858];

    /// The `n` of `ESC t n`, or `None` when no table is selected (ASCII).
    pub fn number(self) -> Option<u8> {
        match self {
            CodePage::Ascii => None,
            CodePage::Pc437 => Some(0),
            CodePage::Pc858 => Some(19),
        }
    }

    /// The table an `ESC t n` selects, when it is one we know.
    pub fn from_number(n: u8) -> Option<CodePage> {
        match n {
            0 => Some(CodePage::Pc437),
            19 => Some(CodePage::Pc858),
            _ => None,
        }
    }

    fn upper(self) -> Option<&'static [char; 128]> {
        match self {
            CodePage::Ascii => None,
            CodePage::Pc437 => Some(&PC437),
            CodePage::Pc858 => Some(&PC858),
        }
    }

    /// The byte that prints `ch`, when this table has a visible glyph for it. Spaces other
    /// than U+0020 and the soft hyphen are left out: they print as blanks or nothing, and
    /// the sanitizer turns them into a plain space or drops them.
    pub fn encode(self, ch: char) -> Option<u8> {
        if (' '..='~').contains(&ch) {
            return u8::try_from(ch).ok();
        }
        if ch == '\u{a0}' || ch == '\u{ad}' {
            return None;
        }
        let position = self.upper()?.iter().position(|c| *c == ch)?;
        u8::try_from(0x80 + position).ok()
    }

    /// The character a printed byte shows. Bytes that are not printable in this table (the
    /// control range, and the upper half in ASCII mode) become U+FFFD.
    pub fn decode(self, byte: u8) -> char {
        match byte {
            0x20..=0x7e => char::from(byte),
            0x80..=0xff => match self.upper() {
                Some(table) => table[usize::from(byte - 0x80)],
                None => char::REPLACEMENT_CHARACTER,
            },
            _ => char::REPLACEMENT_CHARACTER,
        }
    }

    /// Encodes text that was sanitized for this table. A character the table cannot print
    /// (only possible if the text skipped the sanitizer) becomes `?`, never a control byte.
    pub fn encode_str(self, text: &str) -> Vec<u8> {
        text.chars().map(|ch| self.encode(ch).unwrap_or(b'?')).collect()
    }

    /// The characters beyond ASCII that this table prints.
    pub fn extra_chars(self) -> impl Iterator<Item = char> {
        self.upper().into_iter().flatten().copied().filter(move |ch| self.encode(*ch).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printable_char_round_trips_through_its_byte() {
        for page in CodePage::ALL {
            for ch in (' '..='~').chain(page.extra_chars()) {
                let byte = page.encode(ch).expect("printable");
                assert!(byte >= 0x20 && byte != 0x7f, "{ch:?} -> control byte {byte:#x}");
                assert_eq!(page.decode(byte), ch, "{page:?}");
            }
        }
    }

    #[test]
    fn names_with_accents_are_held_by_both_tables() {
        for page in [CodePage::Pc437, CodePage::Pc858] {
            for ch in ['é', 'ü', 'ñ', 'Ç', 'ö'] {
                assert!(page.encode(ch).is_some(), "{page:?} {ch}");
            }
        }
        assert_eq!(CodePage::Pc858.encode('€'), Some(0xd5));
        assert_eq!(CodePage::Pc858.encode('-'), Some(b'-'), "ASCII stays ASCII");
        assert_eq!(CodePage::Pc437.encode('Ã'), None, "only PC858 has it");
        assert_eq!(CodePage::Ascii.encode('é'), None);
    }

    #[test]
    fn blanks_and_typography_are_not_encoded() {
        for page in CodePage::ALL {
            for ch in ['\u{a0}', '\u{ad}', '’', '“', '–', '\u{1b}', '\u{9b}'] {
                assert_eq!(page.encode(ch), None, "{page:?} {ch:?}");
            }
        }
    }

    #[test]
    fn numbers_match_esc_t() {
        for page in [CodePage::Pc437, CodePage::Pc858] {
            assert_eq!(page.number().and_then(CodePage::from_number), Some(page));
        }
    }
}
