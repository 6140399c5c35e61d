//! The paper counter: how much of the roll has been printed, so staff are warned before the
//! roll ends rather than when a citizen's receipt stops half-way.
//!
//! Thermal printers' near-end sensors fire late (a few metres before the end) and many
//! cheap printers have none, so the kiosk also counts: each document's length follows from
//! its blocks (see [`document_mm`]), and the total used since the last roll change is kept
//! in a small file, replaced atomically on every update so a power cut leaves either the old
//! or the new count, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::printer::document::{Block, Document, Size};
use crate::printer::render::{BARCODE_HEIGHT_DOTS, QR_MODULE_DOTS, QR_QUIET_DOTS};

/// 203 dpi, the resolution of nearly every 58/80 mm receipt printer.
pub const DOTS_PER_MM: u32 = 8;
/// Font A characters are 12 x 24 dots.
pub const CHAR_DOTS: u32 = 24;
/// The line pitch after ESC @: the default line spacing (ESC 2) of 1/6 inch, 34 dots at
/// 203 dpi, which includes the 24-dot character. Some compatibles use 30 dots; counting 34
/// warns a little early rather than late.
pub const LINE_DOTS: u32 = 34;
/// Paper fed between the print head and the cutter to cut after the last line. Typical
/// kiosk printers have 10-15 mm; the larger figure keeps the estimate on the safe side.
pub const CUT_MARGIN_MM: u32 = 15;

/// Height of one block in dots.
pub fn block_dots(block: &Block) -> u32 {
    match block {
        // A character taller than the line spacing feeds by its own height.
        Block::Text { style, .. } => match style.size {
            Size::Normal => LINE_DOTS.max(CHAR_DOTS),
            Size::Double => LINE_DOTS.max(2 * CHAR_DOTS),
        },
        Block::Rule => LINE_DOTS,
        Block::Feed(lines) => u32::from(*lines) * LINE_DOTS,
        Block::Qr { payload } => {
            // The printer picks the smallest QR version for the payload at level M, as
            // the `qrcode` crate does; a payload no version holds does not print at all.
            // `render` feeds a quiet zone above and below the symbol.
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .map_or(0, |code| {
                    let modules = u32::try_from(code.width()).unwrap_or(0);
                    modules * u32::from(QR_MODULE_DOTS) + 2 * u32::from(QR_QUIET_DOTS)
                })
        }
        // The bars, then their text below in Font A.
        Block::Code128 { .. } => u32::from(BARCODE_HEIGHT_DOTS) + LINE_DOTS,
        // A raster at normal density: one dot per pixel row.
        Block::Image(bitmap) => bitmap.height(),
        Block::Cut => 0,
    }
}

/// Millimetres of paper one printed document uses, the cut margin included (`render` cuts
/// every document exactly once).
pub fn document_mm(doc: &Document) -> u32 {
    let dots: u32 = doc.blocks().iter().map(block_dots).sum();
    dots.div_ceil(DOTS_PER_MM) + CUT_MARGIN_MM
}

/// The paper roll the kiosk is stocked with: `[printer.roll]` in the config.
///
/// ```toml
/// [printer.roll]
/// length_m = 30      # 58 mm x 30 m
/// warn_percent = 10  # warn staff with 3 m left
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RollConfig {
    /// Length of a full roll in metres, as printed on its box.
    pub length_m: u32,
    /// Warn when this share of the roll or less is left.
    pub warn_percent: u8,
}

impl Default for RollConfig {
    fn default() -> RollConfig {
        RollConfig { length_m: 30, warn_percent: 10 }
    }
}

impl RollConfig {
    pub fn length_mm(&self) -> u64 {
        u64::from(self.length_m) * 1000
    }

    /// Remaining millimetres at or below which staff are warned.
    pub fn warn_at_mm(&self) -> u64 {
        self.length_mm() * u64::from(self.warn_percent.min(100)) / 100
    }

    pub fn validate(&self) -> Result<(), CounterError> {
        if self.length_m == 0 {
            return Err(CounterError::Roll("length_m must be more than 0".into()));
        }
        if self.warn_percent > 100 {
            return Err(CounterError::Roll(format!(
                "warn_percent must be 0 to 100, not {}",
                self.warn_percent
            )));
        }
        Ok(())
    }
}

/// Why the counter could not be read or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    #[error("paper counter {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The file exists but holds no count. Atomic replacement means the kiosk never writes
    /// such a file; something else did.
    #[error("paper counter {path} does not hold a count (expected `used_mm=<number>`)")]
    Corrupt { path: PathBuf },
    #[error("paper roll setting: {0}")]
    Roll(String),
}

/// Paper used since the last roll change, persisted. Clones share one counter, so the
/// printer can count while the staff screen reads and resets it.
#[derive(Debug, Clone)]
pub struct PaperCounter {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    roll: RollConfig,
    used_mm: u64,
}

const PREFIX: &str = "used_mm=";

impl PaperCounter {
    /// Opens the counter at `path`; a missing file is a fresh roll and is created now, so a
    /// read-only or missing directory shows up at start rather than after the first print.
    /// A temporary file left by a write the power cut short is discarded: the counter file
    /// itself still holds the last complete count.
    pub fn open(path: impl Into<PathBuf>, roll: RollConfig) -> Result<PaperCounter, CounterError> {
        roll.validate()?;
        let path = path.into();
        let io = |source| CounterError::Io { path: path.clone(), source };
        let temp = temp_path(&path);
        match fs::remove_file(&temp) {
            Ok(()) => {
                tracing::warn!(path = %temp.display(), "discarded an unfinished paper counter update")
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(error)),
        }
        let used_mm = match fs::read_to_string(&path) {
            Ok(text) => parse(&text).ok_or_else(|| CounterError::Corrupt { path: path.clone() })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                persist(&path, 0).map_err(io)?;
                0
            }
            Err(error) => return Err(io(error)),
        };
        Ok(PaperCounter { inner: Arc::new(Mutex::new(Inner { path, roll, used_mm })) })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn roll(&self) -> RollConfig {
        self.lock().roll
    }

    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    /// Paper used since the roll was loaded.
    pub fn used_mm(&self) -> u64 {
        self.lock().used_mm
    }

    /// Paper left by the count (0 once the count passes the roll's length).
    pub fn remaining_mm(&self) -> u64 {
        let inner = self.lock();
        inner.roll.length_mm().saturating_sub(inner.used_mm)
    }

    /// True once the remaining paper is at or below the warning threshold.
    pub fn should_warn(&self) -> bool {
        let inner = self.lock();
        inner.roll.length_mm().saturating_sub(inner.used_mm) <= inner.roll.warn_at_mm()
    }

    /// Counts a printed document; returns the millimetres it used.
    pub fn record(&self, doc: &Document) -> Result<u32, CounterError> {
        let mm = document_mm(doc);
        self.add_mm(u64::from(mm))?;
        Ok(mm)
    }

    /// Counts `mm` of paper. The count in memory goes up even if saving fails (the paper
    /// was used); the next successful save catches the file up.
    pub fn add_mm(&self, mm: u64) -> Result<(), CounterError> {
        let mut inner = self.lock();
        inner.used_mm = inner.used_mm.saturating_add(mm);
        let (path, used) = (inner.path.clone(), inner.used_mm);
        persist(&path, used).map_err(|source| CounterError::Io { path, source })
    }

    /// A new roll was loaded: the count starts again from zero.
    pub fn reset(&self) -> Result<(), CounterError> {
        let mut inner = self.lock();
        inner.used_mm = 0;
        let path = inner.path.clone();
        persist(&path, 0).map_err(|source| CounterError::Io { path, source })
    }
}

/// Where an update is written before it replaces the counter file.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

fn parse(text: &str) -> Option<u64> {
    text.trim_end_matches('\n').strip_prefix(PREFIX)?.parse().ok()
}

/// Write the temporary file, flush it to disk, rename it over the counter, then flush the
/// directory so the rename itself survives a power cut.
fn persist(path: &Path, used_mm: u64) -> io::Result<()> {
    let temp = temp_path(path);
    let mut file = File::create(&temp)?;
    file.write_all(format!("{PREFIX}{used_mm}\n").as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::{Paper, Style};

    #[test]
    fn a_known_document_has_a_known_length() {
        let mut doc = Document::new(Paper::Mm58);
        doc.text("JUDUL", Style::center().double()) // 48 dots
            .text("baris satu", Style::default()) // 34
            .rule() // 34
            .feed(2) // 68
            .cut();
        // 184 dots = 23 mm, plus the cut margin.
        assert_eq!(document_mm(&doc), 23 + CUT_MARGIN_MM);
    }

    #[test]
    fn a_qr_code_counts_its_modules_and_quiet_zone() {
        // 20 alphanumeric characters fit version 1 at level M (21 modules, 29 with the
        // quiet zone); 21 need version 2 (25, 33).
        // At 5-dot modules: 29 x 5 = 145 and 33 x 5 = 165 dots.
        let v1 = Block::Qr { payload: "ANJUNGAN/STATUS/0001".into() };
        assert_eq!(block_dots(&v1), 145);
        let v2 = Block::Qr { payload: "ANJUNGAN/STATUS/00001".into() };
        assert_eq!(block_dots(&v2), 165);
    }

    #[test]
    fn roll_settings_are_checked() {
        assert!(RollConfig { length_m: 0, warn_percent: 10 }.validate().is_err());
        assert!(RollConfig { length_m: 30, warn_percent: 101 }.validate().is_err());
        assert_eq!(RollConfig::default().warn_at_mm(), 3_000);
        let parsed: RollConfig = toml::from_str("length_m = 50").expect("toml");
        assert_eq!(parsed, RollConfig { length_m: 50, warn_percent: 10 });
    }

    #[test]
    fn only_the_exact_format_is_a_count() {
        assert_eq!(parse("used_mm=120\n"), Some(120));
        assert_eq!(parse("used_mm=\n"), None);
        assert_eq!(parse("used_mm=12x"), None);
        assert_eq!(parse(""), None);
    }
}
