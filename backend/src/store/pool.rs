//! A small pool of connections, so status lookups run in parallel on the blocking threads
//! (SQLite's WAL lets readers proceed beside the one writer; PostgreSQL serves each
//! connection on its own).

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use super::StoreError;
use super::conn::Conn;

pub(super) type Opener = Box<dyn Fn() -> Result<Conn, StoreError> + Send + Sync>;

/// Connections kept open between uses; more are opened under load and the surplus closed.
const IDLE_KEPT: usize = 16;

pub(super) struct Pool {
    opener: Opener,
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    pub(super) fn new(opener: Opener) -> Pool {
        Pool { opener, idle: Mutex::new(Vec::new()) }
    }

    pub(super) fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => (self.opener)()?,
        };
        Ok(Pooled { pool: self, conn: Some(conn) })
    }

    /// A connection outside the pool, for a thread that keeps it for life.
    pub(super) fn open_dedicated(&self) -> Result<Conn, StoreError> {
        (self.opener)()
    }

    /// Closes the idle connections (before a temporary database is dropped).
    pub(super) fn close_idle(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A connection on loan; it goes back to the pool when dropped.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        // A connection still inside a transaction (a panic mid-work) is closed, which rolls
        // the transaction back, rather than handed to the next caller.
        if let Some(conn) = self.conn.take().filter(|conn| !conn.in_transaction()) {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_KEPT {
                idle.push(conn);
            }
        }
    }
}
