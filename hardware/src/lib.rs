/*!
The devices of an Anjungan kiosk, each behind a small trait with a simulator that speaks the
same protocol, so the kiosk can be developed on a laptop and trusted on a Raspberry Pi.

- [`config`]: the kiosk's hardware file, a `[printer]` and a `[gpio]` section in one TOML,
  read by the kiosk and by `anjungan-hw`.
- [`gpio`]: status LED, buzzer, door/presence/call-staff inputs as debounced events;
  Raspberry Pi pins (feature `rpi`) or a simulator.
- [`printer`]: receipt documents, ESC/POS rendering (with the `escpos` crate), a decoder
  that reads the bytes back, text sanitizing, simulated printers.
  Real connections (USB via usblp, serial, network port 9100, file) with real-time status
  (DLE EOT) as events, a persisted paper counter, and a simulated printer on a pty or TCP.
- [`pty`]: pseudo-terminal pairs, for simulated serial devices and tests.
- [`reader`]: ID input over serial: the e-KTP reader bridge framing and a serial QR/barcode
  scanner, with reconnecting readers and simulators.
*/

pub mod config;
pub mod gpio;
pub mod printer;
pub mod pty;
pub mod reader;
