//! The staff keypad's lockout: after so many wrong PINs in a row the keypad refuses every
//! PIN for a while. Kept in the kiosk's database, so a restart (or pulling the plug) gives
//! a guesser no fresh tries.
//!
//! Times are wall-clock, since they must outlive the process. A Raspberry Pi has no
//! battery clock and may boot with an old time, so a lock never lasts longer than its
//! length from now, whatever the stored time says.

use std::sync::Mutex;
use std::time::Duration;

use rusqlite::OptionalExtension;

use super::{LocalError, LocalStore};

/// What a wrong PIN led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinAttempt {
    /// Tries left before the keypad locks.
    Left(u32),
    /// The keypad is locked for this long.
    Locked(Duration),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    failures: u32,
    locked_until_ms: Option<i64>,
}

/// The lockout of one kiosk's keypad. Without a store (tests of the UI alone) it lives in
/// memory only.
#[derive(Debug)]
pub struct PinLock {
    store: Option<LocalStore>,
    lock_after: u32,
    lock_for: Duration,
    record: Mutex<Record>,
}

impl Default for PinLock {
    /// In memory, 5 wrong PINs lock for 5 minutes.
    fn default() -> PinLock {
        PinLock::in_memory(5, Duration::from_secs(5 * 60))
    }
}

impl PinLock {
    /// A lockout that lives in memory only (tests of the UI alone).
    pub fn in_memory(lock_after: u32, lock_for: Duration) -> PinLock {
        PinLock { store: None, lock_after: lock_after.max(1), lock_for, record: Mutex::default() }
    }

    /// The lockout as stored: `lock_after` wrong PINs in a row lock the keypad for
    /// `lock_for`.
    pub fn open(
        store: Option<LocalStore>,
        lock_after: u32,
        lock_for: Duration,
    ) -> Result<PinLock, LocalError> {
        let record = match &store {
            Some(store) => store
                .conn()
                .query_row(
                    "SELECT failures, locked_until FROM staff_lock WHERE id = 1",
                    [],
                    |row| {
                        Ok(Record {
                            failures: u32::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                            locked_until_ms: row.get(1)?,
                        })
                    },
                )
                .optional()?
                .unwrap_or_default(),
            None => Record::default(),
        };
        Ok(PinLock { store, lock_after: lock_after.max(1), lock_for, record: Mutex::new(record) })
    }

    /// How much longer the keypad stays locked at `now_ms` (Unix milliseconds), if it is.
    /// A lock ending further away than its length (the clock went back) is moved to end one
    /// length from now.
    pub fn locked_for(&self, now_ms: i64) -> Option<Duration> {
        let mut record = self.record();
        let until = record.locked_until_ms?;
        let left = u64::try_from(until.saturating_sub(now_ms)).ok().filter(|ms| *ms > 0)?;
        let left = Duration::from_millis(left);
        if left > self.lock_for {
            let length = i64::try_from(self.lock_for.as_millis()).unwrap_or(i64::MAX);
            record.locked_until_ms = Some(now_ms.saturating_add(length));
            self.save_or_log(&record);
            return Some(self.lock_for);
        }
        Some(left)
    }

    /// A wrong PIN at `now_ms`: counted, and the keypad locked when it was one too many.
    /// Counted in memory even when the disk fails (logged).
    pub fn failed(&self, now_ms: i64) -> PinAttempt {
        let mut record = self.record();
        record.failures += 1;
        let attempt = if record.failures >= self.lock_after {
            record.failures = 0;
            let length = i64::try_from(self.lock_for.as_millis()).unwrap_or(i64::MAX);
            record.locked_until_ms = Some(now_ms.saturating_add(length));
            PinAttempt::Locked(self.lock_for)
        } else {
            PinAttempt::Left(self.lock_after - record.failures)
        };
        self.save_or_log(&record);
        attempt
    }

    /// The right PIN: the count starts again.
    pub fn succeeded(&self) {
        let mut record = self.record();
        *record = Record::default();
        self.save_or_log(&record);
    }

    fn save_or_log(&self, record: &Record) {
        if let Err(error) = self.save(record) {
            tracing::error!(%error, "staff lock not saved");
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn save(&self, record: &Record) -> Result<(), LocalError> {
        let Some(store) = &self.store else { return Ok(()) };
        store.conn().execute(
            "INSERT INTO staff_lock (id, failures, locked_until) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET failures = excluded.failures,
                 locked_until = excluded.locked_until",
            rusqlite::params![record.failures, record.locked_until_ms],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_lock_outlives_a_restart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let open =
            || PinLock::open(Some(LocalStore::open(dir.path()).expect("store")), 5, 5 * MINUTE);
        let lock = open().expect("lock");
        let t0 = 1_800_000_000_000;
        for left in (1..=4).rev() {
            assert_eq!(lock.failed(t0), PinAttempt::Left(left));
        }
        drop(lock);
        // The power goes: the fifth wrong PIN after the restart still locks.
        let lock = open().expect("reopened");
        assert_eq!(lock.locked_for(t0), None);
        assert_eq!(lock.failed(t0), PinAttempt::Locked(5 * MINUTE));
        drop(lock);
        let lock = open().expect("reopened");
        assert_eq!(lock.locked_for(t0 + 60_000), Some(4 * MINUTE), "still locked after a restart");
        assert_eq!(lock.locked_for(t0 + 5 * 60_000), None, "until it runs out");
        lock.succeeded();
        assert_eq!(open().expect("reopened").failed(t0), PinAttempt::Left(4));
    }

    #[test]
    fn a_clock_that_went_back_cannot_lock_for_longer_than_the_lock() {
        let lock = PinLock::in_memory(1, 5 * MINUTE);
        let t0 = 1_800_000_000_000;
        assert_eq!(lock.failed(t0), PinAttempt::Locked(5 * MINUTE));
        // Booted without network: the clock reads a year earlier. Five minutes, not a year.
        let year_earlier = t0 - 365 * 24 * 3600 * 1000;
        assert_eq!(lock.locked_for(year_earlier), Some(5 * MINUTE));
        assert_eq!(lock.locked_for(year_earlier + 60_000), Some(4 * MINUTE));
        assert_eq!(lock.locked_for(year_earlier + 5 * 60_000), None);
    }
}
