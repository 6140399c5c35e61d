//! The audit log's CSV export, streamed: rows are read a page at a time by keyset on the
//! audit id (`id < last`, newest first; never OFFSET, which rereads every row it skips) on
//! the blocking pool and sent as they are read, so an export of the whole log needs neither
//! a cap nor the whole file in memory. A bounded channel carries the pages: a slow client
//! slows the reading, and a client that goes away stops it.
//!
//! The export is audited twice: durably before the first row leaves (`started`, with the
//! filter), and when it ends with how many rows it held (`exported`, or `incomplete` when the
//! client left or the store failed; a store failure also cuts the body short, so a partial
//! file is never mistaken for a whole one).

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::mpsc;

use crate::audit_view;
use crate::store::{AUDIT_EXPORT_PAGE, AuditEntry, AuditFilter, Store, StoreError};

/// Pages read ahead of the client.
const AHEAD: usize = 4;

/// The pages as the body's stream.
struct Pages(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Pages {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// A short description of a filter for the audit's own entries.
pub fn described(filter: &AuditFilter) -> String {
    let parts = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("outcome", &filter.outcome),
        ("subject", &filter.subject),
        ("from", &filter.from),
        ("to", &filter.to),
    ];
    let said: Vec<String> = parts
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
    if said.is_empty() { "all".into() } else { said.join(" ") }
}

fn entry(actor: &str, action: &str, subject: String, outcome: &str) -> AuditEntry {
    AuditEntry {
        at: crate::http::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject,
        outcome: outcome.to_owned(),
    }
}

/// The export of `filter` as a streamed `text/csv` download, audited as `actor` doing
/// `action`. Fails only when its `started` entry cannot be written (then nothing is sent).
pub fn export(
    store: Store,
    filter: AuditFilter,
    actor: &str,
    action: &str,
) -> Result<Response, StoreError> {
    let about = described(&filter);
    store.audit_read(entry(actor, action, about.clone(), "started"))?;
    let (sender, receiver) = mpsc::channel(AHEAD);
    let (actor, action) = (actor.to_owned(), action.to_owned());
    tokio::task::spawn_blocking(move || {
        let (rows, outcome) = walk(&store, &filter, &sender);
        let subject = format!("{about} rows={rows}");
        store.audit(entry(&actor, &action, subject, outcome));
        // The sender drops here, after the entry is queued: the body ends once it is.
    });
    let mut response = Response::new(Body::from_stream(Pages(receiver)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"audit.csv\""),
    );
    Ok(response)
}

/// Sends the header and every matching row; answers how many rows went and the outcome.
fn walk(
    store: &Store,
    filter: &AuditFilter,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> (usize, &'static str) {
    let mut chunk = String::from(audit_view::CSV_HEADER);
    let (mut rows, mut before) = (0usize, None);
    loop {
        let page = match store.audit_after(filter, before, AUDIT_EXPORT_PAGE) {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "audit export stopped");
                let _ = sender.blocking_send(Err(std::io::Error::other("audit export failed")));
                return (rows, "incomplete");
            }
        };
        let last = page.len() < AUDIT_EXPORT_PAGE;
        for (id, line) in page {
            chunk.push_str(&audit_view::csv_row(&audit_view::line(line)));
            before = Some(id);
            rows += 1;
        }
        if sender.blocking_send(Ok(Bytes::from(std::mem::take(&mut chunk)))).is_err() {
            return (rows, "incomplete");
        }
        if last {
            return (rows, "exported");
        }
    }
}
