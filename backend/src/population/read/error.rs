//! Why a whole file could not be read (as opposed to a bad row, which is a
//! [`super::Rejection`]).

use protocol::Text;

/// A file that cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// No row of the file looks like the header of a population file; `missing` names the
    /// required columns the closest layout lacks.
    #[error("not a population file: missing columns {}", missing.join(", "))]
    NotAPopulationFile { missing: Vec<&'static str> },
    /// No row looks like the header of a desil file.
    #[error("not a desil file: missing columns {}", missing.join(", "))]
    NotADesilFile { missing: Vec<&'static str> },
    #[error("cannot read the spreadsheet: {0}")]
    Spreadsheet(#[from] calamine::Error),
    #[error("cannot read the CSV file: {0}")]
    Csv(#[from] csv::Error),
    /// A header and no data rows.
    #[error("the file has no data rows")]
    Empty,
}

impl ReadError {
    /// What to tell the operator, Indonesian first.
    pub fn message(&self) -> Text {
        match self {
            ReadError::Io(error) => Text::new(
                format!("Berkas tidak dapat dibaca: {error}."),
                format!("The file cannot be read: {error}."),
            ),
            ReadError::NotAPopulationFile { missing } => Text::new(
                format!(
                    "Ini bukan berkas penduduk format OpenSID atau SIAK: kolom {} tidak ada.",
                    missing.join(", ")
                ),
                format!(
                    "This is not an OpenSID or SIAK population file: columns {} are missing.",
                    missing.join(", ")
                ),
            ),
            ReadError::NotADesilFile { missing } => Text::new(
                format!("Ini bukan berkas desil: kolom {} tidak ada.", missing.join(", ")),
                format!("This is not a desil file: columns {} are missing.", missing.join(", ")),
            ),
            ReadError::Spreadsheet(error) => Text::new(
                format!("Berkas spreadsheet rusak atau tidak didukung: {error}."),
                format!("The spreadsheet is damaged or not supported: {error}."),
            ),
            ReadError::Csv(error) => Text::new(
                format!("Berkas CSV tidak dapat dibaca: {error}."),
                format!("The CSV file cannot be read: {error}."),
            ),
            ReadError::Empty => {
                Text::new("Berkas tidak berisi baris data.", "The file contains no data rows.")
            }
        }
    }
}

impl From<calamine::XlsxError> for ReadError {
    fn from(error: calamine::XlsxError) -> ReadError {
        ReadError::Spreadsheet(calamine::Error::Xlsx(error))
    }
}

impl From<calamine::XlsError> for ReadError {
    fn from(error: calamine::XlsError) -> ReadError {
        ReadError::Spreadsheet(calamine::Error::Xls(error))
    }
}

/// A read that stopped: the file's fault, or the sink's (e.g. the database refused).
#[derive(Debug)]
pub enum ReadFailure<E> {
    Read(ReadError),
    Sink(E),
}

impl<E> From<ReadError> for ReadFailure<E> {
    fn from(error: ReadError) -> ReadFailure<E> {
        ReadFailure::Read(error)
    }
}

impl<E: std::fmt::Display> std::fmt::Display for ReadFailure<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::Read(error) => error.fmt(f),
            ReadFailure::Sink(error) => error.fmt(f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ReadFailure<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadFailure::Read(error) => Some(error),
            ReadFailure::Sink(error) => Some(error),
        }
    }
}
