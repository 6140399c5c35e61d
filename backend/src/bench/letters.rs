//! `backend bench letters`: what making a letter costs the service, per letter: every type
//! rendered from its template and sealed (the samples), then drawn as an A4 PDF.

use std::fmt;
use std::time::{Duration, Instant};

use crate::letters::LetterCatalogue;
use crate::letters::pdf::{PdfError, letter_pdf};
use crate::letters::samples::samples;

pub struct LetterFigures {
    pub letters: usize,
    pub render_seal: Duration,
    pub pdf: Duration,
    pub bytes: usize,
}

/// `rounds` times every type of the shipped catalogue.
pub fn run(rounds: usize) -> Result<LetterFigures, PdfError> {
    let catalogue = LetterCatalogue::builtin();
    let started = Instant::now();
    let documents: Vec<_> = (0..rounds.max(1)).flat_map(|_| samples(&catalogue)).collect();
    let render_seal = started.elapsed();
    let started = Instant::now();
    let mut bytes = 0;
    for (_, document) in &documents {
        bytes += letter_pdf(document)?.len();
    }
    Ok(LetterFigures { letters: documents.len(), render_seal, pdf: started.elapsed(), bytes })
}

impl fmt::Display for LetterFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = |total: Duration| total.as_secs_f64() * 1e3 / self.letters.max(1) as f64;
        write!(
            f,
            "letters: {}; render + seal {:.2} ms per letter, A4 PDF {:.2} ms per letter ({:.0} KB each)",
            self.letters,
            per(self.render_seal),
            per(self.pdf),
            self.bytes as f64 / 1024.0 / self.letters.max(1) as f64,
        )
    }
}
