//! The input task: raw level changes from the pins (interrupt callbacks on the Pi, the
//! simulator's presses) go through one [`Debouncer`] per input and come out as
//! [`GpioEvent`]s. One task for every backend, so the simulator exercises the code the kiosk
//! runs on a Raspberry Pi.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::debounce::Debouncer;
use super::{GpioEvent, Input};

/// A raw (undebounced) change seen on an input, stamped where it was seen so that delays in
/// delivering it do not shorten the measured bounce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawEdge {
    pub input: Input,
    /// The input's logical state (door open, button pressed), active-low already applied.
    pub active: bool,
    pub at: Instant,
}

/// One input as the task starts it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputSpec {
    pub input: Input,
    /// The state read at start: reported at once if active (a door already open at boot).
    pub active: bool,
    pub debounce: Duration,
}

/// Runs until `shutdown` fires or is dropped, the raw side closes, or nobody listens.
pub(crate) fn spawn(
    specs: Vec<InputSpec>,
    raw: mpsc::UnboundedReceiver<RawEdge>,
    events: mpsc::Sender<GpioEvent>,
    shutdown: oneshot::Receiver<()>,
) {
    tokio::spawn(run(specs, raw, events, shutdown));
}

async fn run(
    specs: Vec<InputSpec>,
    mut raw: mpsc::UnboundedReceiver<RawEdge>,
    events: mpsc::Sender<GpioEvent>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut inputs: Vec<(Input, Debouncer)> = Vec::with_capacity(specs.len());
    let mut out: Vec<GpioEvent> = Vec::new();
    for spec in &specs {
        inputs.push((spec.input, Debouncer::new(spec.active, spec.debounce)));
        if spec.active {
            out.push(GpioEvent::new(spec.input, true));
        }
    }
    loop {
        for event in out.drain(..) {
            tracing::debug!(?event, "gpio event");
            tokio::select! {
                biased;
                _ = &mut shutdown => return,
                sent = events.send(event) => if sent.is_err() { return },
            }
        }
        let deadline = inputs.iter().filter_map(|(_, d)| d.deadline()).min();
        tokio::select! {
            biased;
            _ = &mut shutdown => return,
            edge = raw.recv() => {
                let Some(edge) = edge else { return };
                if let Some((input, debouncer)) = inputs.iter_mut().find(|(i, _)| *i == edge.input)
                    && let Some(active) = debouncer.update(edge.active, edge.at.into_std())
                {
                    out.push(GpioEvent::new(*input, active));
                }
            }
            () = sleep_until(deadline.map_or_else(Instant::now, Instant::from_std)),
                if deadline.is_some() => {
                let now = Instant::now().into_std();
                for (input, debouncer) in &mut inputs {
                    if let Some(active) = debouncer.poll(now) {
                        out.push(GpioEvent::new(*input, active));
                    }
                }
            }
        }
    }
}
