//! `anjungan-hw`: what desa staff and installers run when a kiosk's devices misbehave. It
//! lists the ports the devices appeared on, prints a test page, shows what a reader
//! sends, drives the LED and buzzer and shows the inputs, with the same library code the
//! kiosk uses, so a device that works here works in the kiosk. `--sim` runs the GPIO
//! commands on the simulator, for training and for machines without pins.
//!
//! Stop the kiosk before using a device here: a serial port or a pin is used by one program
//! at a time.

#[path = "anjungan_hw/gpio.rs"]
mod gpio;
#[path = "anjungan_hw/ports.rs"]
mod ports;
#[path = "anjungan_hw/status.rs"]
mod status;
#[path = "anjungan_hw/test_page.rs"]
mod test_page;
#[path = "anjungan_hw/watch.rs"]
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "anjungan-hw",
    version,
    about = "Check the devices of an Anjungan kiosk: ports, printer, readers, LED, buzzer, inputs",
    after_help = "Stop the kiosk program first: a port or pin is used by one program at a time.\n\
                  Hentikan program kiosk dulu: satu port hanya bisa dipakai satu program."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List serial ports and printer devices (where to find the printer and readers)
    Ports {
        /// Where device nodes live (for tests)
        #[arg(long, hide = true, default_value = "/dev")]
        dev: PathBuf,
    },
    /// Print a test page: paper width ruler, alignment, bold, big text, a QR code
    TestPage(test_page::Args),
    /// Ask the printer whether it can print: online, cover, paper, errors (DLE EOT)
    Status(status::Args),
    /// Show what an e-KTP reader or QR scanner sends (NIK and names masked)
    Watch(watch::Args),
    /// Show a state on the status LED until Ctrl+C (or --seconds)
    Led {
        #[arg(value_enum)]
        state: gpio::LedArg,
        #[command(flatten)]
        gpio: gpio::GpioArgs,
        /// Stop after this many seconds instead of at Ctrl+C
        #[arg(long, value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
    /// Sound the buzzer
    Beep {
        #[arg(value_enum, default_value = "ack")]
        pattern: gpio::BeepArg,
        #[command(flatten)]
        gpio: gpio::GpioArgs,
        /// How long the alarm sounds (the other patterns end by themselves)
        #[arg(long, value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
    /// GPIO inputs: door switch, presence sensor, call-staff button
    Gpio {
        #[command(subcommand)]
        command: GpioCommand,
    },
}

#[derive(Subcommand)]
enum GpioCommand {
    /// Print each debounced input change until Ctrl+C (or --seconds). With --sim, type
    /// lines such as `door open`, `call press`, `wait 100`, `presence on` to drive the simulator
    Watch {
        #[command(flatten)]
        gpio: gpio::GpioArgs,
        /// Stop after this many seconds instead of at Ctrl+C
        #[arg(long, value_parser = parse_seconds)]
        seconds: Option<Duration>,
    },
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}` is not a number of seconds from 0 up"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Ports { dev } => ports::run(&dev),
        Command::TestPage(args) => test_page::run(&args),
        Command::Status(args) => status::run(args).await,
        Command::Watch(args) => watch::run(args).await,
        Command::Led { state, gpio, seconds } => gpio::led(&gpio, state.into(), seconds).await,
        Command::Beep { pattern, gpio, seconds } => {
            gpio::beep(&gpio, pattern.into(), seconds).await
        }
        Command::Gpio { command: GpioCommand::Watch { gpio, seconds } } => {
            gpio::watch(&gpio, seconds).await
        }
    }
}
