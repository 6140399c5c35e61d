//! The kiosk's GPIO: a status LED (idle/busy/fault), a buzzer, and three inputs (the door's
//! tamper switch, a presence sensor that wakes the screen, a "call staff" button) delivered
//! as debounced [`GpioEvent`]s on a `tokio::sync::mpsc` channel.
//!
//! [`open`] picks the backend from [`GpioConfig::driver`]: the Raspberry Pi's pins through
//! `rppal` (module `rpi`, built only with the cargo feature `rpi`) or the simulator
//! ([`sim`]), which the desktop demo and the tests drive. Both feed raw pin changes through
//! the same input task and the same [`debounce::Debouncer`], and play LED and buzzer
//! [`Pattern`]s with the same player.
//!
//! ```no_run
//! # async fn kiosk(config: hardware::gpio::GpioConfig) -> Result<(), hardware::gpio::GpioError> {
//! use hardware::gpio::{GpioEvent, LedState, Beep};
//! let (gpio, mut events) = hardware::gpio::open(&config)?;
//! gpio.set_led(LedState::Idle);
//! while let Some(event) = events.recv().await {
//!     match event {
//!         GpioEvent::CallStaffPressed => gpio.beep(Beep::Attention),
//!         GpioEvent::DoorOpened => gpio.set_led(LedState::Fault),
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```

pub mod debounce;
mod input;
mod output;
pub mod pattern;
#[cfg(feature = "rpi")]
pub mod rpi;
pub mod sim;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

pub use pattern::{Beep, LedState, Pattern, Phase};
pub use sim::SimGpio;

use output::Player;

/// The inputs a kiosk can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// The cabinet door's tamper switch. Active = open.
    Door,
    /// A presence (PIR or radar) sensor in front of the screen. Active = someone there.
    Presence,
    /// The "call staff" push button. Active = pressed.
    CallStaff,
}

impl Input {
    pub const ALL: [Input; 3] = [Input::Door, Input::Presence, Input::CallStaff];

    pub fn name(self) -> &'static str {
        match self {
            Input::Door => "door",
            Input::Presence => "presence",
            Input::CallStaff => "call-staff",
        }
    }

    /// Debounce window when the config gives none: long enough for a reed switch or a
    /// cheap push button to settle, short enough that a press feels immediate.
    pub fn default_debounce(self) -> Duration {
        match self {
            Input::Door => Duration::from_millis(50),
            // PIR modules already output a clean, held level; this only filters spikes.
            Input::Presence => Duration::from_millis(100),
            Input::CallStaff => Duration::from_millis(30),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A debounced change on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GpioEvent {
    DoorOpened,
    DoorClosed,
    PresenceDetected,
    PresenceCleared,
    CallStaffPressed,
    CallStaffReleased,
}

impl GpioEvent {
    /// The event for `input` becoming active or inactive.
    pub fn new(input: Input, active: bool) -> GpioEvent {
        match (input, active) {
            (Input::Door, true) => GpioEvent::DoorOpened,
            (Input::Door, false) => GpioEvent::DoorClosed,
            (Input::Presence, true) => GpioEvent::PresenceDetected,
            (Input::Presence, false) => GpioEvent::PresenceCleared,
            (Input::CallStaff, true) => GpioEvent::CallStaffPressed,
            (Input::CallStaff, false) => GpioEvent::CallStaffReleased,
        }
    }

    pub fn input(self) -> Input {
        match self {
            GpioEvent::DoorOpened | GpioEvent::DoorClosed => Input::Door,
            GpioEvent::PresenceDetected | GpioEvent::PresenceCleared => Input::Presence,
            GpioEvent::CallStaffPressed | GpioEvent::CallStaffReleased => Input::CallStaff,
        }
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            GpioEvent::DoorOpened | GpioEvent::PresenceDetected | GpioEvent::CallStaffPressed
        )
    }
}

impl fmt::Display for GpioEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GpioEvent::DoorOpened => "door opened",
            GpioEvent::DoorClosed => "door closed",
            GpioEvent::PresenceDetected => "presence detected",
            GpioEvent::PresenceCleared => "presence cleared",
            GpioEvent::CallStaffPressed => "call-staff pressed",
            GpioEvent::CallStaffReleased => "call-staff released",
        })
    }
}

/// Which implementation drives the pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// The simulator: every input and output exists; nothing touches hardware.
    #[default]
    Sim,
    /// The Raspberry Pi's pins through `rppal` (needs the `rpi` cargo feature).
    Rpi,
}

/// An output pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputPinConfig {
    /// BCM GPIO number (not the header's physical pin number).
    pub pin: u8,
    /// The device is on when the pin is low (e.g. an LED wired from 3.3 V to the pin).
    #[serde(default)]
    pub active_low: bool,
}

/// The pin's internal pull resistor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pull {
    /// For switches to ground: the pin reads high while the contact is open.
    #[default]
    Up,
    /// For switches to 3.3 V.
    Down,
    /// For sensors that drive the line themselves (most PIR modules).
    None,
}

/// An input pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputPinConfig {
    /// BCM GPIO number.
    pub pin: u8,
    /// The input is active (door open, button pressed) when the pin reads low.
    #[serde(default)]
    pub active_low: bool,
    #[serde(default)]
    pub pull: Pull,
    /// How long a level must hold before it counts; [`Input::default_debounce`] if absent.
    #[serde(default)]
    pub debounce_ms: Option<u32>,
}

/// The `[gpio]` section of the kiosk's TOML config. A device left out is not wired (the
/// simulator has them all regardless).
///
/// ```toml
/// [gpio]
/// driver = "rpi"
/// led = { pin = 17 }
/// buzzer = { pin = 27 }
/// door = { pin = 22, pull = "up" }          # NC reed switch to ground: open door reads high
/// presence = { pin = 23, pull = "none" }
/// call_staff = { pin = 24, pull = "up", active_low = true, debounce_ms = 30 }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GpioConfig {
    pub driver: Driver,
    pub led: Option<OutputPinConfig>,
    pub buzzer: Option<OutputPinConfig>,
    pub door: Option<InputPinConfig>,
    pub presence: Option<InputPinConfig>,
    pub call_staff: Option<InputPinConfig>,
}

/// The highest BCM number on the 40-pin header.
pub const MAX_BCM_PIN: u8 = 27;

/// The longest debounce accepted: beyond this a button would feel broken.
pub const MAX_DEBOUNCE_MS: u32 = 5_000;

impl GpioConfig {
    /// The reference wiring of docs/hardware/cli.md, driven by `driver`.
    pub fn reference(driver: Driver) -> GpioConfig {
        let input =
            |pin, active_low, pull| InputPinConfig { pin, active_low, pull, debounce_ms: None };
        GpioConfig {
            driver,
            led: Some(OutputPinConfig { pin: 17, active_low: false }),
            buzzer: Some(OutputPinConfig { pin: 27, active_low: false }),
            door: Some(input(22, false, Pull::Up)),
            presence: Some(input(23, false, Pull::None)),
            call_staff: Some(input(24, true, Pull::Up)),
        }
    }

    pub fn input(&self, input: Input) -> Option<&InputPinConfig> {
        match input {
            Input::Door => self.door.as_ref(),
            Input::Presence => self.presence.as_ref(),
            Input::CallStaff => self.call_staff.as_ref(),
        }
    }

    /// The debounce window for `input`: configured or default.
    pub fn debounce(&self, input: Input) -> Duration {
        self.input(input)
            .and_then(|c| c.debounce_ms)
            .map_or_else(|| input.default_debounce(), |ms| Duration::from_millis(u64::from(ms)))
    }

    /// Checks what would otherwise fail on the Pi only: pins off the header, a pin used
    /// twice, a debounce so long a button seems dead.
    pub fn validate(&self) -> Result<(), GpioError> {
        let mut used = BTreeSet::new();
        let outputs = [("led", self.led), ("buzzer", self.buzzer)];
        let pins = outputs
            .iter()
            .filter_map(|(name, c)| c.map(|c| (*name, c.pin)))
            .chain(Input::ALL.iter().filter_map(|i| self.input(*i).map(|c| (i.name(), c.pin))));
        for (name, pin) in pins {
            if pin > MAX_BCM_PIN {
                return Err(GpioError::Config(format!(
                    "{name}: BCM pin {pin} is not on the 40-pin header (0-{MAX_BCM_PIN})"
                )));
            }
            if !used.insert(pin) {
                return Err(GpioError::Config(format!("{name}: BCM pin {pin} is used twice")));
            }
        }
        for input in Input::ALL {
            if let Some(ms) = self.input(input).and_then(|c| c.debounce_ms)
                && ms > MAX_DEBOUNCE_MS
            {
                return Err(GpioError::Config(format!(
                    "{input}: debounce_ms {ms} is over {MAX_DEBOUNCE_MS}"
                )));
            }
        }
        Ok(())
    }
}

/// Why the GPIO could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpioError {
    #[error("invalid GPIO configuration: {0}")]
    Config(String),
    #[error("GPIO driver \"rpi\" needs a build with the cargo feature `rpi`")]
    Unsupported,
    #[error("GPIO must be opened inside a tokio runtime")]
    NoRuntime,
    /// The Raspberry Pi refused: not a Pi, no access to /dev/gpiomem, pin busy.
    #[cfg(feature = "rpi")]
    // The cause is the source, not repeated here: error chains print it once.
    #[error("Raspberry Pi GPIO {what}")]
    Device {
        what: String,
        #[source]
        source: rppal::gpio::Error,
    },
}

/// Opens the backend the config names. Must be called inside a tokio runtime: the input
/// debouncing and the LED/buzzer patterns run as tasks on it.
pub fn open(config: &GpioConfig) -> Result<(Gpio, GpioEvents), GpioError> {
    config.validate()?;
    match config.driver {
        Driver::Sim => SimGpio::start(config),
        #[cfg(feature = "rpi")]
        Driver::Rpi => rpi::open(config),
        #[cfg(not(feature = "rpi"))]
        Driver::Rpi => Err(GpioError::Unsupported),
    }
}

/// Capacity of the event channel: events come at human speed; if the kiosk stops reading,
/// the input task waits rather than dropping a door opening.
const EVENTS: usize = 32;

/// The outputs of an open GPIO, shared by the kiosk's tasks (`Arc<Gpio>`). Dropping it
/// turns the outputs off, releases the pins and closes its [`GpioEvents`].
pub struct Gpio {
    name: String,
    led: Option<Player>,
    buzzer: Option<Player>,
    led_state: Mutex<LedState>,
    sim: Option<SimGpio>,
    // Dropped with the Gpio: the input task sees the sender go and ends, closing the stream.
    _shutdown: oneshot::Sender<()>,
    // Whatever must live as long as the pins are used (the Pi's input pins and their
    // interrupt threads). Behind a Mutex only so that Gpio is Sync.
    _device: Mutex<Option<Box<dyn Send>>>,
}

/// What a backend hands to [`Gpio::assemble`].
pub(crate) struct Parts {
    pub name: String,
    pub led: Option<Box<dyn FnMut(bool) + Send>>,
    pub buzzer: Option<Box<dyn FnMut(bool) + Send>>,
    pub inputs: Vec<input::InputSpec>,
    pub raw: mpsc::UnboundedReceiver<input::RawEdge>,
    pub sim: Option<SimGpio>,
    pub device: Option<Box<dyn Send>>,
}

impl Gpio {
    /// Starts the tasks of a backend's pins.
    pub(crate) fn assemble(parts: Parts) -> Result<(Gpio, GpioEvents), GpioError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GpioError::NoRuntime);
        }
        let (tx, rx) = mpsc::channel(EVENTS);
        let (shutdown, shutdown_rx) = oneshot::channel();
        input::spawn(parts.inputs, parts.raw, tx, shutdown_rx);
        let gpio = Gpio {
            name: parts.name,
            led: parts.led.map(Player::spawn),
            buzzer: parts.buzzer.map(Player::spawn),
            led_state: Mutex::new(LedState::Off),
            sim: parts.sim,
            _shutdown: shutdown,
            _device: Mutex::new(parts.device),
        };
        Ok((gpio, GpioEvents { rx }))
    }

    /// Shows `state` on the status LED (no-op when no LED is wired).
    pub fn set_led(&self, state: LedState) {
        *self.led_state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        if let Some(sim) = &self.sim {
            sim.record_led(state);
        }
        if let Some(led) = &self.led {
            led.play(state.pattern());
        }
    }

    /// The state last set.
    pub fn led(&self) -> LedState {
        *self.led_state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sounds `beep`, cutting off whatever the buzzer was playing.
    pub fn beep(&self, beep: Beep) {
        if let Some(sim) = &self.sim {
            sim.record_beep(Some(beep));
        }
        if let Some(buzzer) = &self.buzzer {
            buzzer.play(beep.pattern());
        }
    }

    /// Stops the buzzer (an [`Beep::Alarm`] plays until this).
    pub fn silence(&self) {
        if let Some(sim) = &self.sim {
            sim.record_beep(None);
        }
        if let Some(buzzer) = &self.buzzer {
            buzzer.play(Pattern::steady(false));
        }
    }

    /// For logs and the staff screen: "sim" or "rpi".
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The simulator's controls, when this is the simulator: for the demo's on-screen
    /// buttons and for tests.
    pub fn sim(&self) -> Option<&SimGpio> {
        self.sim.as_ref()
    }
}

impl fmt::Debug for Gpio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpio").field("name", &self.name).field("led", &self.led()).finish()
    }
}

/// The debounced input events of a [`Gpio`]; ends (`None`) once the Gpio is dropped.
#[derive(Debug)]
pub struct GpioEvents {
    rx: mpsc::Receiver<GpioEvent>,
}

impl GpioEvents {
    /// The next event; `None` once the Gpio is gone and every event was taken.
    pub async fn recv(&mut self) -> Option<GpioEvent> {
        self.rx.recv().await
    }

    /// The next event, blocking the calling thread (not inside an async runtime).
    pub fn blocking_recv(&mut self) -> Option<GpioEvent> {
        self.rx.blocking_recv()
    }

    /// An event if one is waiting.
    pub fn try_recv(&mut self) -> Result<GpioEvent, mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }

    /// The channel itself, for `tokio::select!`.
    pub fn receiver(&mut self) -> &mut mpsc::Receiver<GpioEvent> {
        &mut self.rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_can_be_shared_between_the_kiosks_tasks() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<Gpio>();
        shared::<SimGpio>();
        fn sent<T: Send + 'static>() {}
        sent::<GpioEvents>();
    }

    #[test]
    fn events_know_their_input_and_state() {
        for input in Input::ALL {
            for active in [true, false] {
                let event = GpioEvent::new(input, active);
                assert_eq!((event.input(), event.is_active()), (input, active), "{event}");
            }
        }
    }

    #[test]
    fn the_reference_wiring_is_valid() {
        GpioConfig::reference(Driver::Rpi).validate().expect("valid");
        GpioConfig::default().validate().expect("nothing wired is valid too");
    }

    #[test]
    fn a_pin_used_twice_is_refused() {
        let mut config = GpioConfig::reference(Driver::Rpi);
        config.buzzer = Some(OutputPinConfig { pin: 22, active_low: false });
        let error = config.validate().expect_err("door and buzzer on 22");
        assert!(error.to_string().contains("22"), "{error}");
    }

    #[test]
    fn pins_off_the_header_and_huge_debounces_are_refused() {
        let mut config = GpioConfig::reference(Driver::Rpi);
        config.led = Some(OutputPinConfig { pin: 40, active_low: false });
        assert!(config.validate().expect_err("pin 40").to_string().contains("header"));
        let mut config = GpioConfig::reference(Driver::Rpi);
        if let Some(door) = config.door.as_mut() {
            door.debounce_ms = Some(60_000);
        }
        assert!(config.validate().is_err());
    }

    #[test]
    fn debounce_comes_from_the_config_or_the_input() {
        let mut config = GpioConfig::reference(Driver::Sim);
        assert_eq!(config.debounce(Input::Door), Input::Door.default_debounce());
        if let Some(door) = config.door.as_mut() {
            door.debounce_ms = Some(12);
        }
        assert_eq!(config.debounce(Input::Door), Duration::from_millis(12));
    }

    #[cfg(not(feature = "rpi"))]
    #[test]
    fn the_rpi_driver_without_the_feature_says_what_is_missing() {
        let error = open(&GpioConfig::reference(Driver::Rpi)).expect_err("no rpi feature");
        assert!(matches!(error, GpioError::Unsupported), "{error}");
        assert!(error.to_string().contains("rpi"));
    }

    #[test]
    fn opening_outside_a_runtime_is_an_error_not_a_panic() {
        let error = open(&GpioConfig::default()).expect_err("no runtime");
        assert!(matches!(error, GpioError::NoRuntime), "{error}");
    }
}
