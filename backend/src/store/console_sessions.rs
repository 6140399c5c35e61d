//! The web console's sessions: a random 256-bit id in the browser's cookie, its SHA-256 in
//! the database (so instances share sessions, a restart ends none, and a copy of the
//! database signs no one in). A session ends after a spell without requests (idle) or a
//! fixed time after sign-in (absolute), whichever comes first, and at logout.

use rand::RngCore;

use super::sql::{Db, params};
use super::staff::{StaffRecord, staff_row, token_hash};
use super::{Store, StoreError};

/// How long a console session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsoleLimits {
    /// Seconds without a request after which the session ends.
    pub idle_seconds: i64,
    /// Seconds after sign-in at which the session ends however busy it is.
    pub absolute_seconds: i64,
}

impl Default for ConsoleLimits {
    /// 30 minutes idle (an office computer left on), 12 hours in all (one working day).
    fn default() -> ConsoleLimits {
        ConsoleLimits { idle_seconds: 30 * 60, absolute_seconds: 12 * 3600 }
    }
}

/// What a cookie's session id is worth now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleSession {
    Live {
        staff: StaffRecord,
        /// Nothing but the password page until the account chose its own password.
        must_change_password: bool,
    },
    /// It was a session, ended by time (its row is gone now).
    Expired,
    /// No session has this id (never, logged out, or ended by a new password).
    Unknown,
}

/// `last_seen` is written at most this often, so a page view is not a write.
const TOUCH_EVERY: i64 = 60;

/// A session id as the cookie carries it: 64 hex digits.
pub fn valid_session_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Store {
    /// Opens a console session for an account whose password was just checked; returns the
    /// id for the cookie. Sessions past their time, anyone's, are swept here.
    pub fn open_console_session(
        &self,
        username: &str,
        now: i64,
        limits: &ConsoleLimits,
    ) -> Result<String, StoreError> {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let id = hex::encode(secret);
        self.write(|db| {
            db.execute(
                "DELETE FROM console_sessions WHERE expires_at <= ?1 OR last_seen <= ?2",
                params![now, now - limits.idle_seconds],
            )?;
            db.execute(
                "INSERT INTO console_sessions (id_hash, username, created_at, last_seen, expires_at)
                 VALUES (?1, ?2, ?3, ?3, ?4)",
                params![token_hash(&id), username, now, now + limits.absolute_seconds],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The session a cookie names, checked against both limits; a live one is marked seen.
    pub fn console_session(
        &self,
        id: &str,
        now: i64,
        limits: &ConsoleLimits,
    ) -> Result<ConsoleSession, StoreError> {
        if !valid_session_id(id) {
            return Ok(ConsoleSession::Unknown);
        }
        let hash = token_hash(id);
        let row = self.pool.get()?.query_opt(
            "SELECT s.username, s.desa_code, s.role, s.full_name, s.position,
                    s.must_change_password, t.last_seen, t.expires_at
             FROM console_sessions t JOIN staff s ON s.username = t.username
             WHERE t.id_hash = ?1 AND s.enabled",
            params![hash],
        )?;
        let Some(mut row) = row else { return Ok(ConsoleSession::Unknown) };
        let staff = staff_row(&mut row)?;
        let must_change_password: bool = row.get(5)?;
        let (last_seen, expires_at): (i64, i64) = (row.get(6)?, row.get(7)?);
        if expires_at <= now || last_seen + limits.idle_seconds <= now {
            self.write(|db| {
                db.execute("DELETE FROM console_sessions WHERE id_hash = ?1", params![hash])
            })?;
            return Ok(ConsoleSession::Expired);
        }
        if now - last_seen >= TOUCH_EVERY {
            self.write(|db| {
                db.execute(
                    "UPDATE console_sessions SET last_seen = ?1 WHERE id_hash = ?2",
                    params![now, hash],
                )
            })?;
        }
        Ok(ConsoleSession::Live { staff, must_change_password })
    }

    /// Logout: the session's row is deleted, so its cookie opens nothing any more.
    pub fn close_console_session(&self, id: &str) -> Result<bool, StoreError> {
        if !valid_session_id(id) {
            return Ok(false);
        }
        let hash = token_hash(id);
        self.write(|db| {
            Ok(db.execute("DELETE FROM console_sessions WHERE id_hash = ?1", params![hash])? > 0)
        })
    }

    /// The stored form of a session id (what [`Store::change_staff_password`] keeps).
    pub fn console_session_key(id: &str) -> String {
        token_hash(id)
    }
}
