//! The receipt printer: a document model, its ESC/POS rendering, a decoder that reads the
//! bytes back, and simulated printers.
//!
//! Real connections (USB, serial, network) and real-time status come with the hardware
//! issue; they implement the same [`Printer`] trait.

pub mod decode;
pub mod document;
pub mod render;
pub mod sanitize;
pub mod sim;
// Code pages and the PNG preview of a printout.
pub mod codepage;
pub mod preview;

pub use document::{Align, Block, Document, Paper, Size, Style};
pub use document::{Bitmap, Column, ColumnWidth, DocumentError, Table};

/// Why a document did not print.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrintError {
    /// The connection to the printer failed (unplugged, permission, device gone).
    #[error("printer connection: {0}")]
    Io(#[from] std::io::Error),
    /// The document could not be expressed in ESC/POS (e.g. a QR payload too long).
    #[error("cannot encode document: {0}")]
    Encoding(String),
}

/// Something that prints documents.
pub trait Printer: Send {
    /// Prints one document, cut at the end. Returns once the bytes are handed to the device.
    fn print(&mut self, doc: &Document) -> Result<(), PrintError>;

    /// A name for logs and the staff screen.
    fn name(&self) -> String;
}
