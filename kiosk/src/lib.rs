/*!
The Anjungan kiosk: the touch UI citizens use in the village hall, its flows, and the glue to
the printer and the central service.

- [`session`] holds what one visitor did (the only place personal data lives) and
  [`app`] draws it with Slint and runs slow work on tokio, so the UI never blocks.
- [`client`] talks to the central service, [`slip`] and [`present`] turn answers into the
  words on screen and paper, [`devices`] opens the configured printer, [`panel`] ties the
  GPIO's LED, buzzer, door switch and call-staff button to the kiosk, [`local`] is its own
  database (the outbox, ticket serials, the staff PIN lockout), [`scan`] sorts what the QR
  scanner read into a NIK or a ticket.
- [`screenshot`] renders every screen headless to PNG (feature `tools`; its sample answers
  serve the tests too); `demo` (feature `demo`) starts an embedded central service on
  synthetic data; `bench` (features `tools` and `demo`) measures start, memory and printing.
*/

pub mod agent;
pub mod app;
#[cfg(all(feature = "tools", feature = "demo"))]
pub mod bench;
#[cfg(feature = "demo")]
pub mod bench_letters;
pub mod client;
#[cfg(feature = "demo")]
pub mod demo;
pub mod devices;
pub mod diagnostics;
pub mod letter_print;
pub mod local;
pub mod logring;
pub mod panel;
pub mod present;
pub mod scan;
pub mod screenshot;
pub mod session;
pub mod slip;
pub mod staff;

/// The compiled Slint UI.
pub mod ui {
    slint::include_modules!();
}
