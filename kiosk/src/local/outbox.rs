//! The outbox: every submission a citizen makes is written here, durably and with its
//! ticket, before anything is printed or sent. It is storage only: it writes, claims, lists
//! and settles rows, and knows neither the network nor the words the screen shows (the
//! submit path, [`submit`](mod@super::submit), sends what it holds; a submission is sent with
//! the same idempotency key until the central service answers, so a crash or a lost answer
//! can neither lose a report nor file it twice).
//!
//! Personal data stays only while the queue needs it: once a submission is sent or refused
//! for good its payload is wiped, and only the ticket, the state, the times and the masked
//! subject remain for the staff screen (pruned after [`KEEP_FINISHED`]).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::api::{ApiError, ReportRequest, TicketStatus};
use protocol::letter::LetterRequest;
use protocol::mask::mask_digits_in;
use protocol::ticket::Ticket;
use protocol::{IdempotencyKey, Nik};
use rusqlite::{OptionalExtension, params};
use tokio::sync::{Notify, watch};

use super::{LocalError, LocalStore, now_ms, tickets};

/// How long finished (sent or refused) rows stay for the staff screen.
pub const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);

/// What a submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Report,
    LetterRequest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Report => "report",
            Kind::LetterRequest => "letter_request",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        [Kind::Report, Kind::LetterRequest].into_iter().find(|kind| kind.as_str() == text)
    }

    /// The kind of ticket the central service answers for it.
    pub fn ticket_kind(self) -> protocol::api::TicketKind {
        match self {
            Kind::Report => protocol::api::TicketKind::Report,
            Kind::LetterRequest => protocol::api::TicketKind::Letter,
        }
    }
}

/// A citizen's submission as the outbox takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    Report(ReportRequest),
    Letter(LetterRequest),
}

impl Submission {
    pub fn kind(&self) -> Kind {
        match self {
            Submission::Report(_) => Kind::Report,
            Submission::Letter(_) => Kind::LetterRequest,
        }
    }

    pub(crate) fn idempotency_key(&self) -> &str {
        match self {
            Submission::Report(report) => &report.idempotency_key,
            Submission::Letter(letter) => &letter.idempotency_key,
        }
    }

    /// The NIK the staff screen shows (masked): the reported person, or the applicant.
    fn subject_nik(&self) -> &str {
        match self {
            Submission::Report(report) => &report.subject_nik,
            Submission::Letter(letter) => &letter.applicant_nik,
        }
    }

    /// The body to send, with the outbox's key and ticket in it.
    pub(crate) fn payload(&self, key: &str, ticket: Ticket) -> Result<String, serde_json::Error> {
        match self {
            Submission::Report(report) => {
                let mut report = report.clone();
                (report.idempotency_key, report.ticket) = (key.to_string(), Some(ticket));
                serde_json::to_string(&report)
            }
            Submission::Letter(letter) => {
                let mut letter = letter.clone();
                (letter.idempotency_key, letter.ticket) = (key.to_string(), Some(ticket));
                serde_json::to_string(&letter)
            }
        }
    }
}

/// Where a submission stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    /// Waiting to reach the central service (antrean).
    Queued,
    /// The central service has it; its answer is kept.
    Sent,
    /// The central service refused it for good (e.g. the NIK is not in the registry).
    RejectedPermanent,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Queued => "queued",
            SubmissionState::Sent => "sent",
            SubmissionState::RejectedPermanent => "rejected_permanent",
        }
    }

    pub fn parse(text: &str) -> Option<SubmissionState> {
        [Self::Queued, Self::Sent, Self::RejectedPermanent]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// A submission written to the outbox: its ticket may be printed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub ticket: Ticket,
    pub idempotency_key: String,
    pub(crate) id: i64,
}

/// One row of the staff screen: nothing in it identifies a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedEntry {
    pub ticket: Ticket,
    pub kind: Kind,
    pub state: SubmissionState,
    pub attempts: u32,
    /// The reported person's NIK, masked (`3510********0001`).
    pub subject: String,
    /// Time since the citizen submitted it.
    pub age: Duration,
    /// Why the last attempt failed, digits of any NIK masked.
    pub last_error: Option<String>,
    /// The central service's answer, once sent.
    pub answer: Option<TicketStatus>,
}

/// A queued submission handed to the sender, with everything needed to send it.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub id: i64,
    pub kind: Kind,
    pub ticket: Ticket,
    pub payload: String,
    pub attempts: u32,
}

impl Pending {
    /// The stored body read back as the request it was written from.
    pub(crate) fn submission(&self) -> Result<Submission, serde_json::Error> {
        Ok(match self.kind {
            Kind::Report => Submission::Report(serde_json::from_str(&self.payload)?),
            Kind::LetterRequest => Submission::Letter(serde_json::from_str(&self.payload)?),
        })
    }
}

/// Marks a submission as being sent right now, so the sender and an immediate submit never
/// send it at the same time. Released on drop, which wakes the sender.
pub(crate) struct Claim {
    outbox: Outbox,
    id: i64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.outbox.claimed().remove(&self.id);
        self.outbox.inner.wake.notify_one();
    }
}

/// The outbox of one kiosk. Cheap to clone; share it between the UI, the sender and the
/// staff screen.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

struct Inner {
    store: LocalStore,
    issuer: u16,
    wake: Notify,
    depth: watch::Sender<u64>,
    /// Ids being sent right now (lock order: the store's connection, then this).
    claimed: Mutex<HashSet<i64>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Outbox({:?}, issuer {})", self.inner.store, self.inner.issuer)
    }
}

impl Outbox {
    /// The outbox in `store`, numbering tickets with this kiosk's `issuer` (from its key
    /// file). Drops finished rows older than [`KEEP_FINISHED`].
    pub fn open(store: LocalStore, issuer: u16) -> Result<Outbox, LocalError> {
        if !(1..=Ticket::MAX_ISSUER).contains(&issuer) {
            return Err(LocalError::NoIssuer);
        }
        let cutoff = now_ms() - KEEP_FINISHED.as_millis() as i64;
        store
            .conn()
            .execute("DELETE FROM outbox WHERE state <> 'queued' AND finished_at < ?1", [cutoff])?;
        let (depth, _) = watch::channel(0);
        let outbox = Outbox {
            inner: Arc::new(Inner {
                store,
                issuer,
                wake: Notify::new(),
                depth,
                claimed: Mutex::new(HashSet::new()),
            }),
        };
        outbox.publish_depth()?;
        Ok(outbox)
    }

    /// The kiosk's database the outbox lives in.
    pub fn store(&self) -> &LocalStore {
        &self.inner.store
    }

    /// The kiosk's issuer number printed in its tickets.
    pub fn issuer(&self) -> u16 {
        self.inner.issuer
    }

    /// Writes a report to the outbox with a new ticket of this kiosk and returns once both
    /// are on disk (print the ticket only after this). The outbox chooses the idempotency
    /// key unless the request carries one; enqueueing a key again returns the first ticket.
    /// Blocks on disk: call it from a blocking task, never from the UI thread.
    pub fn enqueue_report(&self, request: &ReportRequest) -> Result<Queued, LocalError> {
        self.enqueue_submission(&Submission::Report(request.clone()))
    }

    /// [`Outbox::enqueue_report`] for any submission.
    pub fn enqueue_submission(&self, submission: &Submission) -> Result<Queued, LocalError> {
        let (queued, claim) = self.enqueue(submission, false)?;
        drop(claim);
        self.inner.wake.notify_one();
        Ok(queued)
    }

    /// Submissions still waiting for the central service.
    pub fn depth(&self) -> Result<u64, LocalError> {
        let depth: i64 = self.inner.store.conn().query_row(
            "SELECT count(*) FROM outbox WHERE state = 'queued'",
            [],
            |row| row.get(0),
        )?;
        Ok(depth.max(0) as u64)
    }

    /// The queue depth now and whenever it changes (for the heartbeat and the staff screen).
    pub fn watch_depth(&self) -> watch::Receiver<u64> {
        self.inner.depth.subscribe()
    }

    /// The latest `limit` submissions, newest first, masked for the staff screen.
    pub fn list_masked(&self, limit: usize) -> Result<Vec<MaskedEntry>, LocalError> {
        let conn = self.inner.store.conn();
        let mut statement =
            conn.prepare(&format!("SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?1"))?;
        let now = now_ms();
        let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], raw_entry)?;
        rows.map(|row| entry(row?, now)).collect()
    }

    /// One submission by its ticket, masked.
    pub fn entry(&self, ticket: &Ticket) -> Result<Option<MaskedEntry>, LocalError> {
        let conn = self.inner.store.conn();
        let raw = conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE ticket = ?1"),
                [ticket.to_string()],
                raw_entry,
            )
            .optional()?;
        raw.map(|raw| entry(raw, now_ms())).transpose()
    }

    /// Makes every queued submission due now and wakes the sender (staff "kirim sekarang").
    /// Returns how many are queued.
    pub fn force_sync(&self) -> Result<u64, LocalError> {
        let changed = self
            .inner
            .store
            .conn()
            .execute("UPDATE outbox SET next_attempt_at = ?1 WHERE state = 'queued'", [now_ms()])?;
        self.inner.wake.notify_one();
        Ok(changed as u64)
    }

    /// Writes the submission and marks it as being sent, before the sender can see it, for
    /// an immediate attempt. A repeated idempotency key returns the first submission,
    /// unclaimed (the sender owns it). Blocks on disk.
    pub(crate) fn enqueue_claimed(
        &self,
        submission: &Submission,
    ) -> Result<(Queued, Option<Claim>), LocalError> {
        self.enqueue(submission, true)
    }

    /// Writes the submission; with `claim`, marks it as being sent before the sender can
    /// see it. A repeated idempotency key returns the first submission, unclaimed.
    fn enqueue(
        &self,
        submission: &Submission,
        claim: bool,
    ) -> Result<(Queued, Option<Claim>), LocalError> {
        let kind = submission.kind();
        let requested_key = submission.idempotency_key();
        let mut conn = self.inner.store.conn();
        if !requested_key.is_empty() {
            let existing = conn
                .query_row(
                    "SELECT id, ticket FROM outbox WHERE idempotency_key = ?1",
                    [requested_key],
                    |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()?;
            if let Some((id, ticket)) = existing {
                let ticket = parse_ticket(&ticket)?;
                let key = requested_key.to_string();
                return Ok((Queued { ticket, idempotency_key: key, id }, None));
            }
        }
        let key = if requested_key.is_empty() {
            super::new_idempotency_key()
        } else {
            IdempotencyKey::parse(requested_key)
                .map_err(|error| LocalError::Invalid(error.to_string()))?
                .into()
        };
        let subject = Nik::parse(submission.subject_nik())
            .map(|nik| nik.masked())
            .unwrap_or_else(|_| mask_digits_in(submission.subject_nik()));
        // The serial is committed on its own first: if the kiosk dies before the row below
        // is written, the serial is burnt, never handed out twice.
        let ticket = tickets::reserve_on(&mut conn, self.inner.issuer)?;
        let payload = submission
            .payload(&key, ticket)
            .map_err(|error| LocalError::Invalid(error.to_string()))?;
        let now = now_ms();
        conn.execute(
            "INSERT INTO outbox (kind, idempotency_key, ticket, subject_masked, payload, state,
                 attempts, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?6)",
            params![kind.as_str(), key, ticket.to_string(), subject, payload, now],
        )?;
        let id = conn.last_insert_rowid();
        let claim = claim.then(|| {
            self.claimed().insert(id);
            Claim { outbox: self.clone(), id }
        });
        drop(conn);
        self.publish_depth()?;
        tracing::info!(%ticket, kind = kind.as_str(), "submission queued");
        Ok((Queued { ticket, idempotency_key: key, id }, claim))
    }

    /// The payload of a queued submission the caller has claimed.
    pub(crate) fn pending(&self, id: i64) -> Result<Option<Pending>, LocalError> {
        let conn = self.inner.store.conn();
        conn.query_row(
            "SELECT id, kind, ticket, payload, attempts FROM outbox
             WHERE id = ?1 AND state = 'queued'",
            [id],
            raw_pending,
        )
        .optional()?
        .map(pending_from_raw)
        .transpose()
    }

    /// The next queued submission due at `now` that nobody is sending, claimed.
    pub(crate) fn take_due(&self, now: i64) -> Result<Option<(Pending, Claim)>, LocalError> {
        let conn = self.inner.store.conn();
        let mut statement = conn.prepare(
            "SELECT id, kind, ticket, payload, attempts FROM outbox
             WHERE state = 'queued' AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, id",
        )?;
        let mut rows = statement.query([now])?;
        while let Some(row) = rows.next()? {
            let raw = raw_pending(row)?;
            let mut claimed = self.claimed();
            if claimed.contains(&raw.0) {
                continue;
            }
            claimed.insert(raw.0);
            drop(claimed);
            let claim = Claim { outbox: self.clone(), id: raw.0 };
            return Ok(Some((pending_from_raw(raw)?, claim)));
        }
        Ok(None)
    }

    /// When the earliest queued submission nobody is sending becomes due (Unix ms).
    pub(crate) fn next_due_at(&self) -> Result<Option<i64>, LocalError> {
        let conn = self.inner.store.conn();
        let mut statement =
            conn.prepare("SELECT id, next_attempt_at FROM outbox WHERE state = 'queued'")?;
        let rows = statement.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))?;
        let claimed = self.claimed().clone();
        let mut earliest: Option<i64> = None;
        for row in rows {
            let (id, at) = row?;
            if !claimed.contains(&id) {
                earliest = Some(earliest.map_or(at, |e: i64| e.min(at)));
            }
        }
        Ok(earliest)
    }

    /// The central service has the submission: keep its answer, wipe the payload, and make
    /// the rest of the queue due now (the service is reachable again).
    pub(crate) fn record_sent(&self, id: i64, answer: &TicketStatus) -> Result<(), LocalError> {
        let answer = serde_json::to_string(answer)
            .map_err(|error| LocalError::Invalid(error.to_string()))?;
        let now = now_ms();
        {
            let conn = self.inner.store.conn();
            conn.execute(
                "UPDATE outbox SET state = 'sent', payload = NULL, answer = ?1, finished_at = ?2,
                     attempts = attempts + 1, last_error = NULL
                 WHERE id = ?3 AND state = 'queued'",
                params![answer, now, id],
            )?;
            conn.execute(
                "UPDATE outbox SET next_attempt_at = ?1
                 WHERE state = 'queued' AND next_attempt_at > ?1",
                [now],
            )?;
            super::forget_wiped(&conn)?;
        }
        self.publish_depth()
    }

    /// The central service refused the submission for good: wipe the payload, keep why.
    pub(crate) fn record_refused(&self, id: i64, error: &ApiError) -> Result<(), LocalError> {
        let why = mask_digits_in(&format!("{:?}: {}", error.code, error.message.id));
        {
            let conn = self.inner.store.conn();
            conn.execute(
                "UPDATE outbox SET state = 'rejected_permanent', payload = NULL, last_error = ?1,
                     finished_at = ?2, attempts = attempts + 1
                 WHERE id = ?3 AND state = 'queued'",
                params![why, now_ms(), id],
            )?;
            super::forget_wiped(&conn)?;
        }
        self.publish_depth()
    }

    /// The attempt failed in a way that may pass: try again at `next_at` (Unix ms).
    pub(crate) fn record_retry(
        &self,
        id: i64,
        error: &str,
        next_at: i64,
    ) -> Result<(), LocalError> {
        self.inner.store.conn().execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1, next_attempt_at = ?2
             WHERE id = ?3 AND state = 'queued'",
            params![mask_digits_in(error), next_at, id],
        )?;
        Ok(())
    }

    /// Waits until a submission is queued, released or forced, or `timeout` passes.
    pub(crate) async fn woken_or(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.inner.wake.notified()).await;
    }

    fn claimed(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.inner.claimed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish_depth(&self) -> Result<(), LocalError> {
        let depth = self.depth()?;
        self.inner.depth.send_if_modified(|current| {
            let changed = *current != depth;
            *current = depth;
            changed
        });
        Ok(())
    }
}

fn parse_ticket(text: &str) -> Result<Ticket, LocalError> {
    Ticket::parse(text).map_err(|error| LocalError::Corrupt(format!("ticket {text:?}: {error}")))
}

type RawPending = (i64, String, String, Option<String>, i64);

fn raw_pending(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawPending> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
}

fn pending_from_raw(
    (id, kind, ticket, payload, attempts): RawPending,
) -> Result<Pending, LocalError> {
    Ok(Pending {
        id,
        kind: Kind::parse(&kind).ok_or_else(|| LocalError::Corrupt(format!("kind {kind:?}")))?,
        ticket: parse_ticket(&ticket)?,
        payload: payload.ok_or_else(|| LocalError::Corrupt("queued without payload".into()))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
    })
}

const ENTRY_COLUMNS: &str =
    "ticket, kind, state, attempts, subject_masked, created_at, last_error, answer";

type RawEntry = (String, String, String, i64, String, i64, Option<String>, Option<String>);

fn raw_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn entry(raw: RawEntry, now: i64) -> Result<MaskedEntry, LocalError> {
    let (ticket, kind, state, attempts, subject, created_at, last_error, answer) = raw;
    Ok(MaskedEntry {
        ticket: parse_ticket(&ticket)?,
        kind: Kind::parse(&kind).ok_or_else(|| LocalError::Corrupt(format!("kind {kind:?}")))?,
        state: SubmissionState::parse(&state)
            .ok_or_else(|| LocalError::Corrupt(format!("state {state:?}")))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        subject,
        age: Duration::from_millis(u64::try_from(now - created_at).unwrap_or(0)),
        last_error,
        answer: answer
            .map(|answer| serde_json::from_str(&answer))
            .transpose()
            .map_err(|error| LocalError::Corrupt(format!("answer: {error}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(idempotency_key: &str) -> Submission {
        let request = serde_json::json!({
            "reporter_nik": "3510011203850001",
            "subject_nik": "3510015203850002",
            "reason": "lost_job",
            "phone": "081234567890",
            "idempotency_key": idempotency_key,
        });
        Submission::Report(serde_json::from_value(request).expect("report"))
    }

    #[test]
    fn a_claimed_submission_waits_for_its_claim_and_a_repeated_key_gets_the_first_ticket() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(LocalStore::open(dir.path()).expect("store"), 42).expect("open");
        let (queued, claim) = outbox.enqueue_claimed(&report("")).expect("enqueue");
        let claim = claim.expect("a new submission is claimed");
        assert_eq!(queued.ticket.issuer(), 42);
        assert_eq!(outbox.depth().expect("depth"), 1);
        assert!(outbox.take_due(i64::MAX).expect("take").is_none(), "claimed: not the sender's");
        assert_eq!(outbox.next_due_at().expect("due"), None);
        drop(claim);

        let (pending, _claim) = outbox.take_due(i64::MAX).expect("take").expect("due now");
        assert_eq!(pending.ticket, queued.ticket);
        match pending.submission().expect("payload") {
            Submission::Report(request) => {
                assert_eq!(request.idempotency_key, queued.idempotency_key);
                assert_eq!(request.ticket, Some(queued.ticket));
            }
            other => panic!("read back as {other:?}"),
        }
        let (again, claim) =
            outbox.enqueue_claimed(&report(&queued.idempotency_key)).expect("again");
        assert_eq!((again.ticket, claim.is_none()), (queued.ticket, true));

        outbox.record_retry(pending.id, "NIK 3510015203850002: unreachable", 0).expect("retry");
        let entry = outbox.entry(&queued.ticket).expect("entry").expect("listed");
        assert_eq!((entry.state, entry.attempts), (SubmissionState::Queued, 1));
        assert_eq!(entry.subject, "3510********0002");
        let why = entry.last_error.expect("why");
        assert!(!why.contains("3510015203850002"), "stored masked: {why}");
    }
}
