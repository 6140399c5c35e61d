//! The idle timeout: after a while without a touch the kiosk asks "Masih di sini?" for a
//! few seconds, then goes home and forgets the visitor, so the next person in the queue
//! never sees the last one's data.
//!
//! Slint timers drive it (the testing platform's mock clock moves them in tests); every
//! touch, key, card or scan restarts the clock.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Timer, TimerMode, Weak};

use super::{Settings, SharedSession, lock, render};
use crate::session::Screen;
use crate::ui::{AppWindow, Kiosk};

pub(crate) struct IdleWatch {
    timeout: Cell<Duration>,
    idle: Timer,
    countdown: Timer,
    /// Seconds left on the countdown; 0 when none is showing.
    remaining: Cell<u32>,
    window: Weak<AppWindow>,
    session: SharedSession,
    this: std::rc::Weak<IdleWatch>,
}

impl IdleWatch {
    pub fn new(
        timeout: Duration,
        window: Weak<AppWindow>,
        session: SharedSession,
    ) -> Rc<IdleWatch> {
        Rc::new_cyclic(|this| IdleWatch {
            timeout: Cell::new(timeout),
            idle: Timer::default(),
            countdown: Timer::default(),
            remaining: Cell::new(0),
            window,
            session,
            this: this.clone(),
        })
    }

    fn weak(&self) -> std::rc::Weak<IdleWatch> {
        self.this.clone()
    }

    pub fn set_timeout(&self, timeout: Duration) {
        self.timeout.set(timeout);
        self.activity();
    }

    /// Someone touched the kiosk: the countdown, if showing, goes away and the clock restarts.
    pub fn activity(&self) {
        if self.remaining.get() > 0 {
            self.remaining.set(0);
            self.countdown.stop();
            self.show(false, 0);
        }
        let weak = self.weak();
        self.idle.start(TimerMode::SingleShot, self.timeout.get(), move || {
            if let Some(watch) = weak.upgrade() {
                watch.went_idle_now();
            }
        });
    }

    /// Nobody has touched the kiosk for the whole timeout.
    pub fn went_idle_now(&self) {
        let (pristine, home) = {
            let s = lock(&self.session);
            (s.is_pristine(), s.screen == Screen::Home)
        };
        if pristine {
            return;
        }
        if home {
            // Only the language or the look was changed: nothing personal to warn about.
            self.forget();
            return;
        }
        self.remaining.set(Settings::IDLE_COUNTDOWN);
        self.show(true, Settings::IDLE_COUNTDOWN);
        let weak = self.weak();
        self.countdown.start(TimerMode::Repeated, Duration::from_secs(1), move || {
            if let Some(watch) = weak.upgrade() {
                watch.tick();
            }
        });
    }

    fn tick(&self) {
        let left = self.remaining.get().saturating_sub(1);
        self.remaining.set(left);
        if left == 0 {
            self.countdown.stop();
            self.forget();
        } else {
            self.show(true, left);
        }
    }

    /// Back home with nothing of the visitor left, in memory or on screen.
    fn forget(&self) {
        self.show(false, 0);
        let Some(window) = self.window.upgrade() else { return };
        let mut session = lock(&self.session);
        session.reset();
        render(&window, &session);
        tracing::info!("idle: visit ended and wiped");
    }

    fn show(&self, warning: bool, seconds: u32) {
        if let Some(window) = self.window.upgrade() {
            let kiosk = window.global::<Kiosk>();
            kiosk.set_idle_warning(warning);
            kiosk.set_idle_seconds(seconds as i32);
        }
    }
}
