//! The kiosk's panel on its GPIO: the status LED and the buzzer follow what the kiosk is
//! doing, and the inputs reach the flows and the agent.
//!
//! - The "call staff" button raises the same staff call as the help page's button.
//! - Every staff call, from either, sounds the buzzer's attention pattern.
//! - The door switch is the heartbeat's `door` field; an opened door is logged.
//! - The LED shows a fault while the door is open or the printer cannot print (offline,
//!   cover open, out of paper), idle otherwise.
//!
//! The presence sensor is only logged for now: the screen is not blanked, so there is
//! nothing to wake.

use std::sync::Arc;
use std::time::Duration;

use hardware::gpio::{Beep, Gpio, GpioEvent, GpioEvents, LedState};
use protocol::fleet::PrinterState;
use tokio::sync::watch;

use crate::app::Services;
use crate::diagnostics::PrinterMonitor;

/// How often the LED is brought in line with the printer's state.
const LED_EVERY: Duration = Duration::from_millis(500);

/// What the panel gives the rest of the kiosk.
pub struct Panel {
    /// Whether the cabinet door is open; `None` when no door switch is wired.
    pub door_open: Option<watch::Receiver<bool>>,
    _gpio: Arc<Gpio>,
}

/// Starts the panel's tasks on the services' runtime. `has_door`: a door switch is wired
/// (the heartbeat says "unknown" otherwise).
pub fn start(
    gpio: Gpio,
    mut events: GpioEvents,
    has_door: bool,
    services: &Services,
    printer: PrinterMonitor,
) -> Panel {
    let gpio = Arc::new(gpio);
    let (door_tx, door_rx) = watch::channel(false);
    let runtime = &services.runtime;

    let inputs = services.clone();
    runtime.spawn(async move {
        while let Some(event) = events.receiver().recv().await {
            match event {
                GpioEvent::CallStaffPressed => {
                    inputs.call_staff("call-staff button");
                }
                GpioEvent::DoorOpened => {
                    tracing::warn!("cabinet door opened");
                    door_tx.send_replace(true);
                }
                GpioEvent::DoorClosed => {
                    tracing::info!("cabinet door closed");
                    door_tx.send_replace(false);
                }
                GpioEvent::PresenceDetected | GpioEvent::PresenceCleared => {
                    tracing::debug!(%event, "presence sensor");
                }
                GpioEvent::CallStaffReleased => {}
            }
        }
    });

    let (buzzer, mut calls) = (gpio.clone(), services.staff_calls.subscribe());
    runtime.spawn(async move {
        while calls.changed().await.is_ok() {
            if calls.borrow_and_update().is_some() {
                buzzer.beep(Beep::Attention);
            }
        }
    });

    let (led, door) = (gpio.clone(), door_rx.clone());
    runtime.spawn(async move {
        let mut shown = None;
        loop {
            let printer_state = printer.status().map(|status| status.state);
            let state = led_state(*door.borrow(), printer_state);
            if shown != Some(state) {
                led.set_led(state);
                shown = Some(state);
            }
            tokio::time::sleep(LED_EVERY).await;
        }
    });

    Panel { door_open: has_door.then_some(door_rx), _gpio: gpio }
}

/// The LED for a door and a printer state: a fault whenever staff must come.
pub fn led_state(door_open: bool, printer: Option<PrinterState>) -> LedState {
    let printer_blocked = matches!(
        printer,
        Some(PrinterState::Offline | PrinterState::PaperOut | PrinterState::CoverOpen)
    );
    if door_open || printer_blocked { LedState::Fault } else { LedState::Idle }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_led_asks_for_staff_when_the_door_is_open_or_the_printer_cannot_print() {
        assert_eq!(led_state(false, None), LedState::Idle);
        assert_eq!(led_state(false, Some(PrinterState::Online)), LedState::Idle);
        assert_eq!(led_state(false, Some(PrinterState::PaperNearEnd)), LedState::Idle);
        for blocked in [PrinterState::Offline, PrinterState::PaperOut, PrinterState::CoverOpen] {
            assert_eq!(led_state(false, Some(blocked)), LedState::Fault, "{blocked:?}");
        }
        assert_eq!(led_state(true, Some(PrinterState::Online)), LedState::Fault);
    }
}
