//! Tickets the kiosk had to replace. A re-imaged kiosk (a new database) that could not ask
//! the central service for its last serial first ([`super::serials`]) numbers its tickets
//! from 1 again, and the service answers `ticket_taken` for one another submission holds.
//! The citizen already holds the printed slip, so the submission is not dropped: it gets a
//! new ticket of this kiosk and is sent again, and the old ticket is kept as a pointer to
//! the new one, so tracking the old ticket at this kiosk shows the new one's state.
//!
//! The new serial, the rewritten row and the pointer are committed in one transaction
//! before anything is sent again: a power cut leaves either the old ticket (sent again,
//! refused again, replaced then) or all three, never a new ticket without its pointer.

use protocol::ticket::Ticket;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::outbox::{Kind, Outbox, Pending};
use super::{LocalError, LocalStore, now_ms, tickets};

/// A replaced ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub old: Ticket,
    pub new: Ticket,
}

/// Gives the queued submission `id` a new ticket of this kiosk, due now; `None` when it is
/// no longer queued. Blocks on disk.
pub(crate) fn renumber(outbox: &Outbox, id: i64) -> Result<Option<(Moved, Pending)>, LocalError> {
    let mut conn = outbox.store().conn();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row = tx
        .query_row(
            "SELECT kind, ticket, payload, attempts FROM outbox WHERE id = ?1 AND state = 'queued'",
            [id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((kind, old, payload, attempts)) = row else { return Ok(None) };
    let kind = Kind::parse(&kind).ok_or_else(|| LocalError::Corrupt(format!("kind {kind:?}")))?;
    let old = parse(&old)?;
    let payload = payload.ok_or_else(|| LocalError::Corrupt("queued without payload".into()))?;
    let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    let submission = Pending { id, kind, ticket: old, payload, attempts }
        .submission()
        .map_err(|error| LocalError::Corrupt(format!("queued payload: {error}")))?;
    let new = tickets::reserve_in(&tx, outbox.issuer())?;
    let payload = submission
        .payload(submission.idempotency_key(), new)
        .map_err(|error| LocalError::Invalid(error.to_string()))?;
    let now = now_ms();
    tx.execute(
        "UPDATE outbox SET ticket = ?1, payload = ?2, next_attempt_at = ?3 WHERE id = ?4",
        params![new.to_string(), payload, now, id],
    )?;
    // A ticket replaced twice: the first slip follows to the newest ticket too.
    tx.execute(
        "UPDATE ticket_moves SET new_ticket = ?1 WHERE new_ticket = ?2",
        params![new.to_string(), old.to_string()],
    )?;
    tx.execute(
        "INSERT INTO ticket_moves (old_ticket, new_ticket, moved_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (old_ticket) DO UPDATE SET new_ticket = excluded.new_ticket,
             moved_at = excluded.moved_at",
        params![old.to_string(), new.to_string(), now],
    )?;
    tx.commit()?;
    tracing::warn!(%old, %new, "ticket already held at the central service; filed again under a new one");
    Ok(Some((Moved { old, new }, Pending { id, kind, ticket: new, payload, attempts })))
}

/// The ticket that replaced `ticket` at this kiosk, if it was replaced.
pub fn replacement(store: &LocalStore, ticket: &Ticket) -> Result<Option<Ticket>, LocalError> {
    let new: Option<String> = store
        .conn()
        .query_row(
            "SELECT new_ticket FROM ticket_moves WHERE old_ticket = ?1",
            [ticket.to_string()],
            |row| row.get(0),
        )
        .optional()?;
    new.map(|new| parse(&new)).transpose()
}

fn parse(text: &str) -> Result<Ticket, LocalError> {
    Ticket::parse(text).map_err(|error| LocalError::Corrupt(format!("ticket {text:?}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::outbox::Submission;

    fn report() -> Submission {
        let request = serde_json::json!({
            "reporter_nik": "3510011203850001",
            "subject_nik": "3510015203850002",
            "reason": "lost_job",
            "phone": "081234567890",
            "idempotency_key": "",
        });
        Submission::Report(serde_json::from_value(request).expect("report"))
    }

    #[test]
    fn a_replaced_ticket_points_to_the_newest_and_the_payload_carries_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(LocalStore::open(dir.path()).expect("store"), 42).expect("open");
        let queued = outbox.enqueue_submission(&report()).expect("enqueue");
        let (first, pending) = renumber(&outbox, queued.id).expect("renumber").expect("queued");
        assert_eq!((first.old, first.new.serial()), (queued.ticket, 2));
        match pending.submission().expect("payload") {
            Submission::Report(request) => {
                assert_eq!(request.ticket, Some(first.new));
                assert_eq!(request.idempotency_key, queued.idempotency_key, "the same submission");
            }
            other => panic!("{other:?}"),
        }
        // Replaced again: both older tickets lead to the newest.
        let (second, _) = renumber(&outbox, queued.id).expect("renumber").expect("queued");
        assert_eq!(second.old, first.new);
        drop(outbox);
        let store = LocalStore::open(dir.path()).expect("reopened");
        assert_eq!(replacement(&store, &queued.ticket).expect("read"), Some(second.new));
        assert_eq!(replacement(&store, &first.new).expect("read"), Some(second.new));
        assert_eq!(replacement(&store, &second.new).expect("read"), None);
        let outbox = Outbox::open(store, 42).expect("open");
        let entry = outbox.entry(&second.new).expect("entry").expect("the row has the new ticket");
        assert_eq!(entry.subject, "3510********0002");
    }
}
