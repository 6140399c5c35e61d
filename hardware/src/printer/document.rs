//! The receipt document model: what to print, independent of any printer language.
//!
//! Text is sanitized and word-wrapped when it is added, so the document always holds exactly
//! the lines that will come out of the printer, and every renderer (ESC/POS today, a PNG
//! preview later) draws the same lines.

use crate::printer::sanitize::sanitize;

/// Paper roll width. Column counts are for the printer's default Font A (12x24 dots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Paper {
    #[default]
    Mm58,
    Mm80,
}

impl Paper {
    /// Characters per line in normal size.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Size {
    #[default]
    Normal,
    /// Double width and height: half as many columns.
    Double,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Style {
    pub align: Align,
    pub bold: bool,
    pub size: Size,
}

impl Style {
    pub fn center() -> Style {
        Style { align: Align::Center, ..Style::default() }
    }

    pub fn bold(self) -> Style {
        Style { bold: true, ..self }
    }

    pub fn double(self) -> Style {
        Style { size: Size::Double, ..self }
    }
}

/// One element of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One printed line, already sanitized and no wider than the paper.
    Text {
        text: String,
        style: Style,
    },
    /// A line of dashes across the paper.
    Rule,
    Qr {
        payload: String,
    },
    Feed(u8),
    Cut,
}

/// A receipt or letter to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    paper: Paper,
    blocks: Vec<Block>,
}

impl Document {
    pub fn new(paper: Paper) -> Document {
        Document { paper, blocks: Vec::new() }
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Columns available for text in this style.
    pub fn columns_for(&self, style: Style) -> usize {
        match style.size {
            Size::Normal => self.paper.columns(),
            Size::Double => self.paper.columns() / 2,
        }
    }

    /// A paragraph: sanitized, then word-wrapped to the paper. Line breaks in `text` start
    /// new lines; leading spaces indent every wrapped line of the paragraph.
    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Self {
        let width = self.columns_for(style);
        let text = text.into();
        for paragraph in text.split('\n') {
            for line in wrap(&sanitize(paragraph), width) {
                self.blocks.push(Block::Text { text: line, style });
            }
        }
        self
    }

    /// A label on the left and a value flush right, on one line when they fit; otherwise
    /// the label, then the value right-aligned below it.
    pub fn pair(&mut self, left: &str, right: &str) -> &mut Self {
        let width = self.paper.columns();
        let (left, right) = (sanitize(left), sanitize(right));
        let (left_len, right_len) = (left.chars().count(), right.chars().count());
        if left_len + 1 + right_len <= width {
            let gap = width - left_len - right_len;
            let line = format!("{left}{}{right}", " ".repeat(gap));
            self.blocks.push(Block::Text { text: line, style: Style::default() });
        } else {
            for line in wrap(&left, width) {
                self.blocks.push(Block::Text { text: line, style: Style::default() });
            }
            let right_style = Style { align: Align::Right, ..Style::default() };
            for line in wrap(&right, width) {
                self.blocks.push(Block::Text { text: line, style: right_style });
            }
        }
        self
    }

    pub fn rule(&mut self) -> &mut Self {
        self.blocks.push(Block::Rule);
        self
    }

    pub fn qr(&mut self, payload: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Qr { payload: sanitize(&payload.into()) });
        self
    }

    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.blocks.push(Block::Feed(lines));
        self
    }

    /// Ends the document. A document is cut once, at its end, whatever is asked.
    pub fn cut(&mut self) -> &mut Self {
        if self.blocks.last() != Some(&Block::Cut) {
            self.blocks.retain(|block| *block != Block::Cut);
            self.blocks.push(Block::Cut);
        }
        self
    }
}

/// Word wrap that keeps words whole unless a word alone is wider than the line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let indent_len = text.chars().take_while(|c| *c == ' ').count().min(width / 2);
    let indent = " ".repeat(indent_len);
    let mut lines = Vec::new();
    let mut line = indent.clone();
    let mut line_len = indent_len;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let room = width - line_len;
            let needs_space = line_len > indent_len;
            let fits = word.len() + usize::from(needs_space) <= room;
            if fits {
                if needs_space {
                    line.push(' ');
                    line_len += 1;
                }
                line.extend(word.iter());
                line_len += word.len();
                break;
            }
            if needs_space {
                // Start a new line and try the word there.
                lines.push(std::mem::replace(&mut line, indent.clone()));
                line_len = indent_len;
                continue;
            }
            // The word alone is wider than a line: split it where the line ends.
            let take = width - line_len;
            let rest = word.split_off(take);
            line.extend(word.iter());
            lines.push(std::mem::replace(&mut line, indent.clone()));
            line_len = indent_len;
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if line_len > indent_len || lines.is_empty() {
        lines.push(if line_len > indent_len { line } else { String::new() });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words() {
        assert_eq!(
            wrap("Simpan bukti ini. Jangan berikan NIK Anda kepada orang lain.", 32),
            vec!["Simpan bukti ini. Jangan berikan", "NIK Anda kepada orang lain."]
        );
    }

    #[test]
    fn splits_only_words_wider_than_a_line() {
        assert_eq!(wrap("ab 0123456789ABCDEF", 8), vec!["ab", "01234567", "89ABCDEF"]);
    }

    #[test]
    fn keeps_indentation_on_continuation_lines() {
        assert_eq!(wrap("  komponen ibu hamil aktif", 14), vec!["  komponen ibu", "  hamil aktif"]);
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        assert_eq!(wrap("", 32), vec![String::new()]);
    }

    #[test]
    fn pairs_align_right() {
        let mut doc = Document::new(Paper::Mm58);
        doc.pair("NIK", "3510********0001");
        let Block::Text { text, .. } = &doc.blocks()[0] else { panic!("text block") };
        assert_eq!(text.len(), 32);
        assert!(text.starts_with("NIK ") && text.ends_with("3510********0001"));
    }

    #[test]
    fn long_pairs_take_two_lines() {
        let mut doc = Document::new(Paper::Mm58);
        doc.pair("Alamat", "Desa Kedungasri, Kecamatan Tegaldlimo");
        assert!(doc.blocks().len() >= 2);
        for block in doc.blocks() {
            let Block::Text { text, .. } = block else { panic!("text") };
            assert!(text.chars().count() <= 32);
        }
    }

    #[test]
    fn double_size_halves_the_width() {
        let mut doc = Document::new(Paper::Mm80);
        doc.text("ANJUNGAN MANDIRI DESA SUKOJATI KECAMATAN BLIMBINGSARI", Style::center().double());
        for block in doc.blocks() {
            let Block::Text { text, .. } = block else { panic!("text") };
            assert!(text.chars().count() <= 24, "{text}");
        }
    }

    #[test]
    fn only_one_cut_at_the_end() {
        let mut doc = Document::new(Paper::Mm58);
        doc.cut().text("after", Style::default()).cut().cut();
        let cuts = doc.blocks().iter().filter(|b| **b == Block::Cut).count();
        assert_eq!(cuts, 1);
        assert_eq!(doc.blocks().last(), Some(&Block::Cut));
    }
}
