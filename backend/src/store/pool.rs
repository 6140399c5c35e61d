//! A small pool of connections, so status lookups run in parallel on the blocking threads
//! (SQLite's WAL lets readers proceed beside the one writer; PostgreSQL serves each
//! connection on its own).

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};

use super::StoreError;
use super::conn::Conn;

pub(super) type Opener = Box<dyn Fn() -> Result<Conn, StoreError> + Send + Sync>;

/// Most connections on loan at once. Lookups are CPU work on a small machine: a few
/// connections, each with a large page cache that many requests warm, beat one connection
/// per waiting request with a cold cache each. It also keeps PostgreSQL's connection count
/// bounded.
pub(super) const MAX_OPEN: usize = 16;

pub(super) struct Pool {
    opener: Opener,
    state: Mutex<State>,
    returned: Condvar,
}

struct State {
    idle: Vec<Conn>,
    /// Connections open, idle or on loan.
    open: usize,
    /// Callers waiting for a connection: only then is `returned` signalled (a signal is a
    /// system call even when nobody waits, and connections come back once per lookup).
    waiting: usize,
}

impl Pool {
    pub(super) fn new(opener: Opener) -> Pool {
        Pool {
            opener,
            state: Mutex::new(State { idle: Vec::new(), open: 0, waiting: 0 }),
            returned: Condvar::new(),
        }
    }

    /// A connection: an idle one, a new one while fewer than [`MAX_OPEN`] are open, or else
    /// the next one returned.
    pub(super) fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.open < MAX_OPEN {
                state.open += 1;
                drop(state);
                return match (self.opener)() {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn) }),
                    Err(error) => {
                        self.forget_one();
                        Err(error)
                    }
                };
            }
            state.waiting += 1;
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
            state.waiting -= 1;
        }
    }

    /// A connection if one is idle or may still be opened; `None` rather than waiting when
    /// all [`MAX_OPEN`] are on loan.
    pub(super) fn try_get(&self) -> Result<Option<Pooled<'_>>, StoreError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(conn) = state.idle.pop() {
            return Ok(Some(Pooled { pool: self, conn: Some(conn) }));
        }
        if state.open >= MAX_OPEN {
            return Ok(None);
        }
        state.open += 1;
        drop(state);
        match (self.opener)() {
            Ok(conn) => Ok(Some(Pooled { pool: self, conn: Some(conn) })),
            Err(error) => {
                self.forget_one();
                Err(error)
            }
        }
    }

    /// A connection closed (or never opened) makes room for another.
    fn forget_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open = state.open.saturating_sub(1);
        if state.waiting > 0 {
            self.returned.notify_one();
        }
    }

    /// A connection outside the pool, for a thread that keeps it for life.
    pub(super) fn open_dedicated(&self) -> Result<Conn, StoreError> {
        (self.opener)()
    }

    /// Closes the idle connections (before a temporary database is dropped).
    pub(super) fn close_idle(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.open -= state.idle.len();
        state.idle.clear();
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
        match self.conn.take().filter(|conn| !conn.in_transaction()) {
            Some(conn) => {
                let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
                state.idle.push(conn);
                if state.waiting > 0 {
                    self.pool.returned.notify_one();
                }
            }
            None => self.pool.forget_one(),
        }
    }
}
