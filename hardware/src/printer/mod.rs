//! The receipt printer: a document model, its ESC/POS rendering, a decoder that reads the
//! bytes back, and simulated printers.
//!
//! Real connections (USB, serial, network, file) are [`connection::ConnectedPrinter`], which
//! implements the same [`Printer`] trait, checks the printer's real-time status
//! ([`status`]) and counts paper ([`paper`]); [`device_sim`] simulates the printer end.

pub mod decode;
pub mod document;
pub mod render;
pub mod sanitize;
pub mod sim;
// Code pages and the PNG preview of a printout.
pub mod codepage;
pub mod preview;
// Real connections, real-time status, the paper counter and a simulated device.
pub mod connection;
pub mod device_sim;
pub mod paper;
pub mod status;

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
    /// The printer reports its roll empty: nothing was sent; load paper and retry.
    #[error("printer is out of paper")]
    PaperOut,
    /// The printer's cover is open: nothing was sent.
    #[error("printer cover is open")]
    CoverOpen,
    /// The printer reports an error (cutter jam, head too hot, ...): nothing was sent.
    #[error("printer error: {0}")]
    Fault(status::PrinterFault),
    /// The printer did not answer its status request, or says it is offline.
    #[error("printer is offline: {0}")]
    Offline(status::OfflineReason),
    /// The printer's device or address could not be opened.
    #[error(transparent)]
    Connect(connection::ConnectError),
}

/// Something that prints documents.
pub trait Printer: Send {
    /// Prints one document, cut at the end. Returns once the bytes are handed to the device.
    fn print(&mut self, doc: &Document) -> Result<(), PrintError>;

    /// A name for logs and the staff screen.
    fn name(&self) -> String;
}
