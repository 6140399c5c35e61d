//! `ports`: where the printer and readers showed up. serialport finds the serial ports
//! (from /sys, with USB vendor and product when it can); the device nodes are listed too,
//! because USB printers (`usb/lp*`) are not serial ports and the stable
//! `serial/by-id` names are what the kiosk config should use.

use std::fs;
use std::path::{Path, PathBuf};

use serialport::SerialPortType;

pub fn run(dev: &Path) -> anyhow::Result<()> {
    println!("Serial ports / Port serial:");
    let found = serial_ports();
    if found.is_empty() {
        println!("  (none / tidak ada)");
    }
    for line in found {
        println!("  {line}");
    }

    println!();
    println!("Stable names, use these in the config / Nama tetap, pakai ini di konfigurasi:");
    let by_id = stable_names(&dev.join("serial/by-id"));
    if by_id.is_empty() {
        println!("  (none / tidak ada)");
    }
    for (link, target) in by_id {
        println!("  {} -> {}", link.display(), target.display());
    }

    println!();
    println!("Device nodes / Perangkat:");
    let nodes = device_nodes(dev);
    if nodes.is_empty() {
        println!("  (none: is the device plugged in? / tidak ada: sudah dicolok?)");
    }
    for (path, what) in nodes {
        println!("  {:<24} {what}", path.display());
    }
    Ok(())
}

/// What serialport's scan of /sys/class/tty finds, one line per port.
fn serial_ports() -> Vec<String> {
    // serialport panics, rather than erring, when the directory is missing (containers).
    if !Path::new("/sys/class/tty").is_dir() {
        return vec!["(cannot scan: /sys/class/tty is missing)".into()];
    }
    match serialport::available_ports() {
        Ok(ports) => ports
            .into_iter()
            .map(|port| format!("{:<24} {}", port.port_name, describe(&port.port_type)))
            .collect(),
        Err(error) => vec![format!("(cannot scan: {error})")],
    }
}

fn describe(kind: &SerialPortType) -> String {
    match kind {
        SerialPortType::UsbPort(usb) => {
            let mut text = format!("USB {:04x}:{:04x}", usb.vid, usb.pid);
            for part in [&usb.manufacturer, &usb.product].into_iter().flatten() {
                text.push(' ');
                text.push_str(part);
            }
            text
        }
        SerialPortType::PciPort => "PCI".into(),
        SerialPortType::BluetoothPort => "Bluetooth".into(),
        SerialPortType::Unknown => "built-in / bawaan".into(),
    }
}

/// The `serial/by-id` links and what they point at now.
fn stable_names(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut links: Vec<(PathBuf, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            let link = entry.path();
            let target = fs::canonicalize(&link).unwrap_or_else(|_| {
                // A dangling link: show where it points even though nothing is there.
                fs::read_link(&link).unwrap_or_default()
            });
            (link, target)
        })
        .collect();
    links.sort();
    links
}

/// Device nodes a kiosk's printer or readers appear as, with what they usually are.
fn device_nodes(dev: &Path) -> Vec<(PathBuf, &'static str)> {
    const KINDS: [(&str, &str, &str); 6] = [
        ("", "ttyUSB", "USB-serial adapter (reader, scanner, serial printer)"),
        ("", "ttyACM", "USB CDC device (scanner, some readers)"),
        ("", "ttyAMA", "Raspberry Pi UART (GPIO header)"),
        ("", "serial", "Raspberry Pi UART alias"),
        ("usb", "lp", "USB printer"),
        ("", "gpiochip", "GPIO controller (LED, buzzer, door, sensor, button)"),
    ];
    let mut nodes = Vec::new();
    for (dir, prefix, what) in KINDS {
        let Ok(entries) = fs::read_dir(dev.join(dir)) else { continue };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.strip_prefix(prefix)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|e| e.path())
            .collect();
        found.sort();
        nodes.extend(found.into_iter().map(|path| (path, what)));
    }
    nodes
}
