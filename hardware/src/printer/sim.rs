//! Simulated printers, first-class: the demo, the tests and a kiosk without paper use them.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::printer::render::render;
use crate::printer::{Document, Paper, PrintError, Printer};

/// Keeps every job's ESC/POS bytes in memory. Clones share the same job list, so a test can
/// hand one clone to the kiosk and read the jobs from another.
#[derive(Clone, Debug, Default)]
pub struct MemoryPrinter {
    paper: Paper,
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl MemoryPrinter {
    pub fn new(paper: Paper) -> MemoryPrinter {
        MemoryPrinter { paper, jobs: Arc::default() }
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    /// Every job printed so far, oldest first.
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        self.jobs.lock().map(|jobs| jobs.clone()).unwrap_or_default()
    }

    pub fn last_job(&self) -> Option<Vec<u8>> {
        self.jobs().pop()
    }
}

impl Printer for MemoryPrinter {
    fn print(&mut self, doc: &Document) -> Result<(), PrintError> {
        let bytes = render(doc)?;
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(bytes);
        Ok(())
    }

    fn name(&self) -> String {
        "memory".into()
    }
}

/// Writes each job to a path: a file it appends to, a printer device node such as
/// `/dev/usb/lp0`, or the slave side of a pseudo-terminal.
pub struct FilePrinter {
    path: PathBuf,
    file: File,
}

impl FilePrinter {
    pub fn open(path: impl AsRef<Path>) -> Result<FilePrinter, PrintError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create(true).open(&path)?;
        Ok(FilePrinter { path, file })
    }
}

impl Printer for FilePrinter {
    fn print(&mut self, doc: &Document) -> Result<(), PrintError> {
        let bytes = render(doc)?;
        // One write for the whole job: a power cut leaves a job either absent or complete
        // up to the device's own buffer, never interleaved with another.
        self.file.write_all(&bytes)?;
        self.file.flush()?;
        // Device nodes and ptys do not support fsync; regular files do.
        if self.file.metadata().map(|m| m.is_file()).unwrap_or(false) {
            self.file.sync_data()?;
        }
        Ok(())
    }

    fn name(&self) -> String {
        format!("file:{}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::Style;
    use crate::printer::decode::decode;

    fn receipt() -> Document {
        let mut doc = Document::new(Paper::Mm58);
        doc.text("TIKET", Style::center().bold()).qr("T-0001").cut();
        doc
    }

    #[test]
    fn memory_printer_keeps_every_job() {
        let printer = MemoryPrinter::new(Paper::Mm58);
        let mut handle = printer.clone();
        handle.print(&receipt()).expect("print");
        handle.print(&receipt()).expect("print");
        assert_eq!(printer.jobs().len(), 2);
        assert_eq!(decode(&printer.last_job().expect("job")).qr_codes, vec!["T-0001"]);
    }

    #[test]
    fn file_printer_appends_jobs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("receipts.escpos");
        let mut printer = FilePrinter::open(&path).expect("open");
        printer.print(&receipt()).expect("print");
        printer.print(&receipt()).expect("print");
        let decoded = decode(&std::fs::read(&path).expect("read"));
        assert_eq!(decoded.cuts, 2);
        assert_eq!(decoded.lines.iter().filter(|l| l.text == "TIKET").count(), 2);
    }

    #[test]
    fn missing_directory_is_a_connection_error() {
        let error = FilePrinter::open("/nonexistent/dir/lp0").err().expect("error");
        assert!(matches!(error, PrintError::Io(_)), "{error}");
    }
}
