//! Ticket numbers the kiosk hands out itself, so a receipt printed while the central
//! service is out of reach already carries the number the citizen tracks later.
//!
//! A ticket is `LP-IIII-SSSSSS-C` with IIII the kiosk's own issuer number (assigned by the
//! central service at `backend kiosk-add`, carried in the key file): no other kiosk and not
//! the central service (issuer 0) can produce the same ticket. The serial comes from a
//! counter in the kiosk's database, committed in its own transaction before the ticket is
//! used, so a crash after the reservation burns the serial rather than reusing it.

use protocol::ticket::Ticket;
use rusqlite::{OptionalExtension, TransactionBehavior};

use super::{LocalError, LocalStore};

/// Reserves the next serial of `issuer` and returns its ticket. Durable when it returns.
pub fn reserve(store: &LocalStore, issuer: u16) -> Result<Ticket, LocalError> {
    let mut conn = store.conn();
    reserve_on(&mut conn, issuer)
}

/// [`reserve`] on a connection the caller already holds.
pub(crate) fn reserve_on(
    conn: &mut rusqlite::Connection,
    issuer: u16,
) -> Result<Ticket, LocalError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ticket = reserve_in(&tx, issuer)?;
    tx.commit()?;
    Ok(ticket)
}

/// Reserves the next serial inside the caller's transaction: it is durable with whatever
/// else the transaction writes (a replaced ticket and its mapping, [`super::renumber`]).
pub(crate) fn reserve_in(
    tx: &rusqlite::Transaction<'_>,
    issuer: u16,
) -> Result<Ticket, LocalError> {
    if !(1..=Ticket::MAX_ISSUER).contains(&issuer) {
        return Err(LocalError::Invalid(format!("issuer {issuer} is not a kiosk's")));
    }
    let next = last_in(tx, issuer)?.unwrap_or(0) + 1;
    let serial = u32::try_from(next)
        .ok()
        .filter(|serial| *serial <= Ticket::MAX_SERIAL)
        .ok_or(LocalError::SerialsExhausted(issuer))?;
    tx.execute(
        "INSERT INTO ticket_serials (issuer, last_serial) VALUES (?1, ?2)
         ON CONFLICT (issuer) DO UPDATE SET last_serial = excluded.last_serial",
        rusqlite::params![issuer, next],
    )?;
    Ticket::new(issuer, serial).map_err(|_| LocalError::SerialsExhausted(issuer))
}

fn last_in(conn: &rusqlite::Connection, issuer: u16) -> Result<Option<i64>, LocalError> {
    Ok(conn
        .query_row("SELECT last_serial FROM ticket_serials WHERE issuer = ?1", [issuer], |row| {
            row.get(0)
        })
        .optional()?)
}

/// The last serial of `issuer` this database handed out; `None` when it never did (a new
/// database).
pub fn last(store: &LocalStore, issuer: u16) -> Result<Option<u32>, LocalError> {
    let last = last_in(&store.conn(), issuer)?;
    Ok(last.map(|last| u32::try_from(last).unwrap_or(Ticket::MAX_SERIAL)))
}

/// Moves the counter of `issuer` up to `serial` (the highest the central service holds), so
/// the next ticket comes after it; a counter already past it stays. Returns the counter's
/// value now. Durable when it returns.
pub fn raise_to(store: &LocalStore, issuer: u16, serial: u32) -> Result<u32, LocalError> {
    if !(1..=Ticket::MAX_ISSUER).contains(&issuer) || serial > Ticket::MAX_SERIAL {
        return Err(LocalError::Invalid(format!("serial {serial} of issuer {issuer}")));
    }
    let mut conn = store.conn();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO ticket_serials (issuer, last_serial) VALUES (?1, ?2)
         ON CONFLICT (issuer) DO UPDATE
             SET last_serial = max(ticket_serials.last_serial, excluded.last_serial)",
        rusqlite::params![issuer, serial],
    )?;
    let now = last_in(&tx, issuer)?.unwrap_or(0);
    tx.commit()?;
    Ok(u32::try_from(now).unwrap_or(Ticket::MAX_SERIAL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_count_up_per_issuer_and_stop_at_the_end() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LocalStore::open(dir.path()).expect("open");
        let first = reserve(&store, 42).expect("reserve");
        let second = reserve(&store, 42).expect("reserve");
        assert_eq!((first.issuer(), first.serial()), (42, 1));
        assert_eq!(second.serial(), 2);
        assert_eq!(reserve(&store, 7).expect("reserve").serial(), 1, "own counter");
        assert!(matches!(reserve(&store, 0), Err(LocalError::Invalid(_))), "0 is central");
        store
            .conn()
            .execute("UPDATE ticket_serials SET last_serial = 999999 WHERE issuer = 42", [])
            .expect("update");
        assert!(matches!(reserve(&store, 42), Err(LocalError::SerialsExhausted(42))));
    }

    #[test]
    fn raising_the_counter_never_lowers_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LocalStore::open(dir.path()).expect("open");
        assert_eq!(last(&store, 42).expect("last"), None, "a new database");
        assert_eq!(raise_to(&store, 42, 120).expect("raise"), 120);
        assert_eq!(reserve(&store, 42).expect("reserve").serial(), 121);
        assert_eq!(raise_to(&store, 42, 50).expect("raise"), 121, "the counter is ahead");
        assert_eq!(reserve(&store, 42).expect("reserve").serial(), 122);
        assert_eq!(last(&store, 42).expect("last"), Some(122));
        assert!(raise_to(&store, 0, 5).is_err());
    }
}
