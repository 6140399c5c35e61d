//! `kiosk bench-letters`: what one letter costs from template to printer bytes, on this
//! machine: the central service's render and seal (its code, linked by the `demo` feature),
//! then the kiosk's layout and ESC/POS encoding, for every type of the shipped catalogue on
//! 58 and 80 mm paper. The goal is at most 5 ms per letter.

use std::time::{Duration, Instant};

use backend::letters::LetterCatalogue;
use backend::letters::samples::samples;
use hardware::printer::Paper;
use hardware::printer::render::render;
use protocol::letter::{IssuedLetter, LetterCode};
use protocol::ticket::Ticket;

use crate::letter_print::letter_document;

/// What one run measured.
#[derive(Debug)]
pub struct LetterFigures {
    pub letters: usize,
    /// Render and seal, per letter (the service's part).
    pub issue: Duration,
    /// Layout and ESC/POS, per letter and paper (the kiosk's part).
    pub print: Duration,
    pub bytes_58: usize,
    pub bytes_80: usize,
}

impl std::fmt::Display for LetterFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        writeln!(f, "letters:          {} (every type, 58 and 80 mm)", self.letters)?;
        writeln!(f, "render + seal:    {:.3} ms per letter", ms(self.issue))?;
        writeln!(f, "layout + ESC/POS: {:.3} ms per letter and paper", ms(self.print))?;
        writeln!(
            f,
            "in all:           {:.3} ms per letter (goal: at most 5 ms)",
            ms(self.issue + self.print)
        )?;
        write!(f, "bytes sent:       {} on 58 mm, {} on 80 mm (mean)", self.bytes_58, self.bytes_80)
    }
}

/// Renders, seals and prints every type `rounds` times.
pub fn run(rounds: usize) -> anyhow::Result<LetterFigures> {
    let catalogue = LetterCatalogue::builtin();
    let rounds = rounds.max(1);
    let started = Instant::now();
    let mut made = Vec::new();
    for _ in 0..rounds {
        made = samples(&catalogue);
    }
    let types = made.len().max(1);
    let issue = started.elapsed() / (rounds * types) as u32;
    let ticket = Ticket::new(42, 8).map_err(|e| anyhow::anyhow!("ticket: {e}"))?;
    let letters: Vec<IssuedLetter> = made
        .into_iter()
        .filter_map(|(code, document)| {
            Some(IssuedLetter {
                id: "BENCH00001".into(),
                ticket,
                letter: LetterCode::parse(&code)?,
                document,
            })
        })
        .collect();
    let (mut bytes_58, mut bytes_80) = (0, 0);
    let started = Instant::now();
    for _ in 0..rounds {
        for letter in &letters {
            bytes_58 += render(&letter_document(letter, Paper::Mm58))?.len();
            bytes_80 += render(&letter_document(letter, Paper::Mm80))?.len();
        }
    }
    let printed = (rounds * letters.len() * 2).max(1);
    Ok(LetterFigures {
        letters: letters.len(),
        issue,
        print: started.elapsed() / printed as u32,
        bytes_58: bytes_58 / (printed / 2).max(1),
        bytes_80: bytes_80 / (printed / 2).max(1),
    })
}
