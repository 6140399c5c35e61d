//! An ESC/POS interpreter for tests and diagnostics: turns a byte stream back into the
//! printed lines, QR payloads and commands, so tests assert on what a person would hold in
//! their hand rather than on bytes.
//!
//! It understands the commands thermal receipt printers share (Epson TM-T20/T82 class) and
//! records anything else as [`Command::Unknown`]; it never panics, whatever the input.

use crate::printer::document::Align;

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
    /// ESC - n, ESC G n, ESC M n, ESC t n, ESC R n, ESC 2, ESC 3 n, GS B n: accepted styles
    /// that do not change the text.
    Style(Vec<u8>),
    /// GS ( k ... fn 80: QR data stored for printing.
    QrStore(String),
    /// GS ( k ... fn 81: print the stored QR symbol.
    QrPrint,
    /// GS ( k: other QR settings (model, size, error correction).
    QrSetting(Vec<u8>),
    /// GS k: a 1D barcode with its data.
    Barcode { kind: u8, data: String },
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

/// What a byte stream prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub lines: Vec<DecodedLine>,
    pub qr_codes: Vec<String>,
    pub cuts: usize,
    pub commands: Vec<Command>,
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
}

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;
const DLE: u8 = 0x10;
const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const HT: u8 = 0x09;

#[derive(Default)]
struct State {
    bold: bool,
    align: Align,
    double: bool,
    line: String,
    qr_data: Option<String>,
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
                flush_line(&mut out, &mut state);
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
                        flush_line(&mut out, &mut state);
                        (Command::Feed(n), 3)
                    }
                    (b'J', Some(n)) => {
                        flush_line(&mut out, &mut state);
                        (Command::FeedDots(n), 3)
                    }
                    (b'2', _) => (Command::Style(vec![ESC, b'2']), 2),
                    (b'-' | b'G' | b'M' | b't' | b'R' | b'3' | b'{' | b'V', Some(n)) => {
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
                match op {
                    b'!' => match arg(i + 2) {
                        Some(n) => {
                            let (width, height) = ((n >> 4) + 1, (n & 0x0f) + 1);
                            state.double = width > 1 || height > 1;
                            out.commands.push(Command::Size { width, height });
                            i += 3;
                        }
                        None => {
                            out.commands.push(Command::Unknown(bytes[i..].to_vec()));
                            break;
                        }
                    },
                    b'V' => {
                        flush_line(&mut out, &mut state);
                        let len = match arg(i + 2) {
                            Some(0 | 1 | b'0' | b'1') => 3,
                            Some(_) if i + 3 < bytes.len() => 4,
                            _ => bytes.len() - i,
                        };
                        out.cuts += 1;
                        out.commands.push(Command::Cut);
                        i += len;
                    }
                    b'B' if i + 2 < bytes.len() => {
                        out.commands.push(Command::Style(bytes[i..i + 3].to_vec()));
                        i += 3;
                    }
                    b'(' => i += decode_gs_paren(&bytes[i..], &mut out, &mut state),
                    b'k' => i += decode_barcode(&bytes[i..], &mut out),
                    _ => {
                        out.commands
                            .push(Command::Unknown(bytes[i..(i + 2).min(bytes.len())].to_vec()));
                        i += 2;
                    }
                }
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
                // Printable: ASCII as is; high bytes as Latin-1, close to the common code pages.
                state.line.push(char::from(byte));
                i += 1;
            }
        }
    }
    flush_line(&mut out, &mut state);
    out
}

fn flush_line(out: &mut Decoded, state: &mut State) {
    if state.line.is_empty() {
        return;
    }
    out.lines.push(DecodedLine {
        text: std::mem::take(&mut state.line),
        bold: state.bold,
        align: state.align,
        double: state.double,
    });
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
                out.qr_codes.push(payload);
            }
            out.commands.push(Command::QrPrint);
        }
        [49, ..] => out.commands.push(Command::QrSetting(body.to_vec())),
        _ => out.commands.push(Command::Unknown(bytes[..end].to_vec())),
    }
    end
}

/// GS k m: format A (m 0-6) is NUL-terminated, format B (m 65-79) has a length byte.
fn decode_barcode(bytes: &[u8], out: &mut Decoded) -> usize {
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
    out.commands.push(Command::Barcode { kind, data: String::from_utf8_lossy(data).into_owned() });
    consumed
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
    }

    #[test]
    fn truncated_sequences_are_unknown_not_panics() {
        for bytes in
            [&[ESC][..], &[GS], &[GS, b'('], &[GS, b'(', b'k', 200, 0, 49], &[GS, b'k', 70, 9]]
        {
            let decoded = decode(bytes);
            assert!(decoded.lines.is_empty());
        }
    }
}
