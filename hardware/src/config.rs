//! The kiosk's hardware file: one TOML file with a `[printer]` and a `[gpio]` section, read
//! by the kiosk at start and by `anjungan-hw`, so what an installer tested with the
//! diagnostics tool is what the kiosk runs with.
//!
//! ```toml
//! [printer]
//! kind = "usb"
//! path = "/dev/usb/lp0"
//! paper = 58
//!
//! [gpio]
//! driver = "rpi"
//! led = { pin = 17 }
//! call_staff = { pin = 24, active_low = true }
//! ```
//!
//! Either section may be left out: that device is then not wired. Unknown keys are
//! refused, so a misspelt setting is named instead of silently ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::gpio::GpioConfig;
use crate::printer::connection::PrinterConfig;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printer: Option<PrinterConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpio: Option<GpioConfig>,
}

/// Why the hardware file cannot be used; the message names the file and the setting.
#[derive(Debug, thiserror::Error)]
pub enum HardwareConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl HardwareConfig {
    /// Reads and checks the file: TOML syntax, known keys, the printer's endpoint and
    /// paper, the GPIO pins.
    pub fn load(path: &Path) -> Result<HardwareConfig, HardwareConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| HardwareConfigError::Read { path: path.to_path_buf(), source })?;
        HardwareConfig::parse(&text)
            .map_err(|message| HardwareConfigError::Invalid { path: path.to_path_buf(), message })
    }

    /// [`HardwareConfig::load`] of text already read.
    pub fn parse(text: &str) -> Result<HardwareConfig, String> {
        let config: HardwareConfig = toml::from_str(text).map_err(|error| error.to_string())?;
        if let Some(printer) = &config.printer {
            printer.endpoint().map_err(|error| format!("[printer]: {error}"))?;
            printer.paper_width().map_err(|error| format!("[printer]: {error}"))?;
            printer.timeouts().map_err(|error| format!("[printer]: {error}"))?;
        }
        if let Some(gpio) = &config.gpio {
            gpio.validate().map_err(|error| format!("[gpio]: {error}"))?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpio::Driver;
    use crate::printer::connection::{Endpoint, Kind};

    #[test]
    fn both_sections_are_read_and_checked() {
        let config = HardwareConfig::parse(
            r#"
            [printer]
            kind = "serial"
            path = "/dev/ttyUSB0"
            baud = 9600
            paper = 80

            [gpio]
            driver = "sim"
            led = { pin = 17 }
            door = { pin = 22 }
            "#,
        )
        .expect("valid");
        let printer = config.printer.expect("printer");
        assert_eq!(printer.kind, Kind::Serial);
        assert_eq!(
            printer.endpoint(),
            Ok(Endpoint::Serial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600,
                flow_control: Default::default()
            })
        );
        let gpio = config.gpio.expect("gpio");
        assert_eq!((gpio.driver, gpio.led.map(|l| l.pin)), (Driver::Sim, Some(17)));
        assert_eq!(HardwareConfig::parse("").expect("empty"), HardwareConfig::default());
    }

    #[test]
    fn mistakes_are_named() {
        let typo = HardwareConfig::parse("[printer]\nkind = \"usb\"\npaht = \"/dev/usb/lp0\"\n")
            .expect_err("unknown key");
        assert!(typo.contains("paht"), "{typo}");
        let missing = HardwareConfig::parse("[printer]\nkind = \"usb\"\n").expect_err("no path");
        assert!(missing.contains("[printer]") && missing.contains("path"), "{missing}");
        let paper =
            HardwareConfig::parse("[printer]\nkind = \"file\"\npath = \"/tmp/x\"\npaper = 60\n")
                .expect_err("paper");
        assert!(paper.contains("58 or 80"), "{paper}");
        let pin = HardwareConfig::parse("[gpio]\nled = { pin = 17 }\nbuzzer = { pin = 17 }\n")
            .expect_err("pin twice");
        assert!(pin.contains("[gpio]") && pin.contains("twice"), "{pin}");
        let section = HardwareConfig::parse("[display]\nwidth = 1\n").expect_err("unknown");
        assert!(section.contains("display"), "{section}");
    }
}
