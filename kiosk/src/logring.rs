//! The kiosk's own recent log lines, kept in memory for the staff screen's log tail and the
//! heartbeat's `last_error`. A desa staff member on site has no shell; this is what they
//! (and the kabupaten operators on the phone) read.
//!
//! Lines are masked before they are kept (any 16-digit run, as a NIK or KK would be), so the
//! buffer holds nothing the log itself would not already be allowed to hold.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use protocol::mask::mask_digits_in;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// Lines kept; the staff screen shows the last [`TAIL`].
pub const CAPACITY: usize = 200;
/// Lines the staff screen shows.
pub const TAIL: usize = 50;
/// Longest line kept, in characters.
const LINE_MAX: usize = 240;

#[derive(Default)]
struct Ring {
    lines: VecDeque<String>,
    last_error: Option<String>,
}

fn ring() -> &'static Mutex<Ring> {
    static RING: OnceLock<Mutex<Ring>> = OnceLock::new();
    RING.get_or_init(Mutex::default)
}

fn lock() -> std::sync::MutexGuard<'static, Ring> {
    ring().lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The last `n` lines, oldest first.
pub fn tail(n: usize) -> Vec<String> {
    let ring = lock();
    ring.lines.iter().skip(ring.lines.len().saturating_sub(n)).cloned().collect()
}

/// The most recent ERROR line's message, masked.
pub fn last_error() -> Option<String> {
    lock().last_error.clone()
}

/// Adds a line as the layer would (also used by tests and by code that wants a line on the
/// staff screen without a tracing subscriber).
pub fn push(level: Level, target: &str, message: &str) {
    let time = time::OffsetDateTime::now_utc();
    let line = format!(
        "{:02}:{:02}:{:02} {level:<5} {target}: {}",
        time.hour(),
        time.minute(),
        time.second(),
        mask_digits_in(message)
    );
    let line: String = line.chars().take(LINE_MAX).collect();
    let mut ring = lock();
    if level == Level::ERROR {
        ring.last_error = Some(mask_digits_in(message).chars().take(LINE_MAX).collect());
    }
    if ring.lines.len() == CAPACITY {
        ring.lines.pop_front();
    }
    ring.lines.push_back(line);
}

/// A tracing layer feeding the ring; install it beside the stderr formatter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RingLayer;

impl<S: Subscriber> Layer<S> for RingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::INFO {
            return; // debug and trace lines would push the useful ones out
        }
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let target = event.metadata().target();
        let target = target.rsplit("::").next().unwrap_or(target);
        push(level, target, &visitor.text());
    }
}

/// `message key=value ...` of one event.
#[derive(Default)]
struct Fields {
    message: String,
    fields: String,
}

impl Fields {
    fn text(&self) -> String {
        format!("{}{}", self.message, self.fields)
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn lines_are_masked_bounded_and_errors_remembered() {
        let subscriber = tracing_subscriber::registry().with(RingLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(nik = "3510011203850001", "status received");
            tracing::debug!("not kept");
            tracing::error!(error = "timeout", "report 3510015203850002 not sent");
        });
        let lines = tail(TAIL);
        let text = lines.join("\n");
        assert!(text.contains("status received nik=3510********0001"), "{text}");
        assert!(!text.contains("not kept"));
        assert!(!text.contains("3510011203850001") && !text.contains("3510015203850002"));
        assert_eq!(last_error().as_deref(), Some("report 3510********0002 not sent error=timeout"));
        for n in 0..(CAPACITY + 10) {
            push(Level::INFO, "t", &format!("line {n}"));
        }
        assert_eq!(tail(CAPACITY * 2).len(), CAPACITY);
        let last = tail(3);
        assert!(last[0].ends_with("line 207") && last[2].ends_with("line 209"), "{last:?}");
    }
}
