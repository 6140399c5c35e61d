//! The way in: the hidden gesture that opens the keypad, the keypad itself, and the PIN
//! check against the Argon2id hashes of the pulled configuration (off the UI thread), with
//! the lockout after too many wrong PINs.

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use protocol::fleet::StaffPin;
use slint::{ComponentHandle, SharedString};

use super::{Ctx, StaffTools, close, lang_of, lock, messages, tabs, text};
use crate::agent::ConfigWatch;
use crate::local::{PinAttempt, PinLock, now_ms};
use crate::ui::{AppWindow, Staff, StaffMode, StaffTab};

/// The lockout of this kiosk's keypad: in its database when it has one, so a restart
/// gives a guesser no fresh tries; in memory otherwise (or if it cannot be read).
pub(super) fn open_lock(tools: &StaffTools) -> PinLock {
    let (after, lengths) = (tools.options.lock_after, &tools.options.lock_lengths);
    match &tools.store {
        Some(store) => PinLock::open(Some(store.clone()), after, lengths).unwrap_or_else(|error| {
            tracing::error!(%error, "staff lock unreadable; kept in memory");
            PinLock::in_memory(after, lengths)
        }),
        None => PinLock::in_memory(after, lengths),
    }
}

pub(super) fn connect(staff: &Staff<'_>, ctx: &Ctx) {
    staff.on_corner_tapped({
        let ctx = ctx.clone();
        move || corner_tapped(&ctx)
    });
    staff.on_pin_key({
        let ctx = ctx.clone();
        move |key| pin_key(&ctx, &key)
    });
    staff.on_pin_submit({
        let ctx = ctx.clone();
        move || submit(&ctx)
    });
    staff.on_pin_cancel({
        let ctx = ctx.clone();
        move || close(&ctx.state, &ctx.weak)
    });
}

/// A tap on the corner of home: enough of them in the window open the keypad.
fn corner_tapped(ctx: &Ctx) {
    let now = Instant::now();
    let mut s = lock(&ctx.state);
    s.taps.push_back(now);
    while s.taps.front().is_some_and(|t| now.duration_since(*t) > ctx.tools.options.tap_window) {
        s.taps.pop_front();
    }
    if s.taps.len() < ctx.tools.options.taps {
        return;
    }
    s.taps.clear();
    s.pin.clear();
    s.last_touch = Some(now);
    let locked = s.locked();
    drop(s);
    let Some(window) = ctx.weak.upgrade() else { return };
    let staff = window.global::<Staff>();
    staff.set_mode(StaffMode::Pin);
    staff.set_pin_count(0);
    staff.set_pin_busy(false);
    staff.set_pin_locked(locked.is_some());
    let lang = lang_of(&window);
    let message = if let Some(left) = locked {
        unlock_after(&window, left);
        Some(messages::locked(left))
    } else if pins(&ctx.tools.config).is_empty() {
        Some(messages::no_pins())
    } else {
        None
    };
    staff.set_pin_message(text(message.as_ref(), lang));
    tracing::info!("staff PIN keypad opened");
}

/// A keypad key: a digit (up to 8), `back` or `clear`.
fn pin_key(ctx: &Ctx, key: &str) {
    let mut s = lock(&ctx.state);
    s.last_touch = Some(Instant::now());
    if s.checking || s.locked().is_some() {
        return;
    }
    match key {
        "back" => {
            s.pin.pop();
        }
        "clear" => s.pin.clear(),
        digit
            if digit.len() == 1
                && digit.bytes().all(|b| b.is_ascii_digit())
                && s.pin.len() < protocol::fleet::MAX_PIN =>
        {
            s.pin.push_str(digit);
        }
        _ => {}
    }
    let count = s.pin.len() as i32;
    drop(s);
    if let Some(window) = ctx.weak.upgrade() {
        window.global::<Staff>().set_pin_count(count);
    }
}

/// Checks the typed PIN off the UI thread; the answer opens staff mode or counts a failure.
fn submit(ctx: &Ctx) {
    let Some(window) = ctx.weak.upgrade() else { return };
    let now = Instant::now();
    let mut s = lock(&ctx.state);
    s.last_touch = Some(now);
    if s.checking || s.pin.len() < protocol::fleet::MIN_PIN {
        return;
    }
    if let Some(left) = s.locked() {
        s.pin.clear();
        drop(s);
        let staff = window.global::<Staff>();
        staff.set_pin_count(0);
        staff.set_pin_message(messages::locked(left).get(lang_of(&window)).into());
        return;
    }
    let pin = std::mem::take(&mut s.pin);
    s.checking = true;
    let generation = s.generation;
    drop(s);
    let staff = window.global::<Staff>();
    staff.set_pin_count(0);
    staff.set_pin_busy(true);
    let pins = pins(&ctx.tools.config);
    let ctx = ctx.clone();
    ctx.tools.runtime.clone().spawn_blocking(move || {
        let matched = check_pin(&pin, &pins);
        drop(pin);
        let weak = ctx.weak.clone();
        let _ =
            weak.upgrade_in_event_loop(move |window| checked(&ctx, &window, generation, matched));
    });
}

/// The PIN check's answer, back on the UI thread.
fn checked(ctx: &Ctx, window: &AppWindow, generation: u64, matched: Option<String>) {
    let mut s = lock(&ctx.state);
    s.checking = false;
    if s.generation != generation {
        return;
    }
    let staff = window.global::<Staff>();
    staff.set_pin_busy(false);
    let lang = lang_of(window);
    match matched {
        Some(label) => {
            s.pin_lock.succeeded();
            s.who = Some(label.clone());
            drop(s);
            tracing::info!(who = %label, "staff mode opened");
            staff.set_pin_message(SharedString::new());
            staff.set_who(label.into());
            staff.set_message(SharedString::new());
            staff.set_tab(StaffTab::Printer);
            staff.set_mode(StaffMode::Open);
            tabs::refresh(window, &ctx.tools);
        }
        None => {
            let attempt = s.pin_lock.failed(now_ms());
            drop(s);
            match attempt {
                PinAttempt::Locked(length) => {
                    tracing::warn!("wrong staff PIN; keypad locked");
                    staff.set_pin_locked(true);
                    staff.set_pin_message(messages::locked(length).get(lang).into());
                    unlock_after(window, length);
                }
                PinAttempt::Left(left) => {
                    tracing::warn!(left, "wrong staff PIN");
                    staff.set_pin_message(messages::wrong_pin(left).get(lang).into());
                }
            }
        }
    }
}

/// The label of the first provisioned PIN `pin` matches. Every hash is tried, so the time
/// taken does not tell which (or whether an early) one matched.
pub fn check_pin(pin: &str, pins: &[StaffPin]) -> Option<String> {
    let mut matched = None;
    for candidate in pins {
        let Ok(hash) = PasswordHash::new(&candidate.pin_hash) else {
            tracing::error!(label = %candidate.label, "staff PIN hash unreadable");
            continue;
        };
        if Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok() && matched.is_none() {
            matched = Some(candidate.label.clone());
        }
    }
    matched
}

fn pins(config: &ConfigWatch) -> Vec<StaffPin> {
    config.borrow().as_ref().map(|c| c.staff_pins.clone()).unwrap_or_default()
}

/// Opens the keypad again once a lock of `length` from now has run out.
fn unlock_after(window: &AppWindow, length: Duration) {
    let weak = window.as_weak();
    slint::Timer::single_shot(length, move || {
        if let Some(window) = weak.upgrade() {
            let staff = window.global::<Staff>();
            staff.set_pin_locked(false);
            staff.set_pin_message(SharedString::new());
        }
    });
}
