//! On/off patterns for the status LED and the buzzer, as pure functions of elapsed time, so
//! the same player drives a Raspberry Pi pin and the simulator, and the timing is tested
//! without waiting.
//!
//! One single-colour LED has to tell three things apart from across a room: steady means
//! ready, a slow blink means working, a fast blink means a fault that needs staff.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One phase of a pattern: the output on or off for some milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    pub on: bool,
    pub ms: u32,
}

const fn on(ms: u32) -> Phase {
    Phase { on: true, ms }
}

const fn off(ms: u32) -> Phase {
    Phase { on: false, ms }
}

/// A sequence of phases, played once (then `rest`) or repeated until replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    phases: &'static [Phase],
    repeat: bool,
    /// The level of a pattern without phases, and after a pattern played once.
    rest: bool,
}

impl Pattern {
    /// Always on or always off.
    pub const fn steady(on: bool) -> Pattern {
        Pattern { phases: &[], repeat: false, rest: on }
    }

    /// The phases once, then off.
    pub const fn once(phases: &'static [Phase]) -> Pattern {
        Pattern { phases, repeat: false, rest: false }
    }

    /// The phases over and over.
    pub const fn repeating(phases: &'static [Phase]) -> Pattern {
        Pattern { phases, repeat: true, rest: false }
    }

    pub fn phases(&self) -> &'static [Phase] {
        self.phases
    }

    pub fn repeats(&self) -> bool {
        self.repeat
    }

    /// One pass through the phases.
    pub fn period(&self) -> Duration {
        Duration::from_millis(self.phases.iter().map(|p| u64::from(p.ms)).sum())
    }

    /// Whether the output is on `elapsed` after the pattern started.
    pub fn level_at(&self, elapsed: Duration) -> bool {
        let period = self.period();
        if period.is_zero() || (!self.repeat && elapsed >= period) {
            return self.rest;
        }
        let into = if self.repeat { modulo(elapsed, period) } else { elapsed };
        let mut end = Duration::ZERO;
        for phase in self.phases {
            end += Duration::from_millis(u64::from(phase.ms));
            if into < end {
                return phase.on;
            }
        }
        self.rest
    }

    /// The first phase boundary after `elapsed` (time since the start), when the player
    /// must wake up; `None` once the output will not change again.
    pub fn next_boundary(&self, elapsed: Duration) -> Option<Duration> {
        let period = self.period();
        if period.is_zero() || (!self.repeat && elapsed >= period) {
            return None;
        }
        let cycle_start =
            if self.repeat { elapsed - modulo(elapsed, period) } else { Duration::ZERO };
        let mut end = cycle_start;
        for phase in self.phases {
            end += Duration::from_millis(u64::from(phase.ms));
            if end > elapsed {
                return Some(end);
            }
        }
        None
    }
}

fn modulo(elapsed: Duration, period: Duration) -> Duration {
    let rem = elapsed.as_nanos() % period.as_nanos();
    // The remainder is below the period, itself a Duration, so it fits.
    Duration::from_nanos(u64::try_from(rem).unwrap_or(u64::MAX))
}

/// What the status LED says about the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedState {
    /// Dark: the kiosk software is not running (or is shutting down).
    #[default]
    Off,
    /// Steady: ready for the next visitor.
    Idle,
    /// Slow blink: serving a visitor, printing, talking to the server.
    Busy,
    /// Fast blink: something needs staff (printer out of paper, door open, no network).
    Fault,
}

impl LedState {
    pub const ALL: [LedState; 4] = [LedState::Off, LedState::Idle, LedState::Busy, LedState::Fault];

    pub fn pattern(self) -> Pattern {
        const BUSY: &[Phase] = &[on(500), off(500)];
        const FAULT: &[Phase] = &[on(150), off(150)];
        match self {
            LedState::Off => Pattern::steady(false),
            LedState::Idle => Pattern::steady(true),
            LedState::Busy => Pattern::repeating(BUSY),
            LedState::Fault => Pattern::repeating(FAULT),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LedState::Off => "off",
            LedState::Idle => "idle",
            LedState::Busy => "busy",
            LedState::Fault => "fault",
        }
    }
}

/// A sound from the buzzer. All but [`Beep::Alarm`] end by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Beep {
    /// One short beep: a card or code was read, a key was taken.
    Ack,
    /// Three short beeps: that did not work (unreadable card, printer error).
    Error,
    /// One long beep: look here (call-staff request registered, slip ready).
    Attention,
    /// On and off every second until silenced: the door was opened without authorization.
    Alarm,
}

impl Beep {
    pub const ALL: [Beep; 4] = [Beep::Ack, Beep::Error, Beep::Attention, Beep::Alarm];

    pub fn pattern(self) -> Pattern {
        const ACK: &[Phase] = &[on(80)];
        const ERROR: &[Phase] = &[on(100), off(100), on(100), off(100), on(100)];
        const ATTENTION: &[Phase] = &[on(600)];
        const ALARM: &[Phase] = &[on(1000), off(1000)];
        match self {
            Beep::Ack => Pattern::once(ACK),
            Beep::Error => Pattern::once(ERROR),
            Beep::Attention => Pattern::once(ATTENTION),
            Beep::Alarm => Pattern::repeating(ALARM),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Beep::Ack => "ack",
            Beep::Error => "error",
            Beep::Attention => "attention",
            Beep::Alarm => "alarm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn busy_blinks_once_a_second_forever() {
        let busy = LedState::Busy.pattern();
        for (at, lit) in [(0, true), (499, true), (500, false), (999, false), (1000, true)] {
            assert_eq!(busy.level_at(ms(at)), lit, "{at} ms");
        }
        assert!(busy.level_at(ms(3_600_000 + 250)), "still blinking an hour later");
        assert_eq!(busy.next_boundary(ms(0)), Some(ms(500)));
        assert_eq!(busy.next_boundary(ms(500)), Some(ms(1000)));
        assert_eq!(busy.next_boundary(ms(10_250)), Some(ms(10_500)));
    }

    #[test]
    fn fault_blinks_faster_than_busy() {
        let (fault, busy) = (LedState::Fault.pattern(), LedState::Busy.pattern());
        assert!(fault.period() < busy.period());
        assert!(fault.level_at(ms(0)) && !fault.level_at(ms(150)) && fault.level_at(ms(300)));
    }

    #[test]
    fn steady_states_never_wake_the_player() {
        assert!(LedState::Idle.pattern().level_at(ms(123_456)));
        assert!(!LedState::Off.pattern().level_at(ms(0)));
        for state in [LedState::Idle, LedState::Off] {
            assert_eq!(state.pattern().next_boundary(ms(0)), None);
        }
    }

    #[test]
    fn error_is_three_beeps_then_silence() {
        let error = Beep::Error.pattern();
        let beeps =
            (0..600).filter(|t| error.level_at(ms(*t)) && !error.level_at(ms(t + 1))).count();
        assert_eq!(beeps, 3);
        assert_eq!(error.period(), ms(500));
        assert!(!error.level_at(ms(500)) && !error.level_at(ms(60_000)));
        assert_eq!(error.next_boundary(ms(450)), Some(ms(500)));
        assert_eq!(error.next_boundary(ms(500)), None, "done: the player can sleep");
    }

    #[test]
    fn every_boundary_is_where_the_level_may_change() {
        // Between two boundaries the level is constant, so waking only at boundaries
        // never misses a change.
        for pattern in
            LedState::ALL.map(LedState::pattern).into_iter().chain(Beep::ALL.map(Beep::pattern))
        {
            let mut t = Duration::ZERO;
            while let Some(next) = pattern.next_boundary(t) {
                assert!(next > t);
                let level = pattern.level_at(t);
                let mut probe = t;
                while probe < next {
                    assert_eq!(pattern.level_at(probe), level, "{pattern:?} at {probe:?}");
                    probe += ms(10);
                }
                t = next;
                if t > ms(5_000) {
                    break;
                }
            }
        }
    }
}
