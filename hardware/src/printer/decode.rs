//! An ESC/POS interpreter for tests, diagnostics and the preview: turns a byte stream back
//! into the printed lines, QR and barcode payloads, pictures and commands, so tests assert
//! on what a person would hold in their hand rather than on bytes.
//!
//! It understands the commands thermal receipt printers share (Epson TM-T20/T82/T88 class)
//! and records anything else as [`Command::Unknown`]; it never panics, whatever the input.

use crate::printer::codepage::CodePage;
use crate::printer::document::{Align, Bitmap, Code128Run};

/// A command found in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// ESC @
    Init,
    /// ESC E n
    Bold(bool),
    /// ESC a n
    Align(Align),
    /// GS ! n
    Size { width: u8, height: u8 },
    /// ESC ! n
    PrintMode(u8),
    /// ESC d n
    Feed(u8),
    /// ESC J n (dots)
    FeedDots(u8),
    /// ESC t n: the character table for bytes 0x80 and up.
    CodePage(u8),
    /// FS .: leave Chinese/Japanese double-byte mode.
    KanjiOff,
    /// ESC - n, ESC G n, ESC M n, ESC R n, ESC 2, ESC 3 n, GS B n: accepted styles that do
    /// not change the text.
    Style(Vec<u8>),
    /// GS ( k ... fn 80: QR data stored for printing.
    QrStore(String),
    /// GS ( k ... fn 81: print the stored QR symbol.
    QrPrint,
    /// GS ( k: other QR settings (model, size, error correction).
    QrSetting(Vec<u8>),
    /// GS h, GS w, GS H, GS f: barcode height, bar width, text position, text font.
    BarcodeSetting(Vec<u8>),
    /// GS k: a 1D barcode with its data (for Code128, the payload with code sets resolved).
    Barcode { kind: u8, data: String },
    /// GS v 0: a raster picture.
    Raster { width: u32, height: u32 },
    /// DLE EOT n: real-time status request.
    StatusRequest(u8),
    /// GS V: paper cut.
    Cut,
    /// Anything else, with the bytes it spanned.
    Unknown(Vec<u8>),
}

/// One printed line and how it looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedLine {
    pub text: String,
    pub bold: bool,
    pub align: Align,
    pub double: bool,
}

impl DecodedLine {
    /// The line cut into table cells of `widths` characters with one space between them,
    /// each trimmed: a line of a [`Table`](crate::printer::document::Table) read back.
    pub fn cells(&self, widths: &[usize]) -> Vec<String> {
        let chars: Vec<char> = self.text.chars().collect();
        let mut at = 0;
        widths
            .iter()
            .map(|width| {
                let end = (at + width).min(chars.len());
                let cell: String = chars[at.min(end)..end].iter().collect();
                at = end + 1;
                cell.trim().to_string()
            })
            .collect()
    }
}

/// QR error correction level as the printer was told (L, M, Q or H).
pub type EcLevel = char;

/// Something that takes paper, in printing order: what the preview draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A line of text; the paper advances by one line of its height.
    Line(DecodedLine),
    /// A line feed with nothing to print.
    Blank,
    /// Paper fed by this many dots.
    FeedDots(u8),
    Qr {
        payload: String,
        module_dots: u8,
        ec: EcLevel,
        align: Align,
    },
    Barcode(PrintedBarcode),
    Image {
        bitmap: Bitmap,
        align: Align,
    },
    Cut,
}

/// A 1D barcode as the printer would draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedBarcode {
    /// GS k symbology number (73 = Code128).
    pub kind: u8,
    /// The payload (for Code128, code sets resolved).
    pub data: String,
    /// For Code128: the code-set runs the bars encode.
    pub runs: Vec<Code128Run>,
    pub module_dots: u8,
    pub height_dots: u8,
    /// Human-readable text printed below the bars (GS H 2 or 3).
    pub text_below: bool,
    pub align: Align,
}

/// What a byte stream prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub lines: Vec<DecodedLine>,
    pub qr_codes: Vec<String>,
    /// Payloads of 1D barcodes, in order.
    pub barcodes: Vec<String>,
    /// Raster pictures, in order.
    pub images: Vec<Bitmap>,
    pub cuts: usize,
    pub commands: Vec<Command>,
    /// Everything that takes paper, in order.
    pub items: Vec<Item>,
}

impl Decoded {
    /// The printed lines joined with newlines.
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.lines.iter().any(|l| l.text.contains(needle))
    }

    pub fn count(&self, wanted: &Command) -> usize {
        self.commands.iter().filter(|c| *c == wanted).count()
    }

    pub fn unknown_commands(&self) -> Vec<&Command> {
        self.commands.iter().filter(|c| matches!(c, Command::Unknown(_))).collect()
    }

    /// The printout as text a person can review: lines, then `[QR]`, `[CODE128]` and
    /// `[IMAGE wxh]` markers where those print, an empty line per blank feed, and `[CUT]`.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Line(line) => out.push_str(&line.text),
                Item::Blank => {}
                Item::FeedDots(_) => continue,
                Item::Qr { payload, .. } => out.push_str(&format!("[QR] {payload}")),
                Item::Barcode(code) if code.kind == 73 => {
                    out.push_str(&format!("[CODE128] {}", code.data));
                }
                Item::Barcode(code) => {
                    out.push_str(&format!("[BARCODE {}] {}", code.kind, code.data))
                }
                Item::Image { bitmap, .. } => {
                    out.push_str(&format!("[IMAGE {}x{}]", bitmap.width(), bitmap.height()));
                }
                Item::Cut => out.push_str("[CUT]"),
            }
            out.push('\n');
        }
        out
    }
}

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const FS: u8 = 0x1c;
const DLE: u8 = 0x10;
const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const HT: u8 = 0x09;

/// Printer state that ESC @ resets.
struct State {
    bold: bool,
    align: Align,
    double: bool,
    code_page: u8,
    line: String,
    qr_data: Option<String>,
    qr_module: u8,
    qr_ec: EcLevel,
    bar_height: u8,
    bar_module: u8,
    bar_text: bool,
}

impl Default for State {
    fn default() -> State {
        // The power-on defaults of the Epson command reference.
        State {
            bold: false,
            align: Align::Left,
            double: false,
            code_page: 0,
            line: String::new(),
            qr_data: None,
            qr_module: 3,
            qr_ec: 'L',
            bar_height: 162,
            bar_module: 3,
            bar_text: false,
        }
    }
}

fn align_of(n: u8) -> Align {
    match n {
        1 | b'1' => Align::Center,
        2 | b'2' => Align::Right,
        _ => Align::Left,
    }
}

/// Interprets the bytes as a printer would.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    let mut state = State::default();
    let mut i = 0;
    let arg = |at: usize| bytes.get(at).copied();
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            LF => {
                feed_line(&mut out, &mut state);
                i += 1;
            }
            CR => i += 1,
            HT => {
                state.line.push(' ');
                i += 1;
            }
            ESC => {
                let Some(op) = arg(i + 1) else {
                    out.commands.push(Command::Unknown(bytes[i..].to_vec()));
                    break;
                };
                let one = arg(i + 2);
                let (command, len) = match (op, one) {
                    (b'@', _) => {
                        flush_line(&mut out, &mut state);
                        state = State::default();
                        (Command::Init, 2)
                    }
                    (b'E', Some(n)) => {
                        state.bold = n & 1 == 1;
                        (Command::Bold(state.bold), 3)
                    }
                    (b'a', Some(n)) => {
                        state.align = align_of(n);
                        (Command::Align(state.align), 3)
                    }
                    (b'!', Some(n)) => {
                        state.bold = n & 0x08 != 0;
                        state.double = n & 0x30 != 0;
                        (Command::PrintMode(n), 3)
                    }
                    (b'd', Some(n)) => {
                        let printed = flush_line(&mut out, &mut state);
                        let blanks = if printed { n.saturating_sub(1) } else { n };
                        out.items.extend((0..blanks).map(|_| Item::Blank));
                        (Command::Feed(n), 3)
                    }
                    (b'J', Some(n)) => {
                        flush_line(&mut out, &mut state);
                        out.items.push(Item::FeedDots(n));
                        (Command::FeedDots(n), 3)
                    }
                    (b't', Some(n)) => {
                        state.code_page = n;
                        (Command::CodePage(n), 3)
                    }
                    (b'2', _) => (Command::Style(vec![ESC, b'2']), 2),
                    (b'-' | b'G' | b'M' | b'R' | b'3' | b'{' | b'V', Some(n)) => {
                        (Command::Style(vec![ESC, op, n]), 3)
                    }
                    _ => (Command::Unknown(bytes[i..(i + 3).min(bytes.len())].to_vec()), 2),
                };
                out.commands.push(command);
                i += len;
            }
            GS => {
                let Some(op) = arg(i + 1) else {
                    out.commands.push(Command::Unknown(bytes[i..].to_vec()));
                    break;
                };
                match (op, arg(i + 2)) {
                    (b'!', Some(n)) => {
                        let (width, height) = ((n >> 4) + 1, (n & 0x0f) + 1);
                        state.double = width > 1 || height > 1;
                        out.commands.push(Command::Size { width, height });
                        i += 3;
                    }
                    (b'V', _) => {
                        flush_line(&mut out, &mut state);
                        let len = match arg(i + 2) {
                            Some(0 | 1 | b'0' | b'1') => 3,
                            Some(_) if i + 3 < bytes.len() => 4,
                            _ => bytes.len() - i,
                        };
                        out.cuts += 1;
                        out.commands.push(Command::Cut);
                        out.items.push(Item::Cut);
                        i += len;
                    }
                    (b'B', Some(n)) => {
                        out.commands.push(Command::Style(vec![GS, b'B', n]));
                        i += 3;
                    }
                    (b'h' | b'w' | b'H' | b'f', Some(n)) => {
                        match op {
                            b'h' => state.bar_height = n,
                            b'w' => state.bar_module = n,
                            b'H' => state.bar_text = matches!(n, 2 | 3 | b'2' | b'3'),
                            _ => {}
                        }
                        out.commands.push(Command::BarcodeSetting(vec![GS, op, n]));
                        i += 3;
                    }
                    (b'(', _) => i += decode_gs_paren(&bytes[i..], &mut out, &mut state),
                    (b'k', _) => i += decode_barcode(&bytes[i..], &mut out, &mut state),
                    (b'v', _) => i += decode_raster(&bytes[i..], &mut out, &mut state),
                    (b'!' | b'B' | b'h' | b'w' | b'H' | b'f', None) => {
                        out.commands.push(Command::Unknown(bytes[i..].to_vec()));
                        break;
                    }
                    _ => {
                        out.commands
                            .push(Command::Unknown(bytes[i..(i + 2).min(bytes.len())].to_vec()));
                        i += 2;
                    }
                }
            }
            FS => {
                if arg(i + 1) == Some(b'.') {
                    out.commands.push(Command::KanjiOff);
                } else {
                    out.commands
                        .push(Command::Unknown(bytes[i..(i + 2).min(bytes.len())].to_vec()));
                }
                i += 2;
            }
            DLE => match (arg(i + 1), arg(i + 2)) {
                (Some(0x04), Some(n)) => {
                    out.commands.push(Command::StatusRequest(n));
                    i += 3;
                }
                _ => {
                    out.commands.push(Command::Unknown(vec![DLE]));
                    i += 1;
                }
            },
            0x00..=0x1f | 0x7f => {
                out.commands.push(Command::Unknown(vec![byte]));
                i += 1;
            }
            _ => {
                // ASCII as is; high bytes through the selected code page, when we know it.
                let ch = match CodePage::from_number(state.code_page) {
                    Some(page) => page.decode(byte),
                    None if byte < 0x80 => char::from(byte),
                    None => char::REPLACEMENT_CHARACTER,
                };
                state.line.push(ch);
                i += 1;
            }
        }
    }
    flush_line(&mut out, &mut state);
    out
}

/// Prints what is buffered; returns whether there was anything.
fn flush_line(out: &mut Decoded, state: &mut State) -> bool {
    if state.line.is_empty() {
        return false;
    }
    let line = DecodedLine {
        text: std::mem::take(&mut state.line),
        bold: state.bold,
        align: state.align,
        double: state.double,
    };
    out.items.push(Item::Line(line.clone()));
    out.lines.push(line);
    true
}

/// LF: prints the buffer, or feeds an empty line.
fn feed_line(out: &mut Decoded, state: &mut State) {
    if !flush_line(out, state) {
        out.items.push(Item::Blank);
    }
}

/// GS ( k pL pH cn fn [data]: the 2D-symbol function family. Returns the bytes consumed.
fn decode_gs_paren(bytes: &[u8], out: &mut Decoded, state: &mut State) -> usize {
    if bytes.len() < 5 {
        out.commands.push(Command::Unknown(bytes.to_vec()));
        return bytes.len();
    }
    let function = bytes[2];
    let len = usize::from(bytes[3]) | usize::from(bytes[4]) << 8;
    let end = (5 + len).min(bytes.len());
    let body = &bytes[5..end];
    if function != b'k' || end < 5 + len {
        out.commands.push(Command::Unknown(bytes[..end].to_vec()));
        return end;
    }
    match body {
        // cn 49 = QR code; fn 80 store data (m = 48), fn 81 print.
        [49, 80, 48, data @ ..] => {
            let payload = String::from_utf8_lossy(data).into_owned();
            state.qr_data = Some(payload.clone());
            out.commands.push(Command::QrStore(payload));
        }
        [49, 81, ..] => {
            flush_line(out, state);
            if let Some(payload) = state.qr_data.take() {
                out.qr_codes.push(payload.clone());
                out.items.push(Item::Qr {
                    payload,
                    module_dots: state.qr_module,
                    ec: state.qr_ec,
                    align: state.align,
                });
            }
            out.commands.push(Command::QrPrint);
        }
        [49, setting, rest @ ..] => {
            match (setting, rest.first()) {
                (67, Some(n)) => state.qr_module = *n,
                (69, Some(n)) => {
                    state.qr_ec = match n {
                        48 => 'L',
                        50 => 'Q',
                        51 => 'H',
                        _ => 'M',
                    }
                }
                _ => {}
            }
            out.commands.push(Command::QrSetting(body.to_vec()));
        }
        _ => out.commands.push(Command::Unknown(bytes[..end].to_vec())),
    }
    end
}

/// GS k m: format A (m 0-6) is NUL-terminated, format B (m 65-79) has a length byte.
fn decode_barcode(bytes: &[u8], out: &mut Decoded, state: &mut State) -> usize {
    let Some(&kind) = bytes.get(2) else {
        out.commands.push(Command::Unknown(bytes.to_vec()));
        return bytes.len();
    };
    let (data, consumed) = if kind <= 6 {
        match bytes[3..].iter().position(|b| *b == 0) {
            Some(nul) => (&bytes[3..3 + nul], 4 + nul),
            None => (&bytes[3..], bytes.len()),
        }
    } else {
        let len = bytes.get(3).map(|n| usize::from(*n)).unwrap_or(0);
        let end = (4 + len).min(bytes.len());
        (bytes.get(4..end).unwrap_or(&[]), end.max(3))
    };
    flush_line(out, state);
    let runs = if kind == 73 { code128_runs_of(data) } else { Vec::new() };
    let text = if kind == 73 {
        runs.iter()
            .map(|run| match run {
                Code128Run::B(text) | Code128Run::C(text) => text.as_str(),
            })
            .collect::<String>()
    } else {
        data.iter().map(|b| if (0x20..0x7f).contains(b) { char::from(*b) } else { '?' }).collect()
    };
    out.barcodes.push(text.clone());
    out.items.push(Item::Barcode(PrintedBarcode {
        kind,
        data: text.clone(),
        runs,
        module_dots: state.bar_module,
        height_dots: state.bar_height,
        text_below: state.bar_text,
        align: state.align,
    }));
    out.commands.push(Command::Barcode { kind, data: text });
    consumed
}

/// The data of `GS k 73`: `{A`/`{B`/`{C` select code sets, `{{` is a brace, set C carries
/// one byte (0-99) per digit pair. Function characters are skipped; set A is read as ASCII.
fn code128_runs_of(data: &[u8]) -> Vec<Code128Run> {
    let mut runs: Vec<Code128Run> = Vec::new();
    let mut set_c = false;
    let mut i = 0;
    let push = |runs: &mut Vec<Code128Run>, c: bool, text: &str| match (runs.last_mut(), c) {
        (Some(Code128Run::B(last)), false) | (Some(Code128Run::C(last)), true) => {
            last.push_str(text)
        }
        _ => runs.push(if c { Code128Run::C(text.into()) } else { Code128Run::B(text.into()) }),
    };
    while i < data.len() {
        let byte = data[i];
        if byte == b'{' {
            match data.get(i + 1) {
                Some(b'A' | b'B') => set_c = false,
                Some(b'C') => set_c = true,
                Some(b'{') if !set_c => push(&mut runs, false, "{"),
                _ => {}
            }
            i += 2;
            continue;
        }
        if set_c {
            let pair = if byte < 100 { format!("{byte:02}") } else { "??".into() };
            push(&mut runs, true, &pair);
        } else {
            let ch = if (0x20..0x7f).contains(&byte) { char::from(byte) } else { '?' };
            push(&mut runs, false, &ch.to_string());
        }
        i += 1;
    }
    runs
}

/// GS v 0 m xL xH yL yH d: `xL + 256 xH` bytes per row, `yL + 256 yH` rows.
fn decode_raster(bytes: &[u8], out: &mut Decoded, state: &mut State) -> usize {
    let header = bytes.get(..8).filter(|h| h[2] == b'0' || h[2] == 0);
    let Some(header) = header else {
        let end = bytes.len().min(3);
        out.commands.push(Command::Unknown(bytes[..end].to_vec()));
        return end;
    };
    let row_bytes = usize::from(header[4]) | usize::from(header[5]) << 8;
    let rows = usize::from(header[6]) | usize::from(header[7]) << 8;
    let end = 8 + row_bytes * rows;
    let Some(data) = bytes.get(8..end) else {
        out.commands.push(Command::Unknown(bytes.to_vec()));
        return bytes.len();
    };
    flush_line(out, state);
    let (width, height) = (row_bytes as u32 * 8, rows as u32);
    if let Some(bitmap) = Bitmap::from_packed(width, height, data.to_vec()) {
        out.images.push(bitmap.clone());
        out.items.push(Item::Image { bitmap, align: state.align });
    }
    out.commands.push(Command::Raster { width, height });
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_styles_qr_and_cut() {
        let mut bytes = vec![ESC, b'@', ESC, b'a', 1, ESC, b'E', 1];
        bytes.extend_from_slice(b"HELLO\n");
        bytes.extend_from_slice(&[ESC, b'E', 0, ESC, b'a', 0]);
        bytes.extend_from_slice(b"world\n");
        let data = b"T-1";
        bytes.extend_from_slice(&[GS, b'(', b'k', (data.len() + 3) as u8, 0, 49, 80, 48]);
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48, GS, b'V', b'A', 0]);
        let decoded = decode(&bytes);
        assert_eq!(decoded.text(), "HELLO\nworld");
        assert!(decoded.lines[0].bold && decoded.lines[0].align == Align::Center);
        assert!(!decoded.lines[1].bold);
        assert_eq!(decoded.qr_codes, vec!["T-1".to_string()]);
        assert_eq!(decoded.cuts, 1);
        assert!(decoded.unknown_commands().is_empty());
        assert_eq!(decoded.transcript(), "HELLO\nworld\n[QR] T-1\n[CUT]\n");
    }

    #[test]
    fn high_bytes_follow_the_selected_code_page() {
        let mut bytes = vec![ESC, b't', 0, b'C', b'a', b'f', 0x82, LF];
        bytes.extend_from_slice(&[ESC, b't', 19, 0xd5, LF, ESC, b't', 99, 0xd5, LF]);
        let decoded = decode(&bytes);
        assert_eq!(decoded.text(), "Café\n€\n\u{fffd}");
        assert_eq!(decoded.count(&Command::CodePage(19)), 1);
    }

    #[test]
    fn reads_code128_with_code_sets_and_braces() {
        let mut bytes = vec![GS, b'w', 2, GS, b'h', 80, GS, b'H', 2, GS, b'k', 73, 11];
        bytes.extend_from_slice(b"{BA{{{C");
        bytes.extend_from_slice(&[12, 34]);
        bytes.push(b'Z'); // set C byte > 99 would be invalid; 'Z' = 90 is a pair "90"
        let decoded = decode(&bytes);
        assert_eq!(decoded.barcodes, vec!["A{123490".to_string()]);
        let Item::Barcode(code) = &decoded.items[0] else { panic!("{:?}", decoded.items) };
        assert_eq!(code.runs, vec![Code128Run::B("A{".into()), Code128Run::C("123490".into())]);
        assert_eq!((code.module_dots, code.height_dots, code.text_below), (2, 80, true));
    }

    #[test]
    fn reads_rasters() {
        let bytes = [GS, b'v', b'0', 0, 1, 0, 2, 0, 0b1000_0001, 0xff, LF];
        let decoded = decode(&bytes);
        assert_eq!(decoded.images.len(), 1);
        let image = &decoded.images[0];
        assert_eq!((image.width(), image.height()), (8, 2));
        assert!(image.get(0, 0) && !image.get(1, 0) && image.get(7, 0) && image.get(3, 1));
        assert_eq!(decoded.count(&Command::Raster { width: 8, height: 2 }), 1);
        assert!(decoded.unknown_commands().is_empty());
    }

    #[test]
    fn table_lines_split_into_cells() {
        let line = DecodedLine {
            text: "SITI AMINAH BINTI  Istri      41".into(),
            bold: false,
            align: Align::Left,
            double: false,
        };
        assert_eq!(line.cells(&[18, 8, 4]), vec!["SITI AMINAH BINTI", "Istri", "41"]);
        assert_eq!(line.cells(&[40, 8]), vec![line.text.clone(), String::new()]);
    }

    #[test]
    fn truncated_sequences_are_unknown_not_panics() {
        for bytes in [
            &[ESC][..],
            &[GS],
            &[GS, b'('],
            &[GS, b'(', b'k', 200, 0, 49],
            &[GS, b'k', 70, 9],
            &[GS, b'v', b'0', 0, 200, 0, 200, 0, 1],
            &[GS, b'v'],
            &[FS],
            &[GS, b'h'],
        ] {
            let decoded = decode(bytes);
            assert!(decoded.lines.is_empty());
            assert!(decoded.images.is_empty());
        }
    }
}
