//! A small pool of SQLite connections, so status lookups run in parallel on the blocking
//! threads while SQLite's WAL lets readers proceed beside the one writer.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::Connection;

use super::StoreError;

pub(super) type Opener = Box<dyn Fn() -> rusqlite::Result<Connection> + Send + Sync>;

/// Connections kept open between uses; more are opened under load and the surplus closed.
const IDLE_KEPT: usize = 16;

pub(super) struct Pool {
    opener: Opener,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    pub(super) fn new(opener: Opener) -> Pool {
        Pool { opener, idle: Mutex::new(Vec::new()) }
    }

    pub(super) fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        Ok(Pooled { pool: self, conn: Some(conn) })
    }

    /// A connection outside the pool, for a thread that keeps it for life.
    pub(super) fn open_dedicated(&self) -> Result<Connection, StoreError> {
        self.open()
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = (self.opener)()?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL: readers never wait for the writer. synchronous=FULL: a report the service
        // answered 201 for has its ticket printed at the kiosk, so it must survive a power
        // cut too. Lookups only read; writes are few or batched, so the fsync is cheap.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32000;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

/// A connection on loan; it goes back to the pool when dropped.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_KEPT {
                idle.push(conn);
            }
        }
    }
}
