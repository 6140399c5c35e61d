//! The file's reader on a thread of its own, handing what it reads to the writer in batches
//! over a bounded channel: reading and validating overlap with staging, and memory stays
//! flat (the channel holds at most a few batches).

use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

use super::ImportError;
use crate::population::read::{FileSummary, ReadFailure};

/// Items handed over at once: enough to keep the channel's overhead small.
const BATCH: usize = 2048;
/// Batches the channel holds before the reader waits for the writer.
const QUEUED: usize = 4;

/// The writer stopped taking items; the reader stops too, and the writer's own error is
/// the one reported.
#[derive(Debug)]
pub struct Stopped;

type Reading = Result<FileSummary, ReadFailure<Stopped>>;

/// What the reader hands over, and the reader itself, to be joined when all is taken.
pub struct Feed<'scope, T> {
    batches: mpsc::Receiver<Vec<T>>,
    reader: std::io::Result<ScopedJoinHandle<'scope, Reading>>,
}

impl<'scope, T: Send + 'scope> Feed<'scope, T> {
    /// Starts `read` on the thread `registry-reader` (named for profiles and `top -H`),
    /// with a sink that batches what it is given.
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        read: impl FnOnce(&mut dyn FnMut(T) -> Result<(), Stopped>) -> Reading + Send + 'scope,
    ) -> Feed<'scope, T> {
        let (sender, batches) = mpsc::sync_channel::<Vec<T>>(QUEUED);
        let reader = std::thread::Builder::new().name("registry-reader".into()).spawn_scoped(
            scope,
            move || {
                let mut batch = Vec::with_capacity(BATCH);
                let summary = read(&mut |item| {
                    batch.push(item);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        sender.send(full).map_err(|_| Stopped)?;
                    }
                    Ok(())
                });
                if !batch.is_empty() {
                    // The writer may have stopped already; its error is the one reported.
                    let _ = sender.send(batch);
                }
                summary
            },
        );
        Feed { batches, reader }
    }

    /// Hands every item to `each` in the file's order, then waits for the reader: its
    /// summary, or why the file could not be read.
    pub fn drain(
        self,
        mut each: impl FnMut(T) -> Result<(), ImportError>,
    ) -> Result<FileSummary, ImportError> {
        let reader = self.reader.map_err(ImportError::Thread)?;
        for batch in self.batches {
            for item in batch {
                each(item)?;
            }
        }
        match reader.join() {
            Ok(Ok(summary)) => Ok(summary),
            Ok(Err(ReadFailure::Read(error))) => Err(ImportError::Read(error)),
            Ok(Err(ReadFailure::Sink(Stopped))) | Err(_) => Err(ImportError::ReaderPanicked),
        }
    }
}
