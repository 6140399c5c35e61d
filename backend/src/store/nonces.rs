//! Nonces of signed kiosk requests, kept in the database so that replay protection holds
//! across a restart and across instances (see migration 16).
//!
//! - On PostgreSQL a request claims its nonce with one statement before it is served; the
//!   primary key decides between two instances that see the same request. The statement also
//!   counts the kiosk's requests of the last minute, so the per-minute budget holds across
//!   instances without a second round trip.
//! - On SQLite one instance serves (see `data_dir::lock_serving`): the nonce is appended to
//!   the audit spool before the request is served, and the spool keeps it for the replay
//!   window (no write to the database per request).
//!
//! At start the API reads the nonces still inside the replay window back into memory, from
//! the database or the spool.

use protocol::auth::MAX_SKEW_SECONDS;

use super::sql::{Db, Dialect, params};
use super::{Store, StoreError};

/// How long a nonce is kept: a request older than the skew window is refused on its
/// timestamp before its nonce is looked at, so two windows are enough.
pub const KEPT_SECONDS: i64 = MAX_SKEW_SECONDS * 2;

/// How far a kiosk's requests of the last minute are counted: one more than any kiosk may
/// make in a minute (`http::budget::MAX_PER_MINUTE`) decides every limit, and a kiosk that
/// sends thousands (the bench, with its lifted ceiling) does not make each claim count them
/// all.
pub const MINUTE_COUNT_CAP: u64 = 121;

/// What claiming a nonce found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// False: another request (on any instance) already used this nonce.
    pub first_use: bool,
    /// The kiosk's counted requests in the minute before this one, across every instance;
    /// `None` where the database does not keep them per request (SQLite's one instance
    /// counts in memory).
    pub last_minute: Option<u64>,
}

/// Deletes nonces that can no longer be replayed.
pub(super) fn prune(db: &mut impl Db) -> Result<u64, StoreError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    db.execute("DELETE FROM kiosk_nonces WHERE seen_at < ?1", params![now - KEPT_SECONDS])
}

impl Store {
    /// Whether [`Store::claim_nonce`] goes to the database (PostgreSQL) rather than to the
    /// local spool.
    pub fn nonces_shared(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// Claims a kiosk request's nonce before the request is served. Fails when the claim
    /// cannot be made durable (the spool's disk is full): the request must then be refused.
    /// On SQLite this is an append to the spool and does not block; on PostgreSQL it is a
    /// round trip, to be run on the blocking pool.
    pub fn claim_nonce(
        &self,
        kiosk: &str,
        nonce: &str,
        seen_at: i64,
        counted: bool,
    ) -> Result<Claim, StoreError> {
        if self.dialect == Dialect::Sqlite {
            self.audit.spool_nonce(kiosk, nonce, seen_at, counted)?;
            return Ok(Claim { first_use: true, last_minute: None });
        }
        let mut row = self
            .pool
            .get()?
            .query_opt(
                "WITH claimed AS (
                     INSERT INTO kiosk_nonces (kiosk, nonce, seen_at, counted)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (kiosk, nonce) DO NOTHING
                     RETURNING 1)
                 SELECT (SELECT count(*) FROM claimed),
                        (SELECT count(*) FROM (SELECT 1 FROM kiosk_nonces
                          WHERE kiosk = ?1 AND counted AND seen_at > ?5 LIMIT ?6) AS recent)",
                params![kiosk, nonce, seen_at, counted, seen_at - 60, MINUTE_COUNT_CAP as i64],
            )?
            .ok_or_else(|| StoreError::Corrupt("nonce claim answered no row".into()))?;
        let claimed: i64 = row.get(0)?;
        let last_minute: i64 = row.get(1)?;
        Ok(Claim { first_use: claimed == 1, last_minute: Some(last_minute.max(0) as u64) })
    }

    /// Nonces seen since `since` (Unix seconds), for the API's memory at start: those the
    /// spool held at start, and those in the database (PostgreSQL's claims).
    pub fn recent_nonces(&self, since: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
        if self.dialect == Dialect::Sqlite {
            return Ok(self.audit.spooled_nonces(since));
        }
        self.pool
            .get()?
            .query(
                "SELECT kiosk, nonce, seen_at FROM kiosk_nonces WHERE seen_at >= ?1",
                params![since],
            )?
            .into_iter()
            .map(|mut row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .collect()
    }
}
