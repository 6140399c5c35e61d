//! Sign-in limits kept in the database, so that they hold across restarts and across
//! service instances sharing it: attempts per account, per address and in total, counted
//! in one-minute windows; and each account's run of failed sign-ins, which locks it for a
//! while once it is long enough.

use super::sql::{Db, params};
use super::{Store, StoreError};

/// How many sign-ins are allowed, and when an account locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Attempts per account per minute.
    pub per_user: u32,
    /// Attempts per client address per minute.
    pub per_address: u32,
    /// Attempts per minute for the whole service.
    pub total: u32,
    /// Failed sign-ins in a row that lock the account.
    pub lock_after: u32,
    /// How long a lockout lasts, in seconds.
    pub lock_seconds: i64,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits { per_user: 5, per_address: 20, total: 120, lock_after: 10, lock_seconds: 900 }
    }
}

/// Whether an attempt may check its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginGate {
    Open,
    /// Past a limit this minute. `first` when this attempt is the first refused in the
    /// window: the one that is audited and alerted.
    Limited {
        scope: LimitScope,
        retry_after: u64,
        first: bool,
    },
    /// The account is locked until this Unix second.
    Locked {
        until: i64,
    },
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    Service,
    Address,
    Account,
}

/// Windows older than this many minutes are swept at the next attempt.
const KEEP_MINUTES: i64 = 60;

impl Store {
    /// Counts one sign-in attempt of `username` from `address`, the service's total first,
    /// then the address's, then the account's, and refuses it at the first limit passed
    /// this minute (the narrower counters are then left as they were, so a flood costs one
    /// counter), or when the account is locked.
    pub fn admit_login(
        &self,
        username: &str,
        address: &str,
        now: i64,
        limits: &LoginLimits,
    ) -> Result<LoginGate, StoreError> {
        let minute = now.div_euclid(60);
        let retry_after = (60 - now.rem_euclid(60)).max(1) as u64;
        self.write(|db| {
            db.execute(
                "DELETE FROM login_attempts WHERE window_start < ?1",
                params![minute - KEEP_MINUTES],
            )?;
            let counted = [
                (LimitScope::Service, "all".to_owned(), limits.total),
                (LimitScope::Address, format!("ip:{address}"), limits.per_address),
                (LimitScope::Account, format!("user:{username}"), limits.per_user),
            ];
            for (scope, key, limit) in counted {
                let attempts: i64 = db.query_value(
                    "INSERT INTO login_attempts (key, window_start, attempts) VALUES (?1, ?2, 1)
                     ON CONFLICT (key, window_start)
                     DO UPDATE SET attempts = login_attempts.attempts + 1
                     RETURNING attempts",
                    params![key, minute],
                )?;
                if attempts > i64::from(limit) {
                    let first = attempts == i64::from(limit) + 1;
                    return Ok(LoginGate::Limited { scope, retry_after, first });
                }
            }
            let locked: Option<Option<i64>> = db
                .query_opt("SELECT locked_until FROM staff WHERE username = ?1", params![username])?
                .map(|mut row| row.get(0))
                .transpose()?;
            Ok(match locked.flatten() {
                Some(until) if until > now => LoginGate::Locked { until },
                _ => LoginGate::Open,
            })
        })
    }

    /// Records how a checked sign-in went: success clears the account's run of failures, a
    /// failure lengthens it and at `lock_after` locks the account. Returns the end of a
    /// lockout this failure began.
    pub fn login_outcome(
        &self,
        username: &str,
        succeeded: bool,
        now: i64,
        limits: &LoginLimits,
    ) -> Result<Option<i64>, StoreError> {
        self.write(|db| {
            if succeeded {
                db.execute(
                    "UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE username = ?1",
                    params![username],
                )?;
                return Ok(None);
            }
            let until = now + limits.lock_seconds;
            let row = db.query_opt(
                "UPDATE staff SET failed_logins = failed_logins + 1,
                     locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
                 WHERE username = ?1
                 RETURNING failed_logins",
                params![username, i64::from(limits.lock_after), until],
            )?;
            let failures: Option<i64> = row.map(|mut row| row.get(0)).transpose()?;
            // Once locked, the run is not reset by waiting: the first failure after a lockout
            // locks the account again.
            Ok(failures.filter(|&f| f >= i64::from(limits.lock_after)).map(|_| until))
        })
    }
}
