//! The staff keypad's lockout: every so many wrong PINs in a row lock the keypad, each
//! lock longer than the one before (1, 5, 15, then 60 minutes for every further lock by
//! default) until the right PIN is typed. Kept in the kiosk's database, so a restart (or
//! pulling the plug) gives a guesser neither fresh tries nor a shorter lock; the heartbeat
//! reports the count and the lock ([`reported`]) so operations see someone guessing.
//!
//! Times are wall-clock, since they must outlive the process. A Raspberry Pi has no
//! battery clock and may boot with an old time, so a lock never lasts longer than its
//! length from now, whatever the stored time says.

use std::sync::Mutex;
use std::time::Duration;

use rusqlite::OptionalExtension;

use super::{LocalError, LocalStore};

/// How long the first, second, third and every later lock last.
pub const DEFAULT_LOCK_LENGTHS: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(60 * 60),
];

/// What a wrong PIN led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinAttempt {
    /// Tries left before the keypad locks.
    Left(u32),
    /// The keypad is locked for this long.
    Locked(Duration),
}

/// What the heartbeat tells of the keypad.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinReport {
    /// Wrong PINs since the last right one.
    pub failures: u32,
    /// Whether the keypad is locked now.
    pub locked: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Record {
    /// Wrong PINs since the last right one (not reset by a lock: it says which lock is next).
    failures: u32,
    locked_until_ms: Option<i64>,
}

/// The lockout of one kiosk's keypad. Without a store (tests of the UI alone) it lives in
/// memory only.
#[derive(Debug)]
pub struct PinLock {
    store: Option<LocalStore>,
    lock_after: u32,
    lengths: Vec<Duration>,
    record: Mutex<Record>,
}

impl Default for PinLock {
    /// In memory, every 5 wrong PINs lock for [`DEFAULT_LOCK_LENGTHS`].
    fn default() -> PinLock {
        PinLock::in_memory(5, &DEFAULT_LOCK_LENGTHS)
    }
}

fn read(store: &LocalStore) -> Result<Record, LocalError> {
    Ok(store
        .conn()
        .query_row("SELECT failures, locked_until FROM staff_lock WHERE id = 1", [], |row| {
            Ok(Record {
                failures: u32::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                locked_until_ms: row.get(1)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// The keypad's state as stored, at `now_ms`, for the heartbeat (which has the database,
/// not the staff screen's lock).
pub fn reported(store: &LocalStore, now_ms: i64) -> Result<PinReport, LocalError> {
    let record = read(store)?;
    Ok(PinReport {
        failures: record.failures,
        locked: record.locked_until_ms.is_some_and(|until| until > now_ms),
    })
}

impl PinLock {
    /// A lockout that lives in memory only (tests of the UI alone).
    pub fn in_memory(lock_after: u32, lengths: &[Duration]) -> PinLock {
        PinLock::with(None, lock_after, lengths, Record::default())
    }

    /// The lockout as stored: every `lock_after` wrong PINs in a row lock the keypad, the
    /// n-th time for `lengths[n - 1]` (the last length for every later lock).
    pub fn open(
        store: Option<LocalStore>,
        lock_after: u32,
        lengths: &[Duration],
    ) -> Result<PinLock, LocalError> {
        let record = match &store {
            Some(store) => read(store)?,
            None => Record::default(),
        };
        Ok(PinLock::with(store, lock_after, lengths, record))
    }

    fn with(
        store: Option<LocalStore>,
        lock_after: u32,
        lengths: &[Duration],
        record: Record,
    ) -> PinLock {
        let lengths =
            if lengths.is_empty() { DEFAULT_LOCK_LENGTHS.to_vec() } else { lengths.to_vec() };
        PinLock { store, lock_after: lock_after.max(1), lengths, record: Mutex::new(record) }
    }

    /// How long the lock after `failures` wrong PINs lasts.
    fn length_after(&self, failures: u32) -> Duration {
        let nth = usize::try_from((failures / self.lock_after).max(1)).unwrap_or(usize::MAX);
        let last = self.lengths.len() - 1;
        self.lengths[(nth - 1).min(last)]
    }

    /// How much longer the keypad stays locked at `now_ms` (Unix milliseconds), if it is.
    /// A lock ending further away than its length (the clock went back) is moved to end one
    /// length from now.
    pub fn locked_for(&self, now_ms: i64) -> Option<Duration> {
        let mut record = self.record();
        let until = record.locked_until_ms?;
        let left = u64::try_from(until.saturating_sub(now_ms)).ok().filter(|ms| *ms > 0)?;
        let left = Duration::from_millis(left);
        let length = self.length_after(record.failures);
        if left > length {
            let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
            record.locked_until_ms = Some(now_ms.saturating_add(ms));
            self.save_or_log(&record);
            return Some(length);
        }
        Some(left)
    }

    /// A wrong PIN at `now_ms`: counted, and the keypad locked when it was one too many,
    /// for longer than the lock before. Counted in memory even when the disk fails (logged).
    pub fn failed(&self, now_ms: i64) -> PinAttempt {
        let mut record = self.record();
        record.failures = record.failures.saturating_add(1);
        let into_round = record.failures % self.lock_after;
        let attempt = if into_round == 0 {
            let length = self.length_after(record.failures);
            let ms = i64::try_from(length.as_millis()).unwrap_or(i64::MAX);
            record.locked_until_ms = Some(now_ms.saturating_add(ms));
            PinAttempt::Locked(length)
        } else {
            PinAttempt::Left(self.lock_after - into_round)
        };
        self.save_or_log(&record);
        attempt
    }

    /// The right PIN: the count and the lengths start again.
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
            || PinLock::open(Some(LocalStore::open(dir.path()).expect("store")), 5, &[5 * MINUTE]);
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

    /// Each lock lasts longer than the one before, up to the cap, across restarts; the
    /// heartbeat sees the count and the lock; the right PIN starts again from the shortest.
    #[test]
    fn locks_grow_with_repeated_failures_across_restarts_until_the_right_pin() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = || LocalStore::open(dir.path()).expect("store");
        let open = || PinLock::open(Some(store()), 5, &DEFAULT_LOCK_LENGTHS).expect("lock");
        let mut now = 1_800_000_000_000_i64;
        let mut lengths = Vec::new();
        for round in 0..6u32 {
            // A restart between every wrong PIN: nothing is forgotten.
            for _ in 0..4 {
                assert!(matches!(open().failed(now), PinAttempt::Left(_)));
            }
            let PinAttempt::Locked(length) = open().failed(now) else {
                panic!("round {round}: the fifth wrong PIN locks")
            };
            lengths.push(length);
            let report = reported(&store(), now + 1).expect("report");
            assert_eq!(report, PinReport { failures: 5 * (round + 1), locked: true });
            let lock = open();
            let left = lock.locked_for(now + 1_000).expect("locked after a restart");
            assert_eq!(left, length - Duration::from_secs(1));
            now += i64::try_from(length.as_millis()).expect("ms");
            assert_eq!(open().locked_for(now), None, "runs out after its length");
            assert!(!reported(&store(), now).expect("report").locked);
        }
        assert_eq!(
            lengths,
            [MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 60 * MINUTE, 60 * MINUTE]
        );

        open().succeeded();
        assert_eq!(reported(&store(), now).expect("report"), PinReport::default());
        for _ in 0..4 {
            open().failed(now);
        }
        assert_eq!(open().failed(now), PinAttempt::Locked(MINUTE), "the shortest again");
    }

    #[test]
    fn a_clock_that_went_back_cannot_lock_for_longer_than_the_lock() {
        let lock = PinLock::in_memory(1, &[5 * MINUTE]);
        let t0 = 1_800_000_000_000;
        assert_eq!(lock.failed(t0), PinAttempt::Locked(5 * MINUTE));
        // Booted without network: the clock reads a year earlier. Five minutes, not a year.
        let year_earlier = t0 - 365 * 24 * 3600 * 1000;
        assert_eq!(lock.locked_for(year_earlier), Some(5 * MINUTE));
        assert_eq!(lock.locked_for(year_earlier + 60_000), Some(4 * MINUTE));
        assert_eq!(lock.locked_for(year_earlier + 5 * 60_000), None);
    }
}
