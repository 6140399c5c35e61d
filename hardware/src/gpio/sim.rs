//! The simulated GPIO: every input and output a kiosk can have, driven from code. The desktop
//! demo puts on-screen buttons on it, tests press them; both can open the door with contact
//! bounce and read back what the LED and buzzer did.
//!
//! Raw changes go through the same input task and debouncer as the Raspberry Pi's pins, and
//! the LED and buzzer are played by the same pattern player, so what the simulator shows is
//! what the kiosk would do. Time is tokio's: under `#[tokio::test(start_paused = true)]`
//! bounces and blinks are exact and instant.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::input::{InputSpec, RawEdge};
use super::{Beep, Gpio, GpioConfig, GpioError, GpioEvents, Input, LedState, Parts};

/// Controls of a simulated GPIO. Clones share the same device.
#[derive(Clone)]
pub struct SimGpio {
    inner: Arc<Inner>,
}

struct Inner {
    raw: mpsc::UnboundedSender<RawEdge>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Raw (undebounced) state of each input, in `Input::ALL` order.
    active: [bool; 3],
    leds: Vec<(Instant, LedState)>,
    beeps: Vec<(Instant, Option<Beep>)>,
    led_levels: Vec<(Instant, bool)>,
    buzzer_levels: Vec<(Instant, bool)>,
}

fn index(input: Input) -> usize {
    match input {
        Input::Door => 0,
        Input::Presence => 1,
        Input::CallStaff => 2,
    }
}

impl SimGpio {
    /// A simulated kiosk with every input idle (door closed, nobody there, button up).
    /// Debounce windows come from `config`; its pins are ignored.
    pub fn start(config: &GpioConfig) -> Result<(Gpio, GpioEvents), GpioError> {
        SimGpio::start_with(config, &[])
    }

    /// As [`SimGpio::start`], with `active` inputs already active at start (a door left
    /// open): they are reported at once, as the Pi reports pins it reads at start.
    pub fn start_with(
        config: &GpioConfig,
        active: &[Input],
    ) -> Result<(Gpio, GpioEvents), GpioError> {
        let (raw, raw_rx) = mpsc::unbounded_channel();
        let mut state = State::default();
        for input in active {
            state.active[index(*input)] = true;
        }
        let sim = SimGpio { inner: Arc::new(Inner { raw, state: Mutex::new(state) }) };
        let inputs = Input::ALL
            .iter()
            .map(|&input| InputSpec {
                input,
                active: active.contains(&input),
                debounce: config.debounce(input),
            })
            .collect();
        let led = {
            let sim = sim.clone();
            move |on| sim.state().led_levels.push((Instant::now(), on))
        };
        let buzzer = {
            let sim = sim.clone();
            move |on| sim.state().buzzer_levels.push((Instant::now(), on))
        };
        Gpio::assemble(Parts {
            name: "sim".into(),
            led: Some(Box::new(led)),
            buzzer: Some(Box::new(buzzer)),
            inputs,
            raw: raw_rx,
            sim: Some(sim),
            device: None,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- inputs ----

    /// Sets an input's raw state now, as a clean contact would. Setting the state it
    /// already has does nothing (no edge on the wire).
    pub fn set(&self, input: Input, active: bool) {
        let mut state = self.state();
        if state.active[index(input)] == active {
            return;
        }
        state.active[index(input)] = active;
        // Sent under the lock so that concurrent callers' edges arrive in the order of
        // their timestamps. Fails only once the Gpio is dropped: then nobody listens.
        let _ = self.inner.raw.send(RawEdge { input, active, at: Instant::now() });
    }

    /// The raw state, before debouncing.
    pub fn is_active(&self, input: Input) -> bool {
        self.state().active[index(input)]
    }

    /// Moves an input to `active` through `bounces` contact bounces: the contact makes and
    /// breaks every `every` (active, inactive, ... ) and settles at `active`. Returns when
    /// it has settled (after `2 * bounces * every`).
    pub async fn bounce(&self, input: Input, active: bool, bounces: u32, every: Duration) {
        for _ in 0..bounces {
            self.set(input, active);
            tokio::time::sleep(every).await;
            self.set(input, !active);
            tokio::time::sleep(every).await;
        }
        self.set(input, active);
    }

    /// An input active for `length`, then back: a spike on the cable or a brushed button.
    pub async fn glitch(&self, input: Input, length: Duration) {
        let was = self.is_active(input);
        self.set(input, !was);
        tokio::time::sleep(length).await;
        self.set(input, was);
    }

    pub fn open_door(&self) {
        self.set(Input::Door, true);
    }

    pub fn close_door(&self) {
        self.set(Input::Door, false);
    }

    /// Someone steps in front of the kiosk (`true`) or leaves (`false`).
    pub fn presence(&self, there: bool) {
        self.set(Input::Presence, there);
    }

    pub fn press_call_staff(&self) {
        self.set(Input::CallStaff, true);
    }

    pub fn release_call_staff(&self) {
        self.set(Input::CallStaff, false);
    }

    // ---- outputs ----

    pub(crate) fn record_led(&self, state: LedState) {
        self.state().leds.push((Instant::now(), state));
    }

    pub(crate) fn record_beep(&self, beep: Option<Beep>) {
        self.state().beeps.push((Instant::now(), beep));
    }

    /// The LED state last set (`Off` before any).
    pub fn led(&self) -> LedState {
        self.state().leds.last().map_or(LedState::Off, |(_, s)| *s)
    }

    /// Every LED state set, oldest first, with when.
    pub fn led_history(&self) -> Vec<(Instant, LedState)> {
        self.state().leds.clone()
    }

    /// Every beep asked for, oldest first; `None` is a [`Gpio::silence`].
    pub fn beeps(&self) -> Vec<(Instant, Option<Beep>)> {
        self.state().beeps.clone()
    }

    /// Each time the LED actually went on (`true`) or off, as the pattern player drove it.
    pub fn led_levels(&self) -> Vec<(Instant, bool)> {
        self.state().led_levels.clone()
    }

    /// Each time the buzzer actually started (`true`) or stopped sounding.
    pub fn buzzer_levels(&self) -> Vec<(Instant, bool)> {
        self.state().buzzer_levels.clone()
    }

    /// Whether the LED is lit right now.
    pub fn led_lit(&self) -> bool {
        self.state().led_levels.last().is_some_and(|(_, on)| *on)
    }

    /// Whether the buzzer is sounding right now.
    pub fn buzzer_sounding(&self) -> bool {
        self.state().buzzer_levels.last().is_some_and(|(_, on)| *on)
    }
}

impl std::fmt::Debug for SimGpio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("SimGpio").field("active", &state.active).finish_non_exhaustive()
    }
}
