//! Rows out of a CSV file or a spreadsheet, one at a time, never the whole file in memory.
//!
//! The kind of file is told by its first bytes, not its name: a ZIP is an XLSX/XLSM
//! workbook, an OLE compound file an XLS workbook, anything else CSV.
//!
//! - CSV: streamed; the delimiter (`,`, `;` or tab) is the most frequent of the three on the
//!   first line (spreadsheets in the Indonesian locale save with `;`). Not UTF-8 text is read
//!   as Latin-1.
//! - XLSX: streamed cell by cell with calamine's `worksheet_cells_reader`; only the
//!   workbook's shared-strings table (every distinct text of the file) stays in memory, as
//!   calamine needs it to resolve cells. For the largest files CSV keeps memory flattest.
//! - XLS: calamine can only load a whole sheet; an XLS sheet holds at most 65,536 rows, so
//!   that is bounded.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use sha2::{Digest, Sha256};
use time::{Date, Month};

use super::cell::Cell;
use super::error::{ReadError, ReadFailure};

/// One row, its cells by 0-based column.
pub(crate) trait Row {
    fn cell(&self, column: usize) -> Cell<'_>;
    fn width(&self) -> usize;
    fn is_blank(&self) -> bool {
        (0..self.width()).all(|column| self.cell(column).is_blank())
    }
}

/// Where a row sits: its line (CSV) or row (spreadsheet), 1-based, and how far the read is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub line: u64,
    pub done_bytes: u64,
}

/// Whether to go on with the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Cells beyond this column are ignored: no population file has that many, and a stray
/// formatted cell far to the right must not make every row that wide.
const MAX_COLUMNS: usize = 256;

enum Kind {
    Csv { delimiter: u8 },
    Xlsx(Box<Xlsx<Counting<BufReader<File>>>>),
    Xls(Box<Xls<BufReader<File>>>),
}

/// An opened file: its sheets (one unnamed sheet for CSV) and how to walk them.
pub(crate) struct Source {
    path: PathBuf,
    kind: Kind,
    sheets: Vec<String>,
    total_bytes: u64,
    position: Arc<AtomicU64>,
}

impl Source {
    pub(crate) fn open(path: &Path) -> Result<Source, ReadError> {
        let mut file = File::open(path)?;
        let total_bytes = file.metadata()?.len();
        let mut magic = [0u8; 8];
        let magic_len = read_up_to(&mut file, &mut magic)?;
        file.seek(SeekFrom::Start(0))?;
        let position = Arc::new(AtomicU64::new(0));
        let (kind, sheets) = if magic[..magic_len].starts_with(b"PK\x03\x04") {
            let reader = Counting { inner: BufReader::new(file), position: position.clone() };
            let workbook: Xlsx<_> = Xlsx::new(reader)?;
            let sheets = workbook.sheet_names();
            (Kind::Xlsx(Box::new(workbook)), sheets)
        } else if magic[..magic_len] == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
            let workbook: Xls<_> = Xls::new(BufReader::new(file))?;
            let sheets = workbook.sheet_names();
            (Kind::Xls(Box::new(workbook)), sheets)
        } else {
            (Kind::Csv { delimiter: sniff_delimiter(&mut file)? }, vec![String::new()])
        };
        Ok(Source { path: path.to_owned(), kind, sheets, total_bytes, position })
    }

    /// Sheet names; CSV has one, named "".
    pub(crate) fn sheets(&self) -> &[String] {
        &self.sheets
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Hands every row of sheet `sheet` to `visit`, in file order, until it says stop.
    pub(crate) fn scan<E>(
        &mut self,
        sheet: usize,
        visit: &mut dyn FnMut(Place, &dyn Row) -> Result<Flow, E>,
    ) -> Result<(), ReadFailure<E>> {
        let name = self.sheets.get(sheet).cloned().unwrap_or_default();
        let total = self.total_bytes;
        match &mut self.kind {
            Kind::Csv { delimiter } => {
                let file = File::open(&self.path).map_err(ReadError::from)?;
                self.position.store(0, Ordering::Relaxed);
                let (tee, mut lines) = super::lines::tee(file, self.position.clone());
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(*delimiter)
                    .buffer_capacity(1 << 16)
                    .from_reader(tee);
                let mut record = csv::ByteRecord::new();
                while reader.read_byte_record(&mut record).map_err(ReadError::from)? {
                    let line = lines.record_ending_at(reader.position().byte());
                    let done_bytes = self.position.load(Ordering::Relaxed).min(total);
                    let place = Place { line, done_bytes };
                    if visit(place, &CsvRow(&record)).map_err(ReadFailure::Sink)? == Flow::Stop {
                        break;
                    }
                }
            }
            Kind::Xlsx(workbook) => {
                let mut cells = workbook.worksheet_cells_reader(&name).map_err(ReadError::from)?;
                let mut row: Vec<DataRef<'_>> = Vec::new();
                let mut current: Option<u32> = None;
                let mut furthest = 0u64;
                let mut place = |row_index: u32| {
                    furthest = furthest.max(self.position.load(Ordering::Relaxed)).min(total);
                    Place { line: u64::from(row_index) + 1, done_bytes: furthest }
                };
                loop {
                    let next = cells.next_cell().map_err(ReadError::from)?;
                    let position = next.as_ref().map(|cell| cell.get_position());
                    // A row is complete when the next cell is on another row, or there is none.
                    if let Some(row_index) = current
                        && position.is_none_or(|(r, _)| r != row_index)
                    {
                        let flow = visit(place(row_index), &XlsxRow(&row));
                        if flow.map_err(ReadFailure::Sink)? == Flow::Stop {
                            break;
                        }
                        row.clear();
                    }
                    let Some(cell) = next else { break };
                    let (row_index, column) = cell.get_position();
                    current = Some(row_index);
                    let column = column as usize;
                    if column < MAX_COLUMNS {
                        if row.len() <= column {
                            row.resize(column + 1, DataRef::Empty);
                        }
                        row[column] = cell.get_value().clone();
                    }
                }
            }
            Kind::Xls(workbook) => {
                let range = workbook.worksheet_range(&name).map_err(ReadError::from)?;
                let first = range.start().map_or(0, |(row, _)| u64::from(row));
                let (height, _) = range.get_size();
                for (index, cells) in range.rows().enumerate() {
                    let width = cells.len().min(MAX_COLUMNS);
                    let done_bytes = total * (index as u64 + 1) / (height.max(1) as u64);
                    let place = Place { line: first + index as u64 + 1, done_bytes };
                    let flow = visit(place, &XlsRow(&cells[..width]));
                    if flow.map_err(ReadFailure::Sink)? == Flow::Stop {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

fn read_up_to(file: &mut File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The most frequent of `,`, `;` and tab on the first line (outside quotes); `,` if none.
fn sniff_delimiter(file: &mut File) -> std::io::Result<u8> {
    let mut head = vec![0u8; 64 * 1024];
    let length = read_up_to(file, &mut head)?;
    file.seek(SeekFrom::Start(0))?;
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for byte in &head[..length] {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    Ok(if counts[best] == 0 { b',' } else { [b',', b';', b'\t'][best] })
}

/// SHA-256 of the file's bytes, hex: the import record names exactly what was read.
pub(crate) fn sha256_hex(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buffer)? {
            0 => break,
            n => hasher.update(&buffer[..n]),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// A reader that tells how far into the file it is, for progress.
struct Counting<R> {
    inner: R,
    position: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(to)?;
        self.position.store(at, Ordering::Relaxed);
        Ok(at)
    }
}

struct CsvRow<'r>(&'r csv::ByteRecord);

impl Row for CsvRow<'_> {
    fn cell(&self, column: usize) -> Cell<'_> {
        match self.0.get(column) {
            None | Some(b"") => Cell::Empty,
            Some(bytes) => Cell::Text(match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                // Latin-1: every byte is the character of that number.
                Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
            }),
        }
    }

    fn width(&self) -> usize {
        self.0.len()
    }

    fn is_blank(&self) -> bool {
        self.0.iter().all(|field| field.iter().all(u8::is_ascii_whitespace))
    }
}

struct XlsxRow<'r, 'a>(&'r [DataRef<'a>]);

impl Row for XlsxRow<'_, '_> {
    fn cell(&self, column: usize) -> Cell<'_> {
        match self.0.get(column) {
            None | Some(DataRef::Empty) => Cell::Empty,
            Some(DataRef::Int(number)) => Cell::Number(*number as f64),
            Some(DataRef::Float(number)) => Cell::Number(*number),
            Some(DataRef::String(text)) => Cell::Text(Cow::Borrowed(text)),
            Some(DataRef::SharedString(text)) => Cell::Text(Cow::Borrowed(text)),
            Some(DataRef::Bool(value)) => Cell::Text(Cow::Borrowed(bool_text(*value))),
            Some(DataRef::DateTime(value)) => excel_date(value),
            Some(DataRef::DateTimeIso(text) | DataRef::DurationIso(text)) => {
                Cell::Text(Cow::Borrowed(text))
            }
            Some(DataRef::Error(error)) => Cell::Text(Cow::Owned(error.to_string())),
        }
    }

    fn width(&self) -> usize {
        self.0.len()
    }
}

struct XlsRow<'r>(&'r [Data]);

impl Row for XlsRow<'_> {
    fn cell(&self, column: usize) -> Cell<'_> {
        match self.0.get(column) {
            None | Some(Data::Empty) => Cell::Empty,
            Some(Data::Int(number)) => Cell::Number(*number as f64),
            Some(Data::Float(number)) => Cell::Number(*number),
            Some(Data::String(text)) => Cell::Text(Cow::Borrowed(text)),
            Some(Data::Bool(value)) => Cell::Text(Cow::Borrowed(bool_text(*value))),
            Some(Data::DateTime(value)) => excel_date(value),
            Some(Data::DateTimeIso(text) | Data::DurationIso(text)) => {
                Cell::Text(Cow::Borrowed(text))
            }
            Some(Data::Error(error)) => Cell::Text(Cow::Owned(error.to_string())),
        }
    }

    fn width(&self) -> usize {
        self.0.len()
    }
}

fn bool_text(value: bool) -> &'static str {
    if value { "TRUE" } else { "FALSE" }
}

/// A date-formatted cell as a date; Excel's phantom 29 February 1900 stays text, which no
/// date rule accepts.
fn excel_date(value: &calamine::ExcelDateTime) -> Cell<'static> {
    if !value.is_datetime() {
        return Cell::Number(value.as_f64());
    }
    let (year, month, day, ..) = value.to_ymd_hms_milli();
    let date = Month::try_from(month)
        .ok()
        .and_then(|month| Date::from_calendar_date(i32::from(year), month, day).ok());
    match date {
        Some(date) => Cell::Date(date),
        None => Cell::Text(Cow::Owned(format!("{year:04}-{month:02}-{day:02}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rows_of(path: &Path) -> Vec<(u64, Vec<String>)> {
        let mut source = Source::open(path).expect("opens");
        let mut rows = Vec::new();
        source
            .scan::<()>(0, &mut |place, row| {
                let cells = (0..row.width()).map(|c| row.cell(c).text().into_owned()).collect();
                rows.push((place.line, cells));
                Ok(Flow::Continue)
            })
            .expect("scans");
        rows
    }

    #[test]
    fn csv_delimiter_is_sniffed_and_lines_are_the_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.csv");
        let mut file = File::create(&path).expect("create");
        file.write_all(b"nik;nama\n\"35,10\";\"BUDI\nSANTOSO\"\n\n3;S\xc9TI\n").expect("write");
        drop(file);
        let rows = rows_of(&path);
        assert_eq!(rows[0], (1, vec!["nik".to_string(), "nama".to_string()]));
        assert_eq!(rows[1], (2, vec!["35,10".to_string(), "BUDI\nSANTOSO".to_string()]));
        // The blank line is skipped, and lines stay the file's.
        assert_eq!(rows[2], (5, vec!["3".to_string(), "SÉTI".to_string()]));
    }
}
