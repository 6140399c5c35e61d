//! The Raspberry Pi's pins through `rppal` (cargo feature `rpi`).
//!
//! Inputs use rppal's asynchronous interrupts on both edges, without rppal's own debounce:
//! its callback thread stamps each edge and hands it to the shared input task, whose
//! [`Debouncer`](super::debounce::Debouncer) decides, exactly as in the simulator. Outputs are
//! written by the shared pattern player. This builds on any Linux; it fails at run time,
//! with [`GpioError::Device`], where there is no Raspberry Pi GPIO (`/dev/gpiomem`,
//! `/dev/gpiochipN`).

use rppal::gpio::{Gpio as Chip, InputPin, Level, OutputPin, Trigger};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::input::{InputSpec, RawEdge};
use super::{
    Gpio, GpioConfig, GpioError, GpioEvents, Input, InputPinConfig, OutputPinConfig, Parts, Pull,
};

fn device(what: impl Into<String>) -> impl FnOnce(rppal::gpio::Error) -> GpioError {
    let what = what.into();
    move |source| GpioError::Device { what, source }
}

/// Claims the configured pins and starts the input and output tasks.
pub fn open(config: &GpioConfig) -> Result<(Gpio, GpioEvents), GpioError> {
    config.validate()?;
    if tokio::runtime::Handle::try_current().is_err() {
        // Checked before touching the pins: assemble() would refuse after they were set up.
        return Err(GpioError::NoRuntime);
    }
    let chip = Chip::new().map_err(device("chip"))?;
    let led = config.led.map(|c| output(&chip, "led", c)).transpose()?;
    let buzzer = config.buzzer.map(|c| output(&chip, "buzzer", c)).transpose()?;

    let (raw, raw_rx) = mpsc::unbounded_channel();
    let mut pins: Vec<InputPin> = Vec::new();
    let mut inputs = Vec::new();
    for input in Input::ALL {
        let Some(pin_config) = config.input(input) else { continue };
        let (pin, active) = watch(&chip, input, *pin_config, raw.clone())?;
        tracing::info!(%input, pin = pin_config.pin, active, "gpio input ready");
        pins.push(pin);
        inputs.push(InputSpec { input, active, debounce: config.debounce(input) });
    }
    // Only the interrupt callbacks hold senders now: when the pins drop, the raw side closes.
    drop(raw);
    Gpio::assemble(Parts {
        name: "rpi".into(),
        led,
        buzzer,
        inputs,
        raw: raw_rx,
        sim: None,
        device: Some(Box::new(pins)),
    })
}

type Writer = Box<dyn FnMut(bool) + Send>;

/// An output pin, off at start, as a writer for the pattern player.
fn output(chip: &Chip, name: &str, config: OutputPinConfig) -> Result<Writer, GpioError> {
    let pin = chip.get(config.pin).map_err(device(format!("{name} (BCM {})", config.pin)))?;
    let mut pin: OutputPin =
        if config.active_low { pin.into_output_high() } else { pin.into_output_low() };
    Ok(Box::new(move |on: bool| {
        let high = on != config.active_low;
        pin.write(if high { Level::High } else { Level::Low });
    }))
}

/// An input pin with an interrupt on both edges feeding `raw`. Returns the pin (its
/// interrupt lives as long as it does) and whether the input is active now.
fn watch(
    chip: &Chip,
    input: Input,
    config: InputPinConfig,
    raw: mpsc::UnboundedSender<RawEdge>,
) -> Result<(InputPin, bool), GpioError> {
    let what = format!("{input} (BCM {})", config.pin);
    let pin = chip.get(config.pin).map_err(device(what.clone()))?;
    let mut pin = match config.pull {
        Pull::Up => pin.into_input_pullup(),
        Pull::Down => pin.into_input_pulldown(),
        Pull::None => pin.into_input(),
    };
    let active_low = config.active_low;
    pin.set_async_interrupt(Trigger::Both, None, move |event| {
        let high = match event.trigger {
            Trigger::RisingEdge => true,
            Trigger::FallingEdge => false,
            // Edge events always name their edge; nothing else can be delivered.
            _ => return,
        };
        // Stamped here, on rppal's interrupt thread, so a busy runtime cannot compress the
        // bounce the debouncer measures. Fails only when the Gpio is gone.
        let _ = raw.send(RawEdge { input, active: high != active_low, at: Instant::now() });
    })
    .map_err(device(what))?;
    // Read after the interrupt is armed: a change in between is then both read here and
    // delivered as an edge (harmless), never lost.
    let active_now = pin.is_high() != active_low;
    Ok((pin, active_now))
}
