//! Contact debouncing, pure and time-injected: a level must hold for the whole window before
//! it is reported as an edge.
//!
//! A door's reed switch or a push button bounces for a few milliseconds when it moves, and a
//! long cable picks up short spikes. Reporting every transition would tell the kiosk the
//! door opened and closed ten times; reporting only a level that stayed put for the window
//! gives one edge per real movement and none for a glitch shorter than the window. The
//! price is latency: an edge is reported `window` after the contact settles.
//!
//! Time is passed in, never read, so the behaviour can be tested exhaustively with a fake
//! clock and the same code serves the interrupt-driven Raspberry Pi input and the simulator.

use std::time::{Duration, Instant};

/// One input's debouncing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debouncer {
    window: Duration,
    /// The last level reported (or the level at start).
    stable: bool,
    /// A level different from `stable`, and since when the raw input has shown it.
    candidate: Option<Instant>,
}

impl Debouncer {
    /// `initial` is the level the input is taken to have now, without an edge for it.
    pub fn new(initial: bool, window: Duration) -> Debouncer {
        Debouncer { window, stable: initial, candidate: None }
    }

    /// The debounced level: the last one reported.
    pub fn level(&self) -> bool {
        self.stable
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// The raw input shows `level` from `at` on (an interrupt edge or a poll sample; the
    /// same level twice is harmless). Returns the new level if an edge is due by `at`: a
    /// pending level that has now held for the window, or, with a zero window, this one.
    /// Times must not go backwards; an earlier `at` is treated as `at` = the pending start.
    pub fn update(&mut self, level: bool, at: Instant) -> Option<bool> {
        // A pending level that held until this change is an edge, reported first.
        let matured = self.poll(at);
        if level == self.stable {
            // Back to the reported level before the window ran out: a bounce or a glitch.
            self.candidate = None;
        } else if self.candidate.is_none() {
            self.candidate = Some(at);
        }
        // Only one of the two can be an edge: a matured candidate makes `level == stable`
        // or starts a new candidate that cannot have matured yet unless the window is zero.
        matured.or_else(|| self.poll(at))
    }

    /// Time has passed without a raw change. Returns the new level if the pending one has
    /// held for the window by `now`.
    pub fn poll(&mut self, now: Instant) -> Option<bool> {
        let since = self.candidate?;
        if now.saturating_duration_since(since) >= self.window {
            self.candidate = None;
            self.stable = !self.stable;
            Some(self.stable)
        } else {
            None
        }
    }

    /// When [`Debouncer::poll`] would next report an edge if nothing changes: the time to
    /// wake up at. `None` when the input is settled.
    pub fn deadline(&self) -> Option<Instant> {
        self.candidate.map(|since| since + self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A fake clock: time zero plus whole milliseconds.
    fn clock() -> impl Fn(u64) -> Instant {
        let zero = Instant::now();
        move |ms| zero + Duration::from_millis(ms)
    }

    #[test]
    fn a_bouncing_contact_gives_one_edge_after_it_settles() {
        let t = clock();
        let mut d = Debouncer::new(false, 20 * MS);
        // Opens at 0, bounces every 5 ms, settles open at 20.
        for (ms, level) in [(0, true), (5, false), (10, true), (15, false), (20, true)] {
            assert_eq!(d.update(level, t(ms)), None, "no edge while bouncing ({ms} ms)");
        }
        assert_eq!(d.deadline(), Some(t(40)));
        assert_eq!(d.poll(t(39)), None);
        assert_eq!(d.poll(t(40)), Some(true));
        assert_eq!(d.poll(t(500)), None, "reported once");
        assert!(d.level());
    }

    #[test]
    fn a_glitch_shorter_than_the_window_is_ignored() {
        let t = clock();
        let mut d = Debouncer::new(false, 5 * MS);
        assert_eq!(d.update(true, t(10)), None);
        assert_eq!(d.update(false, t(13)), None);
        assert_eq!(d.deadline(), None, "nothing pending after the glitch");
        assert_eq!(d.poll(t(1000)), None);
        assert!(!d.level());
    }

    #[test]
    fn a_late_change_reports_the_matured_level_first() {
        // The caller did not poll at the deadline; the next raw change still reports the
        // level that had held long enough, then starts timing the new one.
        let t = clock();
        let mut d = Debouncer::new(false, 5 * MS);
        d.update(true, t(0));
        assert_eq!(d.update(false, t(9)), Some(true));
        assert_eq!(d.deadline(), Some(t(14)));
        assert_eq!(d.poll(t(14)), Some(false));
    }

    #[test]
    fn a_zero_window_reports_every_change_at_once() {
        let t = clock();
        let mut d = Debouncer::new(true, Duration::ZERO);
        assert_eq!(d.update(false, t(1)), Some(false));
        assert_eq!(d.update(false, t(2)), None);
        assert_eq!(d.update(true, t(2)), Some(true));
    }

    /// The specification, written directly: the reported level changes to `v` at time `t`
    /// exactly when the raw input showed `v` in each of the `window` milliseconds before
    /// `t` (with a zero window: at `t` itself) and `v` is not already the reported level.
    /// Returns `(time, level)` edges.
    fn oracle(initial: bool, raw: &[bool], window: u64, until: u64) -> Vec<(u64, bool)> {
        // raw[i] is the level during [i, i+1) ms; before 0 the input showed `initial`, after
        // the sequence its last level holds.
        let level_at = |ms: i64| -> bool {
            match usize::try_from(ms) {
                Err(_) => initial,
                Ok(i) => *raw.get(i).or(raw.last()).unwrap_or(&initial),
            }
        };
        let window = i64::try_from(window).unwrap();
        let mut stable = initial;
        let mut edges = Vec::new();
        for t in 0..=i64::try_from(until).unwrap() {
            let v = if window == 0 { level_at(t) } else { level_at(t - window) };
            let held = (t - window..t).all(|s| level_at(s) == v);
            if held && v != stable {
                stable = v;
                edges.push((u64::try_from(t).unwrap(), v));
            }
        }
        edges
    }

    /// Drives a debouncer like the input task does: an update at each raw change and a
    /// poll whenever its deadline comes, or (if `every_ms`) on every millisecond as a
    /// polling loop would.
    fn drive(
        initial: bool,
        raw: &[bool],
        window: u64,
        until: u64,
        every_ms: bool,
    ) -> Vec<(u64, bool)> {
        let t = clock();
        let mut d = Debouncer::new(initial, Duration::from_millis(window));
        let mut edges = Vec::new();
        let mut last = initial;
        for ms in 0..=until {
            let now = t(ms);
            // Deadline first: an edge due at `ms` happened before a change at `ms` is seen.
            let due = d.deadline().is_some_and(|at| at <= now);
            if (due || every_ms)
                && let Some(level) = d.poll(now)
            {
                edges.push((ms, level));
            }
            let i = usize::try_from(ms).unwrap_or(usize::MAX);
            if let Some(&level) = raw.get(i)
                && (level != last || every_ms)
            {
                if let Some(edge) = d.update(level, now) {
                    edges.push((ms, edge));
                }
                last = level;
            }
        }
        edges
    }

    #[test]
    fn matches_the_specification_for_every_short_signal() {
        // Every raw signal of 12 one-millisecond samples, both starting levels, windows of
        // 0 to 4 ms: 40,960 cases, each compared edge for edge and millisecond for
        // millisecond with the written-out definition, driven both by deadlines and by
        // polling every millisecond.
        const LEN: u32 = 12;
        for window in 0..=4u64 {
            for initial in [false, true] {
                for bits in 0..(1u32 << LEN) {
                    let raw: Vec<bool> = (0..LEN).map(|i| bits >> i & 1 == 1).collect();
                    let until = u64::from(LEN) + window + 2;
                    let expected = oracle(initial, &raw, window, until);
                    assert_eq!(
                        drive(initial, &raw, window, until, false),
                        expected,
                        "deadlines: window {window}, initial {initial}, raw {raw:?}"
                    );
                    assert_eq!(
                        drive(initial, &raw, window, until, true),
                        expected,
                        "polling: window {window}, initial {initial}, raw {raw:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn edges_alternate_and_end_at_the_settled_level() {
        // Whatever the input does, reported edges alternate (never "opened" twice) and
        // once the raw level stays put for a window the reported level equals it.
        for bits in 0..(1u32 << 12) {
            let raw: Vec<bool> = (0..12).map(|i| bits >> i & 1 == 1).collect();
            let edges = drive(false, &raw, 3, 20, false);
            let mut level = false;
            for (_, edge) in &edges {
                assert_ne!(*edge, level, "{raw:?} -> {edges:?}");
                level = *edge;
            }
            assert_eq!(level, raw[11], "{raw:?} -> {edges:?}");
        }
    }
}
