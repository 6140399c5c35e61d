//! The two embedded faces (DejaVu Sans and its bold), measured and placed by us: Latin text
//! needs no shaper, and the widths that wrap and justify a line are the very advances the
//! PDF draws it with, so a justified line ends exactly at the margin.

use std::sync::{Arc, LazyLock};

use ab_glyph::Font as _;
use krilla::text::{Font, GlyphId, KrillaGlyph};

use super::PdfError;

const REGULAR: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans-Bold.ttf");

/// One face: its metrics (ab_glyph) and the same bytes as krilla embeds them.
pub(super) struct Face {
    metrics: ab_glyph::FontRef<'static>,
    units_per_em: f32,
    pub(super) pdf: Font,
}

impl Face {
    fn load(bytes: &'static [u8], name: &'static str) -> Result<Face, PdfError> {
        let metrics = ab_glyph::FontRef::try_from_slice(bytes).map_err(|_| PdfError::Font(name))?;
        let units_per_em = metrics.units_per_em().ok_or(PdfError::Font(name))?;
        let pdf = Font::new(bytes.into(), 0).ok_or(PdfError::Font(name))?;
        Ok(Face { metrics, units_per_em, pdf })
    }

    fn has(&self, c: char) -> bool {
        self.metrics.glyph_id(c).0 != 0
    }

    /// The advance of `c` in ems.
    fn advance(&self, c: char) -> f32 {
        self.metrics.h_advance_unscaled(self.metrics.glyph_id(c)) / self.units_per_em
    }

    /// How wide `text` is drawn at `size` points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size
    }

    /// The glyphs of `text`, each space widened by `space_extra` points (justification).
    pub(super) fn glyphs(&self, text: &str, size: f32, space_extra: f32) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(at, c)| {
                let extra = if c == ' ' { space_extra / size } else { 0.0 };
                KrillaGlyph {
                    glyph_id: GlyphId::new(u32::from(self.metrics.glyph_id(c).0)),
                    text_range: at..at + c.len_utf8(),
                    x_advance: self.advance(c) + extra,
                    x_offset: 0.0,
                    y_offset: 0.0,
                    y_advance: 0.0,
                    location: None,
                }
            })
            .collect()
    }
}

/// The regular and bold faces.
pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

/// Parsed once per process: every letter draws with the same two faces.
static FONTS: LazyLock<Result<Arc<Fonts>, PdfError>> = LazyLock::new(|| {
    Ok(Arc::new(Fonts {
        regular: Face::load(REGULAR, "DejaVuSans.ttf")?,
        bold: Face::load(BOLD, "DejaVuSans-Bold.ttf")?,
    }))
});

impl Fonts {
    pub(super) fn get() -> Result<Arc<Fonts>, PdfError> {
        FONTS.clone()
    }

    pub(super) fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }

    /// `text` as it may be drawn: line breaks and tabs become spaces, other control and
    /// bidirectional formatting characters are dropped (nothing in a document may reorder or
    /// hide what is printed), runs of spaces fold to one, and a character neither face has
    /// becomes `?` rather than an empty box.
    pub(super) fn clean(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            let c = match c {
                c if c.is_whitespace() => ' ',
                c if c.is_control() || is_bidi_control(c) => continue,
                c if self.regular.has(c) && self.bold.has(c) => c,
                _ => '?',
            };
            if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
                continue;
            }
            out.push(c);
        }
        out.truncate(out.trim_end().len());
        out
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` (already clean) broken into lines no wider than `width` points; a word wider
/// than a line is cut between characters.
pub(super) fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if face.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            if !line.is_empty() && face.width(&format!("{line}{c}"), size) > width {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The widest word of `text`, so a table column is never narrower than its longest word
/// unless the page cannot hold it.
pub(super) fn widest_word(face: &Face, text: &str, size: f32) -> f32 {
    text.split(' ').map(|word| face.width(word, size)).fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_reordering_characters_never_reach_the_page() {
        let fonts = Fonts::get().expect("fonts");
        assert_eq!(fonts.clean("SITI\x1b[2J\u{202e}  AMINAH\r\n"), "SITI[2J AMINAH");
        assert_eq!(fonts.clean("\u{7}"), "");
        assert_eq!(fonts.clean("Rp 1.500.000 – é"), "Rp 1.500.000 – é");
        assert_eq!(fonts.clean("\u{6f22}"), "?", "a glyph DejaVu lacks");
    }

    #[test]
    fn lines_wrap_within_the_width_and_long_words_are_cut() {
        let fonts = Fonts::get().expect("fonts");
        let face = &fonts.regular;
        let text = "adalah benar warga Desa Aliyan yang berdomisili di Dusun Krajan";
        let lines = wrap(face, text, 11.0, 150.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|line| face.width(line, 11.0) <= 150.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let cut = wrap(face, "3510154305880001351015", 11.0, 60.0);
        assert!(cut.len() > 1 && cut.concat() == "3510154305880001351015", "{cut:?}");
    }
}
