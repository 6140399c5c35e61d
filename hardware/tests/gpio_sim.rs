//! The simulated GPIO end to end: raw contact changes in, debounced events out, LED and
//! buzzer as the pattern player drives them. Tokio's clock is paused, so every bounce and
//! blink happens at an exact virtual time and the tests take no real time.

use std::time::Duration;

use hardware::gpio::{
    Beep, Driver, Gpio, GpioConfig, GpioEvent, GpioEvents, Input, LedState, SimGpio,
};
use tokio::time::{Instant, sleep, timeout};

const MS: Duration = Duration::from_millis(1);
/// Far longer than any debounce: waiting this long without an event means there is none.
const QUIET: Duration = Duration::from_secs(5);

fn config(door_debounce_ms: u32) -> GpioConfig {
    let mut config = GpioConfig::reference(Driver::Sim);
    if let Some(door) = config.door.as_mut() {
        door.debounce_ms = Some(door_debounce_ms);
    }
    config
}

fn start(config: &GpioConfig) -> (Gpio, GpioEvents, SimGpio) {
    let (gpio, events) = SimGpio::start(config).expect("sim starts");
    let sim = gpio.sim().expect("a simulator").clone();
    (gpio, events, sim)
}

async fn next(events: &mut GpioEvents) -> GpioEvent {
    timeout(QUIET, events.recv()).await.expect("an event in time").expect("stream open")
}

async fn assert_quiet(events: &mut GpioEvents) {
    if let Ok(event) = timeout(QUIET, events.recv()).await {
        panic!("expected no event, got {event:?}");
    }
}

/// Milliseconds since `start`, for comparing against a pattern's schedule.
fn offsets(start: Instant, levels: &[(Instant, bool)]) -> Vec<(u128, bool)> {
    levels.iter().map(|(at, on)| (at.duration_since(start).as_millis(), *on)).collect()
}

#[tokio::test(start_paused = true)]
async fn a_bouncing_door_opens_once_after_the_debounce() {
    let (_gpio, mut events, sim) = start(&config(20));
    let start = Instant::now();
    // Contact makes and breaks every 5 ms, settling open at 20 ms.
    sim.bounce(Input::Door, true, 2, 5 * MS).await;
    assert_eq!(start.elapsed(), 20 * MS);
    sleep(19 * MS).await;
    assert!(events.try_recv().is_err(), "nothing before the level held for 20 ms");
    assert_eq!(next(&mut events).await, GpioEvent::DoorOpened);
    let at = start.elapsed();
    assert!((40 * MS..=41 * MS).contains(&at), "reported 20 ms after settling, at {at:?}");
    assert_quiet(&mut events).await;

    // Closing bounces too: one DoorClosed.
    sim.bounce(Input::Door, false, 3, 5 * MS).await;
    assert_eq!(next(&mut events).await, GpioEvent::DoorClosed);
    assert_quiet(&mut events).await;
}

#[tokio::test(start_paused = true)]
async fn a_glitch_shorter_than_the_debounce_is_ignored() {
    let (_gpio, mut events, sim) = start(&config(5));
    sim.glitch(Input::Door, 3 * MS).await;
    sim.glitch(Input::CallStaff, 3 * MS).await;
    sim.glitch(Input::Presence, 3 * MS).await;
    assert_quiet(&mut events).await;
    assert!(!sim.is_active(Input::Door));

    // A clean 6 ms pulse on a 5 ms window is a real (if short) opening.
    sim.glitch(Input::Door, 6 * MS).await;
    assert_eq!(next(&mut events).await, GpioEvent::DoorOpened);
    assert_eq!(next(&mut events).await, GpioEvent::DoorClosed);
    assert_quiet(&mut events).await;
}

#[tokio::test(start_paused = true)]
async fn call_staff_press_and_release() {
    let (_gpio, mut events, sim) = start(&GpioConfig::reference(Driver::Sim));
    let start = Instant::now();
    sim.press_call_staff();
    assert_eq!(next(&mut events).await, GpioEvent::CallStaffPressed);
    assert!(start.elapsed() >= Input::CallStaff.default_debounce());
    sleep(Duration::from_millis(200)).await;
    sim.release_call_staff();
    assert_eq!(next(&mut events).await, GpioEvent::CallStaffReleased);
    assert_quiet(&mut events).await;
}

#[tokio::test(start_paused = true)]
async fn presence_comes_and_goes() {
    let (_gpio, mut events, sim) = start(&GpioConfig::reference(Driver::Sim));
    sim.presence(true);
    assert_eq!(next(&mut events).await, GpioEvent::PresenceDetected);
    sleep(Duration::from_secs(30)).await;
    sim.presence(false);
    assert_eq!(next(&mut events).await, GpioEvent::PresenceCleared);
}

#[tokio::test(start_paused = true)]
async fn inputs_are_debounced_independently() {
    let (_gpio, mut events, sim) = start(&config(50));
    let start = Instant::now();
    // The button is pressed while the door is still bouncing: neither hides the other.
    let door = sim.bounce(Input::Door, true, 4, 5 * MS);
    let button = async {
        sleep(10 * MS).await;
        sim.press_call_staff();
    };
    tokio::join!(door, button);
    assert_eq!(next(&mut events).await, GpioEvent::CallStaffPressed, "30 ms after 10 ms");
    assert_eq!(start.elapsed().as_millis(), 40);
    assert_eq!(next(&mut events).await, GpioEvent::DoorOpened, "50 ms after settling at 40");
    assert_eq!(start.elapsed().as_millis(), 90);
    assert_quiet(&mut events).await;
}

#[tokio::test(start_paused = true)]
async fn a_door_open_at_boot_is_reported_at_once() {
    let (_gpio, mut events) =
        SimGpio::start_with(&GpioConfig::default(), &[Input::Door]).expect("sim");
    let start = Instant::now();
    assert_eq!(next(&mut events).await, GpioEvent::DoorOpened);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_quiet(&mut events).await;
}

#[tokio::test(start_paused = true)]
async fn led_states_are_recorded_and_blink_on_schedule() {
    let (gpio, _events, sim) = start(&GpioConfig::reference(Driver::Sim));
    let start = Instant::now();
    assert_eq!(sim.led(), LedState::Off);
    gpio.set_led(LedState::Idle);
    sleep(Duration::from_millis(100)).await;
    gpio.set_led(LedState::Busy);
    sleep(Duration::from_millis(1200)).await;
    gpio.set_led(LedState::Fault);
    sleep(Duration::from_millis(400)).await;
    gpio.set_led(LedState::Off);
    sleep(Duration::from_millis(2000)).await;

    let states: Vec<LedState> = sim.led_history().into_iter().map(|(_, s)| s).collect();
    assert_eq!(states, [LedState::Idle, LedState::Busy, LedState::Fault, LedState::Off]);
    assert_eq!((gpio.led(), sim.led()), (LedState::Off, LedState::Off));
    assert_eq!(
        offsets(start, &sim.led_levels()),
        [
            (0, false),   // the player starts with the LED dark
            (0, true),    // idle: steady
            (600, false), // busy from 100: on (already), off at +500,
            (1100, true), // on at +1000
            // fault from 1300: on (already), off every 150 ms
            (1450, false),
            (1600, true),
            // off at 1700
            (1700, false),
        ]
    );
    assert!(!sim.led_lit());
}

#[tokio::test(start_paused = true)]
async fn buzzer_patterns_are_recorded_as_played() {
    let (gpio, _events, sim) = start(&GpioConfig::reference(Driver::Sim));
    let start = Instant::now();
    gpio.beep(Beep::Error);
    sleep(Duration::from_secs(1)).await;
    assert!(!sim.buzzer_sounding(), "error beeps end by themselves");
    gpio.beep(Beep::Alarm);
    sleep(Duration::from_millis(2500)).await;
    assert!(sim.buzzer_sounding(), "the alarm goes on");
    gpio.silence();
    sleep(Duration::from_secs(10)).await;
    assert!(!sim.buzzer_sounding(), "until silenced");

    let beeps: Vec<Option<Beep>> = sim.beeps().into_iter().map(|(_, b)| b).collect();
    assert_eq!(beeps, [Some(Beep::Error), Some(Beep::Alarm), None]);
    assert_eq!(
        offsets(start, &sim.buzzer_levels()),
        [
            (0, false),
            // error: three 100 ms beeps
            (0, true),
            (100, false),
            (200, true),
            (300, false),
            (400, true),
            (500, false),
            // alarm from 1000: a second on, a second off
            (1000, true),
            (2000, false),
            (3000, true),
            // silenced at 3500
            (3500, false),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_new_beep_cuts_off_the_one_playing() {
    let (gpio, _events, sim) = start(&GpioConfig::reference(Driver::Sim));
    let start = Instant::now();
    gpio.beep(Beep::Attention);
    sleep(Duration::from_millis(200)).await;
    gpio.beep(Beep::Ack);
    sleep(Duration::from_secs(1)).await;
    assert_eq!(offsets(start, &sim.buzzer_levels()), [(0, false), (0, true), (280, false)]);
}

#[tokio::test(start_paused = true)]
async fn the_event_stream_closes_when_the_gpio_is_dropped() {
    let (gpio, mut events, sim) = start(&config(20));
    gpio.set_led(LedState::Busy);
    sim.open_door();
    assert_eq!(next(&mut events).await, GpioEvent::DoorOpened);
    sleep(10 * MS).await;
    assert!(sim.led_lit(), "busy starts lit");
    drop(gpio);
    let end = timeout(QUIET, events.recv()).await.expect("closes promptly");
    assert_eq!(end, None, "the stream ends");
    // The controls outlive the device without panicking, and change nothing.
    sim.close_door();
    sim.press_call_staff();
    assert_eq!(timeout(QUIET, events.recv()).await.expect("still closed"), None);
    sleep(10 * MS).await;
    assert!(!sim.led_lit(), "the LED is left dark");
}

#[tokio::test(start_paused = true)]
async fn dropping_the_events_leaves_the_outputs_working() {
    let (gpio, events, sim) = start(&config(20));
    drop(events);
    sim.open_door();
    sleep(Duration::from_millis(100)).await;
    gpio.beep(Beep::Ack);
    sleep(10 * MS).await;
    assert!(sim.buzzer_sounding());
}

#[tokio::test(start_paused = true)]
async fn open_selects_the_simulator_from_the_config() {
    let config: GpioConfig = toml::from_str("driver = \"sim\"").expect("toml");
    let (gpio, mut events) = hardware::gpio::open(&config).expect("open");
    assert_eq!(gpio.name(), "sim");
    let sim = gpio.sim().expect("sim controls");
    sim.press_call_staff();
    assert_eq!(next(&mut events).await, GpioEvent::CallStaffPressed);
}

#[test]
fn the_documented_toml_section_parses() {
    let text = r#"
        driver = "rpi"
        led = { pin = 17 }
        buzzer = { pin = 27 }
        door = { pin = 22, pull = "up" }
        presence = { pin = 23, pull = "none" }
        call_staff = { pin = 24, pull = "up", active_low = true, debounce_ms = 30 }
    "#;
    let parsed: GpioConfig = toml::from_str(text).expect("parses");
    let mut expected = GpioConfig::reference(Driver::Rpi);
    if let Some(button) = expected.call_staff.as_mut() {
        button.debounce_ms = Some(30);
    }
    assert_eq!(parsed, expected);
    let typo = toml::from_str::<GpioConfig>("door = { pin = 22, debounce = 5 }");
    assert!(typo.is_err(), "a misspelt key is an error, not a silent default");
}

#[tokio::test(start_paused = true)]
async fn a_late_wake_up_delays_a_beep_but_never_drops_one() {
    let (gpio, _events, sim) = start(&GpioConfig::reference(Driver::Sim));
    gpio.beep(Beep::Error);
    tokio::task::yield_now().await;
    // The clock jumps 350 ms at once, as if the CPU were busy: the player wakes 250 ms
    // after the end of the first beep, in the middle of where the second one was due.
    tokio::time::advance(Duration::from_millis(350)).await;
    sleep(Duration::from_secs(2)).await;
    let levels = sim.buzzer_levels();
    let beeps = levels.iter().filter(|(_, on)| *on).count();
    assert_eq!(beeps, 3, "{levels:?}");
    // Every beep and gap keeps its length after the delay.
    let ms: Vec<u128> =
        levels.windows(2).map(|w| w[1].0.duration_since(w[0].0).as_millis()).collect();
    assert_eq!(&ms[ms.len() - 4..], [100, 100, 100, 100], "{levels:?}");
}
