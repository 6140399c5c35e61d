//! A letter as it is laid out on paper, the one model the kiosk's thermal printer (58 and
//! 80 mm) and the backend's A4 PDF both draw, so the two never say different things.
//!
//! The central service renders a letter type's template into a [`LetterDocument`] when the
//! letter is issued and keeps it; a reprint draws the kept document again (marked as a copy),
//! never a new rendering of newer registry data. Every text is plain: the drawing side
//! strips control characters (printer) or escapes it (HTML, PDF).

use serde::{Deserialize, Serialize};

/// The letterhead ("kop surat"): who issues the letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kop {
    /// `PEMERINTAH KABUPATEN BANYUWANGI`
    pub government: String,
    /// `KECAMATAN SINGOJURUH`
    pub kecamatan: String,
    /// `DESA ALIYAN`
    pub desa: String,
    /// The desa office's address, one line; may be empty.
    pub address: String,
}

/// One block of a letter's body, drawn in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Block {
    /// Running text, wrapped to the paper's width.
    Paragraph { text: String },
    /// `Label : value` rows, the labels aligned (the subject's particulars).
    Fields { rows: Vec<FieldRow> },
    /// A small table (the SKTM's family members): a header and rows of as many cells.
    Table { header: Vec<String>, rows: Vec<Vec<String>> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldRow {
    pub label: String,
    pub value: String,
}

/// Who signs, printed under the body: `Kepala Desa Aliyan`, the name, and a NIP for a civil
/// servant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignerBlock {
    /// `Aliyan, 7 Desember 2026`
    pub place_date: String,
    /// `a.n. Kepala Desa` when a delegate signs; empty otherwise.
    #[serde(default)]
    pub on_behalf: String,
    /// `Kepala Desa Aliyan`
    pub position: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
}

/// A letter, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LetterDocument {
    pub kop: Kop,
    /// `SURAT KETERANGAN TIDAK MAMPU`
    pub title: String,
    /// `470/012/35.10.15.2001/XII/2026`, printed as `Nomor: ...`.
    pub number: String,
    pub body: Vec<Block>,
    pub signer: SignerBlock,
    /// The seal ([`super::seal::LetterSeal::payload`]) the QR code carries.
    pub qr: String,
    /// Under the QR: where and how to check the letter.
    pub footer: Vec<String>,
    /// A reprint: drawn with `SALINAN` (copy) so it is not taken for a second original.
    #[serde(default)]
    pub copy: bool,
}

impl LetterDocument {
    /// Every text of the document in reading order, for tests and for a check that nothing
    /// drawn carries a control character.
    pub fn texts(&self) -> Vec<&str> {
        let mut texts = vec![
            self.kop.government.as_str(),
            &self.kop.kecamatan,
            &self.kop.desa,
            &self.kop.address,
            &self.title,
            &self.number,
        ];
        for block in &self.body {
            match block {
                Block::Paragraph { text } => texts.push(text),
                Block::Fields { rows } => {
                    for row in rows {
                        texts.push(&row.label);
                        texts.push(&row.value);
                    }
                }
                Block::Table { header, rows } => {
                    texts.extend(header.iter().map(String::as_str));
                    for row in rows {
                        texts.extend(row.iter().map(String::as_str));
                    }
                }
            }
        }
        let signer = &self.signer;
        texts.extend([
            signer.place_date.as_str(),
            &signer.on_behalf,
            &signer.position,
            &signer.name,
        ]);
        texts.extend(signer.nip.as_deref());
        texts.extend(self.footer.iter().map(String::as_str));
        texts
    }
}

/// How a laid-out line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// Left-aligned body text.
    Plain,
    /// Centred (the kop, the number).
    Centre,
    /// Centred and emphasised (the kop's desa, the title, `SALINAN`).
    Heading,
    /// A rule across the width (under the kop).
    Rule,
}

/// One line of a letter laid out for a fixed number of columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub style: LineStyle,
    pub text: String,
}

/// Words of `text` wrapped to `width` characters; a word longer than the width is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = if line.is_empty() {
            word.chars().count()
        } else {
            line.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl LetterDocument {
    /// The letter as lines of at most `columns` characters, for a thermal printer (32
    /// columns on 58 mm paper, 48 on 80 mm) or a terminal: blocks apart by an empty line,
    /// `Label : value` rows aligned with spaces (draw them as they are, not re-wrapped). The QR is not a line: it is drawn
    /// after them, above the footer ([`LetterDocument::footer_lines`]).
    pub fn lines(&self, columns: usize) -> Vec<Line> {
        let mut out = Vec::new();
        if self.copy {
            add(&mut out, LineStyle::Heading, "SALINAN", columns);
        }
        add(&mut out, LineStyle::Centre, &self.kop.government, columns);
        add(&mut out, LineStyle::Centre, &self.kop.kecamatan, columns);
        add(&mut out, LineStyle::Heading, &self.kop.desa, columns);
        if !self.kop.address.is_empty() {
            add(&mut out, LineStyle::Centre, &self.kop.address, columns);
        }
        out.push(Line { style: LineStyle::Rule, text: String::new() });
        add(&mut out, LineStyle::Heading, &self.title, columns);
        add(&mut out, LineStyle::Centre, &format!("Nomor: {}", self.number), columns);
        for block in &self.body {
            add(&mut out, LineStyle::Plain, "", columns);
            match block {
                Block::Paragraph { text } => add(&mut out, LineStyle::Plain, text, columns),
                Block::Fields { rows } => {
                    let label_width = rows
                        .iter()
                        .map(|row| row.label.chars().count())
                        .max()
                        .unwrap_or(0)
                        .min(columns * 2 / 5);
                    for row in rows {
                        field_lines(&mut out, &row.label, &row.value, label_width, columns);
                    }
                }
                Block::Table { header, rows } => {
                    // Stacked, one member per paragraph: a six-column table does not fit
                    // 32 columns. `1. NAME` then the other cells under their headers.
                    let name_at = header.iter().position(|h| h == "Nama");
                    for row in rows {
                        let number = row.first().map(String::as_str).unwrap_or("");
                        let name =
                            name_at.and_then(|at| row.get(at)).map(String::as_str).unwrap_or("");
                        add(&mut out, LineStyle::Plain, &format!("{number}. {name}"), columns);
                        for (index, (label, value)) in
                            header.iter().zip(row.iter()).enumerate().skip(1)
                        {
                            if Some(index) != name_at {
                                field_lines(&mut out, &format!("   {label}"), value, 0, columns);
                            }
                        }
                    }
                }
            }
        }
        add(&mut out, LineStyle::Plain, "", columns);
        let signer = &self.signer;
        for text in [&signer.place_date, &signer.on_behalf, &signer.position] {
            if !text.is_empty() {
                add(&mut out, LineStyle::Centre, text, columns);
            }
        }
        add(&mut out, LineStyle::Plain, "", columns);
        add(&mut out, LineStyle::Heading, &signer.name, columns);
        if let Some(nip) = &signer.nip {
            add(&mut out, LineStyle::Centre, &format!("NIP {nip}"), columns);
        }
        out
    }

    /// The footer under the QR, wrapped.
    pub fn footer_lines(&self, columns: usize) -> Vec<String> {
        self.footer.iter().flat_map(|text| wrap(text, columns)).collect()
    }
}

/// `text` wrapped into lines of `style`; an empty text is one empty line (a gap).
fn add(out: &mut Vec<Line>, style: LineStyle, text: &str, columns: usize) {
    if text.is_empty() {
        out.push(Line { style, text: String::new() });
    }
    out.extend(wrap(text, columns).into_iter().map(|text| Line { style, text }));
}

/// `Label : value` with the labels padded to `label_width` so the colons line up, the
/// value wrapped under itself; when the label leaves the value too little room (narrow
/// paper, `label_width` 0), `Label:` then the value indented on the lines below.
fn field_lines(out: &mut Vec<Line>, label: &str, value: &str, label_width: usize, columns: usize) {
    let room = columns.saturating_sub(label_width + 3);
    let label_len = label.chars().count();
    if label_width == 0 || room < 12 || label_len > label_width {
        let lead = label.chars().take_while(|c| *c == ' ').count();
        let joined = format!("{label}: {value}");
        if joined.chars().count() <= columns {
            out.push(Line { style: LineStyle::Plain, text: joined });
            return;
        }
        let label: String = format!("{label}:").chars().take(columns).collect();
        out.push(Line { style: LineStyle::Plain, text: label });
        let indent = " ".repeat(lead + 2);
        for part in wrap(value, columns.saturating_sub(lead + 2)) {
            out.push(Line { style: LineStyle::Plain, text: format!("{indent}{part}") });
        }
        return;
    }
    let wrapped = wrap(value, room);
    if wrapped.is_empty() {
        out.push(Line { style: LineStyle::Plain, text: format!("{label:<label_width$} : -") });
    }
    for (index, part) in wrapped.iter().enumerate() {
        let lead = if index == 0 {
            format!("{label:<label_width$} : ")
        } else {
            " ".repeat(label_width + 3)
        };
        out.push(Line { style: LineStyle::Plain, text: format!("{lead}{part}") });
    }
}

/// Indonesian month names, for dates written out on letters (`7 Desember 2026`).
pub const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Roman numerals of the months, as letter numbers write them (`XII`).
pub const MONTHS_ROMAN: [&str; 12] =
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];

/// `2026-12-07` written out: `7 Desember 2026`; `None` for a malformed date.
pub fn date_id(iso: &str) -> Option<String> {
    let mut parts = iso.get(..10)?.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let month: usize = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    let name = MONTHS_ID.get(month.checked_sub(1)?)?;
    (year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && (1..=31).contains(&day))
        .then(|| format!("{day} {name} {year}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_to_the_width_and_long_words_are_cut() {
        assert_eq!(wrap("satu dua tiga empat", 9), ["satu dua", "tiga", "empat"]);
        assert_eq!(wrap("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        assert!(wrap("   ", 10).is_empty());
    }

    #[test]
    fn dates_are_written_out_in_indonesian() {
        assert_eq!(date_id("2026-12-07").as_deref(), Some("7 Desember 2026"));
        assert_eq!(date_id("1985-03-12T00:00:00Z").as_deref(), Some("12 Maret 1985"));
        assert_eq!(date_id("2026-13-01"), None);
        assert_eq!(date_id("2026-00-01"), None);
        assert_eq!(date_id("26-1-1"), None);
    }

    #[test]
    fn a_document_travels_as_json_and_lists_its_texts() {
        let document = LetterDocument {
            kop: Kop {
                government: "PEMERINTAH KABUPATEN BANYUWANGI".into(),
                kecamatan: "KECAMATAN SINGOJURUH".into(),
                desa: "DESA ALIYAN".into(),
                address: "Jl. Raya Aliyan 1".into(),
            },
            title: "SURAT KETERANGAN DOMISILI".into(),
            number: "474/001/35.10.15.2001/XII/2026".into(),
            body: vec![
                Block::Paragraph { text: "Yang bertanda tangan di bawah ini".into() },
                Block::Fields {
                    rows: vec![FieldRow { label: "Nama".into(), value: "SITI".into() }],
                },
                Block::Table { header: vec!["No".into()], rows: vec![vec!["1".into()]] },
            ],
            signer: SignerBlock {
                place_date: "Aliyan, 7 Desember 2026".into(),
                on_behalf: String::new(),
                position: "Kepala Desa Aliyan".into(),
                name: "H. SUGENG".into(),
                nip: None,
            },
            qr: "AJL1|x".into(),
            footer: vec!["Periksa keaslian surat".into()],
            copy: false,
        };
        let json = serde_json::to_string(&document).expect("json");
        assert!(json.contains(r#""kind":"fields""#), "{json}");
        let back: LetterDocument = serde_json::from_str(&json).expect("back");
        assert_eq!(back, document);
        let texts = document.texts();
        assert!(texts.contains(&"SITI") && texts.contains(&"H. SUGENG"), "{texts:?}");
        for columns in [32, 48] {
            let lines = document.lines(columns);
            assert!(lines.iter().all(|line| line.text.chars().count() <= columns), "{lines:?}");
            let text: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
            assert!(
                text.iter().any(|line| line.contains("Nama") && line.contains("SITI")),
                "{text:?}"
            );
            assert!(text.contains(&"H. SUGENG"), "{text:?}");
        }
    }
}
