//! Plays [`Pattern`]s on one output: a tokio task that writes the level at each phase
//! boundary and sleeps in between, so a blinking LED costs nothing while nothing changes.
//! The write itself is a closure: a Raspberry Pi pin or the simulator's recorder.
//!
//! Every phase is played in full and in order, even when the task wakes late: timing may
//! stretch on a busy CPU, the pattern (how many beeps, which blink) does not change.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::pattern::Pattern;

/// The handle of a running player. Dropping it stops the task, which turns the output off.
pub(crate) struct Player {
    patterns: mpsc::UnboundedSender<Pattern>,
}

impl Player {
    /// Starts with the output off. Must be called inside a tokio runtime.
    pub(crate) fn spawn(write: impl FnMut(bool) + Send + 'static) -> Player {
        let (patterns, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx, write));
        Player { patterns }
    }

    /// Replaces whatever is playing, from its first phase.
    pub(crate) fn play(&self, pattern: Pattern) {
        // Fails only when the runtime is gone, and then there is nothing left to drive.
        if self.patterns.send(pattern).is_err() {
            tracing::debug!("output player stopped; pattern dropped");
        }
    }
}

async fn run(mut patterns: mpsc::UnboundedReceiver<Pattern>, mut write: impl FnMut(bool)) {
    let mut pattern = Pattern::steady(false);
    // Where in the pattern we are, and when that position was (or is due to be) reached.
    let mut position = Duration::ZERO;
    let mut started = Instant::now();
    let mut level = None;
    loop {
        let want = pattern.level_at(position);
        if level != Some(want) {
            write(want);
            level = Some(want);
        }
        let next = match pattern.next_boundary(position) {
            Some(boundary) => tokio::select! {
                biased;
                next = patterns.recv() => next,
                () = sleep_until(started + boundary) => {
                    // Woken late (a busy CPU): shift the rest of the pattern rather than
                    // skip a phase, so an error still sounds as three beeps, not two.
                    let late = Instant::now().saturating_duration_since(started + boundary);
                    started += late;
                    position = boundary;
                    continue;
                }
            },
            None => patterns.recv().await,
        };
        match next {
            Some(next) => {
                pattern = next;
                position = Duration::ZERO;
                started = Instant::now();
            }
            None => break,
        }
    }
    // The kiosk is shutting down (or the runtime is): leave no LED lit, no buzzer sounding.
    if level == Some(true) {
        write(false);
    }
}
