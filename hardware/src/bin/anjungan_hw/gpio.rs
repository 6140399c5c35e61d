//! `led`, `beep` and `gpio watch`: the GPIO through the kiosk's own [`hardware::gpio`], on
//! the Raspberry Pi's pins or, with `--sim`, on the simulator (which prints what the LED and
//! buzzer do, and takes input changes typed on stdin).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use hardware::gpio::{Beep, Driver, Gpio, GpioConfig, GpioEvents, Input, LedState, SimGpio};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

#[derive(clap::Args)]
pub struct GpioArgs {
    /// Use the GPIO simulator instead of the Raspberry Pi's pins
    #[arg(long)]
    sim: bool,
    // An attribute rather than a doc comment: rustdoc would read "[gpio]" as a link, and an
    // escaped "\[gpio\]" would reach the help text with its backslashes.
    #[arg(
        long,
        value_name = "FILE",
        help = "The kiosk's TOML config (its [gpio] section gives the pins); default: the \
                reference wiring of docs/hardware/cli.md"
    )]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum LedArg {
    Off,
    Idle,
    Busy,
    Fault,
}

impl From<LedArg> for LedState {
    fn from(state: LedArg) -> LedState {
        match state {
            LedArg::Off => LedState::Off,
            LedArg::Idle => LedState::Idle,
            LedArg::Busy => LedState::Busy,
            LedArg::Fault => LedState::Fault,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum BeepArg {
    Ack,
    Error,
    Attention,
    Alarm,
}

impl From<BeepArg> for Beep {
    fn from(beep: BeepArg) -> Beep {
        match beep {
            BeepArg::Ack => Beep::Ack,
            BeepArg::Error => Beep::Error,
            BeepArg::Attention => Beep::Attention,
            BeepArg::Alarm => Beep::Alarm,
        }
    }
}

/// The config the command runs with: the file's `[gpio]` section (or the whole file, if it
/// is only that section), else the reference wiring on the Pi; `--sim` overrides the driver.
fn config(args: &GpioArgs) -> anyhow::Result<GpioConfig> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
            let section = match table.get("gpio") {
                Some(section) => section.clone(),
                None => toml::Value::Table(table),
            };
            section
                .try_into()
                .with_context(|| format!("the [gpio] section of {}", path.display()))?
        }
        None => GpioConfig::reference(Driver::Rpi),
    };
    if args.sim {
        config.driver = Driver::Sim;
    }
    Ok(config)
}

fn open(args: &GpioArgs) -> anyhow::Result<(Gpio, GpioEvents)> {
    let config = config(args)?;
    let opened = hardware::gpio::open(&config);
    if matches!(opened, Err(hardware::gpio::GpioError::Unsupported)) {
        anyhow::bail!(
            "this anjungan-hw was built without Raspberry Pi GPIO (cargo feature `rpi`); \
             add --sim to try the simulator"
        );
    }
    let opened = opened.context("opening the GPIO")?;
    println!("GPIO: {}", describe(&config));
    Ok(opened)
}

fn describe(config: &GpioConfig) -> String {
    if config.driver == Driver::Sim {
        return "simulator".into();
    }
    let mut parts = Vec::new();
    for (name, pin) in
        [("led", config.led.map(|p| p.pin)), ("buzzer", config.buzzer.map(|p| p.pin))]
    {
        parts.push(pin.map_or(format!("{name} not wired"), |pin| format!("{name} BCM {pin}")));
    }
    for input in Input::ALL {
        parts.push(
            config
                .input(input)
                .map_or(format!("{input} not wired"), |c| format!("{input} BCM {}", c.pin)),
        );
    }
    format!("Raspberry Pi, {}", parts.join(", "))
}

/// Waits for Ctrl+C, or until `until` when given.
async fn wait(until: Option<Instant>) {
    match until {
        Some(until) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = sleep_until(until) => {}
            }
        }
        None => {
            // An error here means no signal handling: then only killing the process stops it.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Prints the simulator's output changes as they happen, until `done`.
async fn print_levels(
    sim: SimGpio,
    start: Instant,
    name: &str,
    levels: fn(&SimGpio) -> Vec<(Instant, bool)>,
    mut done: tokio::sync::oneshot::Receiver<()>,
) {
    let mut printed = 0;
    loop {
        let finished = done.try_recv().is_ok();
        let all = levels(&sim);
        // The player starts by writing "off": that is the state before, not a change.
        if printed == 0 && all.first().is_some_and(|(_, on)| !on) {
            printed = 1;
        }
        for (at, on) in all.iter().skip(printed) {
            let ms = at.saturating_duration_since(start).as_millis();
            println!("{ms:>7} ms  {name} {}", if *on { "on" } else { "off" });
        }
        printed = all.len();
        if finished {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs `body` with the simulator's `levels` printed alongside, when simulated.
async fn with_levels(
    gpio: &Gpio,
    name: &'static str,
    levels: fn(&SimGpio) -> Vec<(Instant, bool)>,
    body: impl Future<Output = ()>,
) {
    let start = Instant::now();
    let printer = gpio.sim().map(|sim| {
        let (done, done_rx) = tokio::sync::oneshot::channel();
        (done, tokio::spawn(print_levels(sim.clone(), start, name, levels, done_rx)))
    });
    body.await;
    if let Some((done, task)) = printer {
        let _ = done.send(());
        let _ = task.await;
    }
}

pub async fn led(
    args: &GpioArgs,
    state: LedState,
    seconds: Option<Duration>,
) -> anyhow::Result<()> {
    let (gpio, _events) = open(args)?;
    let how = match state {
        LedState::Off => "dark",
        LedState::Idle => "steady",
        LedState::Busy => "slow blink",
        LedState::Fault => "fast blink",
    };
    match seconds {
        Some(s) => println!("LED {} ({how}) for {:.1} s", state.name(), s.as_secs_f64()),
        None => println!("LED {} ({how}); Ctrl+C to stop", state.name()),
    }
    let until = seconds.map(|s| Instant::now() + s);
    with_levels(&gpio, "LED", SimGpio::led_levels, async {
        gpio.set_led(state);
        wait(until).await;
        gpio.set_led(LedState::Off);
        tokio::time::sleep(Duration::from_millis(20)).await;
    })
    .await;
    Ok(())
}

pub async fn beep(args: &GpioArgs, beep: Beep, seconds: Option<Duration>) -> anyhow::Result<()> {
    let (gpio, _events) = open(args)?;
    let pattern = beep.pattern();
    let length = if pattern.repeats() {
        seconds.unwrap_or(Duration::from_secs(3))
    } else {
        pattern.period()
    };
    println!("Buzzer: {} ({} ms)", beep.name(), length.as_millis());
    with_levels(&gpio, "buzzer", SimGpio::buzzer_levels, async {
        gpio.beep(beep);
        wait(Some(Instant::now() + length)).await;
        gpio.silence();
        tokio::time::sleep(Duration::from_millis(20)).await;
    })
    .await;
    Ok(())
}

pub async fn watch(args: &GpioArgs, seconds: Option<Duration>) -> anyhow::Result<()> {
    let config = config(args)?;
    let (gpio, mut events) = open(args)?;
    let start = Instant::now();
    let mut until = seconds.map(|s| start + s);
    let mut typed = match gpio.sim() {
        Some(_) => {
            println!(
                "Type: door open|close, presence on|off, call press|release \
                 (add `bounce` to bounce the contact), wait <ms>; Ctrl+D to end"
            );
            Some(stdin_lines())
        }
        None => {
            println!("Watching the inputs; Ctrl+C to stop");
            None
        }
    };
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let ms = start.elapsed().as_millis();
                println!("{ms:>7} ms  {event}");
            }
            line = async { typed.as_mut()?.recv().await }, if typed.is_some() => {
                let Some(line) = line else {
                    // End of input: let pending debounces finish, then stop.
                    typed = None;
                    let settle = Input::ALL.iter().map(|i| config.debounce(*i)).max();
                    let end = Instant::now() + settle.unwrap_or_default() + Duration::from_millis(200);
                    until = Some(until.map_or(end, |u| u.min(end).max(Instant::now())));
                    continue;
                };
                if let Some(sim) = gpio.sim() {
                    drive(sim, &line).await;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            () = async { sleep_until(until.unwrap_or_else(Instant::now)).await }, if until.is_some() => break,
        }
    }
    Ok(())
}

/// Lines typed on stdin, read on a thread (stdin has no portable non-blocking read).
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Applies one typed line to the simulator: `<input> <state> [bounce]` or `wait <ms>`.
async fn drive(sim: &SimGpio, line: &str) {
    let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
    let Some(first) = words.first() else { return };
    if first == "wait" || first == "tunggu" {
        match words.get(1).and_then(|ms| ms.parse::<u64>().ok()) {
            Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            None => eprintln!("wait how long? e.g. `wait 100` (milliseconds)"),
        }
        return;
    }
    let input = match first.as_str() {
        "door" | "pintu" => Input::Door,
        "presence" | "orang" => Input::Presence,
        "call" | "call-staff" | "button" | "tombol" => Input::CallStaff,
        other => {
            eprintln!("unknown input `{other}`: door, presence or call");
            return;
        }
    };
    let active = match words.get(1).map(String::as_str) {
        Some("open" | "on" | "press" | "1" | "buka") => true,
        Some("close" | "off" | "release" | "0" | "tutup") => false,
        _ => {
            eprintln!("say what {input} does: open/close, on/off, press/release");
            return;
        }
    };
    if words.get(2).is_some_and(|w| w == "bounce") {
        sim.bounce(input, active, 3, Duration::from_millis(5)).await;
    } else {
        sim.set(input, active);
    }
}
