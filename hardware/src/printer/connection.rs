//! Real printer connections: a `[printer]` config section picks USB, serial, network or a
//! file, and [`ConnectedPrinter`] prints over it and asks the printer for its real-time
//! status (see [`crate::printer::status`]) on the same line.
//!
//! ```toml
//! [printer]
//! kind = "usb"                 # usb | serial | network | file
//! path = "/dev/usb/lp0"        # the kernel usblp driver's node (no libusb needed)
//! paper = 58                   # roll width in mm: 58 or 80
//! counter_file = "/var/lib/anjungan/paper-counter"
//! roll = { length_m = 30, warn_percent = 10 }
//!
//! # kind = "serial", path = "/dev/serial/by-id/usb-...", baud = 19200, flow_control = "hardware"
//! # kind = "network", host = "192.168.1.87", port = 9100 (the default)
//! # kind = "file", path = "/tmp/receipts.escpos" (development: no status)
//! ```
//!
//! Every device operation has a timeout, so a printer switched off mid-job or a cable pulled
//! makes a print fail with a reason instead of hanging the kiosk: connecting
//! (`connect_timeout_ms`), a stall while the printer accepts a job (`write_timeout_ms`), and
//! each status reply (`status_timeout_ms`).
//!
//! The connection is opened lazily and dropped on any I/O error or missing status reply, so a
//! printer that was unplugged, power-cycled or whose TCP connection died is simply reopened
//! by the next status poll or print.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde::{Deserialize, Serialize};
use serialport::{ClearBuffer, DataBits, Parity, SerialPort, StopBits, TTYPort};
use tokio::sync::mpsc;

use crate::printer::paper::{CounterError, PaperCounter, RollConfig};
use crate::printer::render::render;
use crate::printer::sim::FilePrinter;
use crate::printer::status::{
    OfflineReason, PrinterStatus, Query, Reading, StatusEvent, StatusPoller, StatusTracker,
};
use crate::printer::{Document, Paper, PrintError, Printer};

/// The TCP port of raw ("JetDirect") printing, which network receipt printers listen on.
pub const DEFAULT_PORT: u16 = 9100;
/// The factory setting of most serial receipt printers.
pub const DEFAULT_BAUD: u32 = 9600;

/// How the printer is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A USB printer through the kernel's usblp driver: `/dev/usb/lpN`.
    Usb,
    /// A serial port (RS-232 or a USB-serial adapter).
    Serial,
    /// Raw TCP, usually port 9100.
    Network,
    /// A plain file, for development: jobs are appended, no status.
    File,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Usb => "usb",
            Kind::Serial => "serial",
            Kind::Network => "network",
            Kind::File => "file",
        })
    }
}

/// Serial flow control, as set on the printer's DIP switches or in its utility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    #[default]
    None,
    /// RTS/CTS.
    Hardware,
    /// XON/XOFF.
    Software,
}

/// The `[printer]` section of the kiosk's TOML config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    pub kind: Kind,
    /// The device (usb, serial) or file (file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Serial only; [`DEFAULT_BAUD`] if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baud: Option<u32>,
    /// Serial only; none if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_control: Option<FlowControl>,
    /// Network only: an IP address or a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Network only; [`DEFAULT_PORT`] if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Roll width in mm: 58 or 80.
    #[serde(default = "default_paper")]
    pub paper: u16,
    /// Ask the printer for its status (DLE EOT) before each print and in the background.
    /// Turn off only for a printer that cannot answer (a one-way USB or serial link); then
    /// nothing is refused for lack of paper. Never used with kind = "file".
    #[serde(default = "default_true")]
    pub real_time_status: bool,
    #[serde(default = "default_status_interval_ms")]
    pub status_interval_ms: u64,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    #[serde(default = "default_write_timeout_ms")]
    pub write_timeout_ms: u64,
    #[serde(default = "default_status_timeout_ms")]
    pub status_timeout_ms: u64,
    /// Where the paper counter is kept; no counting if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_file: Option<PathBuf>,
    #[serde(default)]
    pub roll: RollConfig,
}

fn default_paper() -> u16 {
    58
}
fn default_true() -> bool {
    true
}
fn default_status_interval_ms() -> u64 {
    2_000
}
fn default_connect_timeout_ms() -> u64 {
    3_000
}
/// A printer printing a long job accepts data only as fast as it prints: allow a pause.
fn default_write_timeout_ms() -> u64 {
    10_000
}
/// Printers answer DLE EOT within milliseconds; a second covers a busy USB bus or Wi-Fi.
fn default_status_timeout_ms() -> u64 {
    1_000
}

/// Where and how to reach the printer: a [`PrinterConfig`] after validation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Usb { path: PathBuf },
    Serial { path: PathBuf, baud: u32, flow_control: FlowControl },
    Network { host: String, port: u16 },
    File { path: PathBuf },
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Usb { path } => write!(f, "usb:{}", path.display()),
            Endpoint::Serial { path, baud, .. } => write!(f, "serial:{}@{baud}", path.display()),
            Endpoint::Network { host, port } => write!(f, "network:{host}:{port}"),
            Endpoint::File { path } => write!(f, "file:{}", path.display()),
        }
    }
}

/// The timeouts of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub write: Duration,
    pub status: Duration,
}

/// A config that cannot work, named so staff can fix the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("printer kind \"{kind}\" needs `{field}`")]
    Missing { kind: Kind, field: &'static str },
    #[error("`{field}` does not apply to printer kind \"{kind}\"")]
    NotApplicable { kind: Kind, field: &'static str },
    #[error("printer paper must be 58 or 80 (mm), not {0}")]
    Paper(u16),
    #[error("`{0}` must be more than 0")]
    Zero(&'static str),
    #[error("printer roll: {0}")]
    Roll(String),
}

/// Why the printer (or its paper counter) could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("printer config: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Counter(#[from] CounterError),
    #[error("cannot open printer {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot open serial printer {path} at {baud} baud: {source}")]
    Serial { path: PathBuf, baud: u32, source: serialport::Error },
    #[error("cannot find printer host {host}: {source}")]
    Resolve { host: String, source: io::Error },
    #[error("cannot connect to printer at {host}:{port} (waited up to {timeout:?}): {source}")]
    Connect { host: String, port: u16, timeout: Duration, source: io::Error },
}

impl PrinterConfig {
    /// A config of `kind` with every default, to fill in from code.
    pub fn new(kind: Kind) -> PrinterConfig {
        PrinterConfig {
            kind,
            path: None,
            baud: None,
            flow_control: None,
            host: None,
            port: None,
            paper: default_paper(),
            real_time_status: true,
            status_interval_ms: default_status_interval_ms(),
            connect_timeout_ms: default_connect_timeout_ms(),
            write_timeout_ms: default_write_timeout_ms(),
            status_timeout_ms: default_status_timeout_ms(),
            counter_file: None,
            roll: RollConfig::default(),
        }
    }

    pub fn usb(path: impl Into<PathBuf>) -> PrinterConfig {
        PrinterConfig { path: Some(path.into()), ..PrinterConfig::new(Kind::Usb) }
    }

    pub fn serial(path: impl Into<PathBuf>, baud: u32) -> PrinterConfig {
        PrinterConfig {
            path: Some(path.into()),
            baud: Some(baud),
            ..PrinterConfig::new(Kind::Serial)
        }
    }

    pub fn network(host: impl Into<String>, port: u16) -> PrinterConfig {
        PrinterConfig {
            host: Some(host.into()),
            port: Some(port),
            ..PrinterConfig::new(Kind::Network)
        }
    }

    pub fn file(path: impl Into<PathBuf>) -> PrinterConfig {
        PrinterConfig { path: Some(path.into()), ..PrinterConfig::new(Kind::File) }
    }

    pub fn with_paper(mut self, paper: Paper) -> PrinterConfig {
        self.paper = match paper {
            Paper::Mm58 => 58,
            Paper::Mm80 | Paper::Mm80Cols42 => 80,
        };
        self
    }

    pub fn with_status_timeout(mut self, timeout: Duration) -> PrinterConfig {
        self.status_timeout_ms = millis(timeout);
        self
    }

    pub fn with_status_interval(mut self, interval: Duration) -> PrinterConfig {
        self.status_interval_ms = millis(interval);
        self
    }

    pub fn with_counter(mut self, path: impl Into<PathBuf>, roll: RollConfig) -> PrinterConfig {
        self.counter_file = Some(path.into());
        self.roll = roll;
        self
    }

    /// Checks the config and resolves defaults.
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        let kind = self.kind;
        let reject = |present: bool, field| {
            if present { Err(ConfigError::NotApplicable { kind, field }) } else { Ok(()) }
        };
        let path = || self.path.clone().ok_or(ConfigError::Missing { kind, field: "path" });
        if kind != Kind::Serial {
            reject(self.baud.is_some(), "baud")?;
            reject(self.flow_control.is_some(), "flow_control")?;
        }
        if kind != Kind::Network {
            reject(self.host.is_some(), "host")?;
            reject(self.port.is_some(), "port")?;
        }
        let endpoint = match kind {
            Kind::Usb => Endpoint::Usb { path: path()? },
            Kind::Serial => {
                let baud = self.baud.unwrap_or(DEFAULT_BAUD);
                if baud == 0 {
                    return Err(ConfigError::Zero("baud"));
                }
                let flow_control = self.flow_control.unwrap_or_default();
                Endpoint::Serial { path: path()?, baud, flow_control }
            }
            Kind::Network => {
                reject(self.path.is_some(), "path")?;
                let host = self.host.clone().filter(|h| !h.trim().is_empty());
                let host = host.ok_or(ConfigError::Missing { kind, field: "host" })?;
                let port = self.port.unwrap_or(DEFAULT_PORT);
                if port == 0 {
                    return Err(ConfigError::Zero("port"));
                }
                Endpoint::Network { host, port }
            }
            Kind::File => Endpoint::File { path: path()? },
        };
        self.paper_width()?;
        self.timeouts()?;
        if self.status_interval_ms == 0 {
            return Err(ConfigError::Zero("status_interval_ms"));
        }
        self.roll.validate().map_err(|e| ConfigError::Roll(e.to_string()))?;
        Ok(endpoint)
    }

    pub fn paper_width(&self) -> Result<Paper, ConfigError> {
        match self.paper {
            58 => Ok(Paper::Mm58),
            80 => Ok(Paper::Mm80),
            other => Err(ConfigError::Paper(other)),
        }
    }

    pub fn timeouts(&self) -> Result<Timeouts, ConfigError> {
        let positive = |ms: u64, field| {
            if ms == 0 { Err(ConfigError::Zero(field)) } else { Ok(Duration::from_millis(ms)) }
        };
        Ok(Timeouts {
            connect: positive(self.connect_timeout_ms, "connect_timeout_ms")?,
            write: positive(self.write_timeout_ms, "write_timeout_ms")?,
            status: positive(self.status_timeout_ms, "status_timeout_ms")?,
        })
    }

    pub fn status_interval(&self) -> Duration {
        Duration::from_millis(self.status_interval_ms.max(1))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// A two-way byte line to the printer.
trait Transport: Send {
    /// Writes all of `bytes`; fails if the printer accepts nothing for the write timeout.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// One byte, or `None` if none arrives within `timeout`.
    fn recv_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>>;
    /// Drops bytes already received (a reply that came after its timeout).
    fn discard_input(&mut self) -> io::Result<()>;
}

/// A non-blocking descriptor (a usblp node, a TCP socket) driven with poll(2), so every
/// wait has a deadline.
struct PollTransport {
    file: File,
    write_timeout: Duration,
}

/// Waits until `file` is ready for `flags`, or `timeout` passes (false).
fn wait(file: &File, flags: PollFlags, timeout: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(file.as_fd(), flags)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            // Ready, or hung up / failed: the next read or write tells which.
            Ok(_) => return Ok(true),
            Err(errno) => return Err(errno.into()),
        }
    }
}

fn stalled(timeout: Duration) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("the printer accepted no data for {timeout:?}"))
}

fn hung_up() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "the printer closed the connection")
}

impl Transport for PollTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.file.write(rest) {
                Ok(0) => return Err(hung_up()),
                Ok(written) => rest = &rest[written..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !wait(&self.file, PollFlags::POLLOUT, self.write_timeout)? {
                        return Err(stalled(self.write_timeout));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn recv_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        let deadline = Instant::now() + timeout;
        let mut byte = [0u8; 1];
        loop {
            match self.file.read(&mut byte) {
                Ok(0) => return Err(hung_up()),
                Ok(_) => return Ok(Some(byte[0])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if !wait(&self.file, PollFlags::POLLIN, left)? {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        let mut buffer = [0u8; 256];
        // Bounded: a device that streams endlessly is not a printer.
        for _ in 0..256 {
            match self.file.read(&mut buffer) {
                Ok(0) => return Err(hung_up()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// A serial port opened with `serialport`, whose reads and writes already wait with poll(2)
/// up to the port's timeout.
struct SerialTransport {
    port: TTYPort,
    write_timeout: Duration,
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.set_timeout(self.write_timeout)?;
        self.port.write_all(bytes).map_err(|e| {
            if e.kind() == io::ErrorKind::TimedOut { stalled(self.write_timeout) } else { e }
        })
    }

    fn recv_byte(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        self.port.set_timeout(timeout)?;
        let mut byte = [0u8; 1];
        match self.port.read(&mut byte) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(byte[0])),
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port.clear(ClearBuffer::Input).map_err(io::Error::from)
    }
}

fn connect(endpoint: &Endpoint, timeouts: &Timeouts) -> Result<Box<dyn Transport>, ConnectError> {
    match endpoint {
        Endpoint::Usb { path } => {
            // Never create: a mistyped device must fail, not leave a file in /dev.
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
                .open(path)
                .map_err(|source| ConnectError::Open { path: path.clone(), source })?;
            Ok(Box::new(PollTransport { file, write_timeout: timeouts.write }))
        }
        Endpoint::Serial { path, baud, flow_control } => {
            let flow = match flow_control {
                FlowControl::None => serialport::FlowControl::None,
                FlowControl::Hardware => serialport::FlowControl::Hardware,
                FlowControl::Software => serialport::FlowControl::Software,
            };
            let port = serialport::new(path.to_string_lossy(), *baud)
                .data_bits(DataBits::Eight)
                .parity(Parity::None)
                .stop_bits(StopBits::One)
                .flow_control(flow)
                .timeout(timeouts.write)
                .open_native()
                .map_err(|source| ConnectError::Serial {
                    path: path.clone(),
                    baud: *baud,
                    source,
                })?;
            Ok(Box::new(SerialTransport { port, write_timeout: timeouts.write }))
        }
        Endpoint::Network { host, port } => {
            let addrs = (host.as_str(), *port)
                .to_socket_addrs()
                .map_err(|source| ConnectError::Resolve { host: host.clone(), source })?;
            let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
            for addr in addrs {
                match TcpStream::connect_timeout(&addr, timeouts.connect) {
                    Ok(stream) => {
                        let setup = || -> io::Result<File> {
                            // Status requests are three bytes: send them at once.
                            stream.set_nodelay(true)?;
                            stream.set_nonblocking(true)?;
                            Ok(File::from(OwnedFd::from(stream)))
                        };
                        let file = setup().map_err(|source| ConnectError::Connect {
                            host: host.clone(),
                            port: *port,
                            timeout: timeouts.connect,
                            source,
                        })?;
                        return Ok(Box::new(PollTransport { file, write_timeout: timeouts.write }));
                    }
                    Err(error) => last = error,
                }
            }
            Err(ConnectError::Connect {
                host: host.clone(),
                port: *port,
                timeout: timeouts.connect,
                source: last,
            })
        }
        Endpoint::File { path } => Err(ConnectError::Open {
            path: path.clone(),
            source: io::Error::other("a file is not a two-way connection"),
        }),
    }
}

/// The connection to a two-way printer, reopened on demand.
struct Link {
    endpoint: Endpoint,
    timeouts: Timeouts,
    transport: Option<Box<dyn Transport>>,
}

impl Link {
    fn connected(&mut self) -> Result<&mut dyn Transport, ConnectError> {
        let transport = match self.transport.take() {
            Some(transport) => transport,
            None => {
                let transport = connect(&self.endpoint, &self.timeouts)?;
                tracing::info!(printer = %self.endpoint, "printer connected");
                transport
            }
        };
        Ok(self.transport.insert(transport).as_mut())
    }

    fn disconnect(&mut self, why: &dyn fmt::Display) {
        if self.transport.take().is_some() {
            tracing::warn!(printer = %self.endpoint, %why, "printer connection dropped");
        }
    }

    /// One status reading: DLE EOT 1-4, each answered within the status timeout.
    fn read_status(&mut self) -> Reading {
        let timeout = self.timeouts.status;
        let transport = match self.connected() {
            Ok(transport) => transport,
            Err(error) => {
                tracing::debug!(%error, "printer status: not connected");
                return Reading::NoReply;
            }
        };
        match exchange(transport, timeout) {
            Ok(Some(status)) => Reading::Status(status),
            Ok(None) => {
                // Maybe power-cycled behind a live TCP connection: reconnect next time.
                self.disconnect(&format_args!("no status reply within {timeout:?}"));
                Reading::NoReply
            }
            Err(error) => {
                self.disconnect(&error);
                Reading::NoReply
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let transport = self.connected().map_err(PrintError::Connect)?;
        if let Err(error) = transport.send(bytes) {
            self.disconnect(&error);
            return Err(PrintError::Io(error));
        }
        Ok(())
    }
}

/// Sends the four status requests and reads the four replies. A reply without the fixed
/// bits means the line is out of step (a late reply to an earlier request): start over once
/// with the input flushed.
fn exchange(transport: &mut dyn Transport, timeout: Duration) -> io::Result<Option<PrinterStatus>> {
    for attempt in 0..2 {
        transport.discard_input()?;
        let mut replies = [0u8; 4];
        for (query, reply) in Query::ALL.iter().zip(replies.iter_mut()) {
            transport.send(&query.request())?;
            match transport.recv_byte(timeout)? {
                Some(byte) => *reply = byte,
                None => return Ok(None),
            }
        }
        match PrinterStatus::from_replies(replies) {
            Ok(status) => return Ok(Some(status)),
            Err(error) => tracing::debug!(%error, attempt, "printer status out of step"),
        }
    }
    Ok(None)
}

enum Backend {
    Link(Link),
    File { path: PathBuf, printer: Option<FilePrinter> },
}

/// What the poller and the printer share: the line (one user at a time, so a status request
/// never lands inside a job's bytes) and the status history.
struct Shared {
    backend: Mutex<Backend>,
    tracker: Mutex<StatusTracker>,
    status_enabled: bool,
    status_timeout: Duration,
}

impl Shared {
    fn backend(&self) -> MutexGuard<'_, Backend> {
        self.backend.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn tracker(&self) -> MutexGuard<'_, StatusTracker> {
        self.tracker.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn query(&self) -> Option<Reading> {
        if !self.status_enabled {
            return None;
        }
        let mut backend = self.backend();
        let Backend::Link(link) = &mut *backend else { return None };
        let reading = link.read_status();
        self.tracker().observe(reading);
        Some(reading)
    }
}

/// Why a printer in this state must not be sent a job, if it must not.
fn refusal(reading: Reading, timeout: Duration) -> Result<(), PrintError> {
    match reading {
        Reading::NoReply => Err(PrintError::Offline(OfflineReason::NoReply { timeout })),
        Reading::Status(status) if status.paper_out => Err(PrintError::PaperOut),
        Reading::Status(status) if status.cover_open => Err(PrintError::CoverOpen),
        Reading::Status(PrinterStatus { error: Some(fault), .. }) => Err(PrintError::Fault(fault)),
        Reading::Status(status) if !status.online => {
            Err(PrintError::Offline(OfflineReason::Reported))
        }
        Reading::Status(_) => Ok(()),
    }
}

/// A real printer behind a [`PrinterConfig`]: prints documents, checks the printer's status
/// first (refusing with [`PrintError::PaperOut`] and the like rather than sending a job into
/// a printer that cannot print it), reports status changes as [`StatusEvent`]s, and counts
/// paper if a counter is configured.
///
/// ```no_run
/// # fn kiosk(config: hardware::printer::connection::PrinterConfig) -> anyhow::Result<()> {
/// use hardware::printer::connection::ConnectedPrinter;
/// let printer = ConnectedPrinter::new(&config)?; // connects on first use
/// let mut events = printer.status_events();
/// let _poller = printer.spawn_status_poller()?;
/// // events.recv().await: PaperNearEnd, PaperOut, PaperRefilled, CoverOpened, ...
/// # Ok(()) }
/// ```
pub struct ConnectedPrinter {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    paper: Paper,
    status_interval: Duration,
    counter: Option<PaperCounter>,
    roll_low_announced: bool,
}

impl ConnectedPrinter {
    /// Checks the config and opens the paper counter; the device is connected on first use,
    /// so a kiosk starts (and reports [`StatusEvent::NoReply`]) with the printer off.
    pub fn new(config: &PrinterConfig) -> Result<ConnectedPrinter, ConnectError> {
        let endpoint = config.endpoint()?;
        let timeouts = config.timeouts()?;
        let paper = config.paper_width()?;
        let counter = match &config.counter_file {
            Some(path) => Some(PaperCounter::open(path, config.roll)?),
            None => None,
        };
        let backend = match &endpoint {
            Endpoint::File { path } => Backend::File { path: path.clone(), printer: None },
            _ => Backend::Link(Link { endpoint: endpoint.clone(), timeouts, transport: None }),
        };
        let status_enabled = config.real_time_status && config.kind != Kind::File;
        let shared = Arc::new(Shared {
            backend: Mutex::new(backend),
            tracker: Mutex::new(StatusTracker::default()),
            status_enabled,
            status_timeout: timeouts.status,
        });
        Ok(ConnectedPrinter {
            shared,
            endpoint,
            paper,
            status_interval: config.status_interval(),
            counter,
            roll_low_announced: false,
        })
    }

    /// [`ConnectedPrinter::new`], then connects at once, so a wrong path or address is
    /// reported now (installers, the diagnostics CLI).
    pub fn open(config: &PrinterConfig) -> Result<ConnectedPrinter, ConnectError> {
        let printer = ConnectedPrinter::new(config)?;
        printer.connect()?;
        Ok(printer)
    }

    /// Opens the connection if it is not open.
    pub fn connect(&self) -> Result<(), ConnectError> {
        match &mut *self.shared.backend() {
            Backend::Link(link) => link.connected().map(|_| ()),
            Backend::File { path, printer } => {
                if printer.is_none() {
                    let opened = FilePrinter::open(&*path).map_err(|error| match error {
                        PrintError::Io(source) => ConnectError::Open { path: path.clone(), source },
                        other => ConnectError::Open {
                            path: path.clone(),
                            source: io::Error::other(other.to_string()),
                        },
                    })?;
                    *printer = Some(opened);
                }
                Ok(())
            }
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn paper(&self) -> Paper {
        self.paper
    }

    /// False for files and for printers configured without `real_time_status`.
    pub fn has_status(&self) -> bool {
        self.shared.status_enabled
    }

    /// Status changes from now on, from the poller and from the check before each print.
    /// A second call replaces the first receiver.
    pub fn status_events(&self) -> mpsc::UnboundedReceiver<StatusEvent> {
        self.shared.tracker().subscribe()
    }

    /// Asks the printer now (waiting for a job in progress to finish). `None` if this
    /// printer cannot report status.
    pub fn query_status(&self) -> Option<Reading> {
        self.shared.query()
    }

    /// The last reading taken by the poller or a print, without asking the printer.
    pub fn last_status(&self) -> Option<Reading> {
        self.shared.tracker().current()
    }

    /// Polls the status every `status_interval_ms` in a background thread until the
    /// returned handle is dropped. Does nothing useful for printers without status.
    pub fn spawn_status_poller(&self) -> io::Result<StatusPoller> {
        self.spawn_status_poller_every(self.status_interval)
    }

    pub fn spawn_status_poller_every(&self, interval: Duration) -> io::Result<StatusPoller> {
        let shared = Arc::clone(&self.shared);
        StatusPoller::spawn(interval, move || {
            shared.query();
        })
    }

    /// Counts paper with `counter` (instead of the configured one, if any).
    pub fn with_counter(mut self, counter: PaperCounter) -> ConnectedPrinter {
        self.counter = Some(counter);
        self
    }

    /// The paper counter, for the staff screen (remaining paper, reset on a new roll).
    pub fn counter(&self) -> Option<&PaperCounter> {
        self.counter.as_ref()
    }

    /// Counts a printed document; announces [`StatusEvent::RollLow`] once per roll, when the
    /// count first passes the warning threshold. A counter that cannot be saved does not
    /// fail the print: the receipt is already out.
    fn count(&mut self, doc: &Document) {
        let Some(counter) = &self.counter else { return };
        if let Err(error) = counter.record(doc) {
            tracing::warn!(%error, "paper counter not saved");
        }
        let low = counter.should_warn();
        if low && !self.roll_low_announced {
            let remaining_mm = counter.remaining_mm();
            self.shared.tracker().announce(StatusEvent::RollLow { remaining_mm });
        }
        self.roll_low_announced = low;
    }
}

impl Printer for ConnectedPrinter {
    fn print(&mut self, doc: &Document) -> Result<(), PrintError> {
        let bytes = render(doc)?;
        {
            let mut backend = self.shared.backend();
            match &mut *backend {
                Backend::File { path, printer } => {
                    let file = match printer.take() {
                        Some(file) => file,
                        None => FilePrinter::open(&*path)?,
                    };
                    // Kept open only while it works; reopened by the next print otherwise.
                    let result = printer.insert(file).print(doc);
                    if result.is_err() {
                        *printer = None;
                    }
                    result?;
                }
                Backend::Link(link) => {
                    link.connected().map_err(PrintError::Connect)?;
                    if self.shared.status_enabled {
                        let reading = link.read_status();
                        self.shared.tracker().observe(reading);
                        refusal(reading, self.shared.status_timeout)?;
                    }
                    link.send(&bytes)?;
                }
            }
        }
        self.count(doc);
        Ok(())
    }

    fn name(&self) -> String {
        self.endpoint.to_string()
    }
}
