-- Submissions (citizen reports; letter requests later) waiting to reach the central
-- service, and what became of them. The payload holds personal data (NIKs, phone, free
-- text) only while the queue needs it: once a row leaves `queued` it is wiped, and the
-- CHECK below makes a forgotten wipe an error instead of a leak.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('report', 'letter_request')),
    idempotency_key  TEXT NOT NULL UNIQUE,
    ticket           TEXT NOT NULL UNIQUE,
    -- The reported person's NIK, masked, for the staff screen.
    subject_masked   TEXT NOT NULL,
    payload          TEXT,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'rejected_permanent')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds.
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    last_error       TEXT,
    -- The central service's answer (TicketStatus JSON) once sent.
    answer           TEXT,
    CHECK (state = 'queued' OR payload IS NULL),
    CHECK (state <> 'queued' OR payload IS NOT NULL)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- The last ticket serial this kiosk reserved, per issuer number. A serial is committed
-- here before its ticket can be printed, so a crash never hands it out twice.
CREATE TABLE ticket_serials (
    issuer       INTEGER PRIMARY KEY CHECK (issuer BETWEEN 1 AND 9999),
    last_serial  INTEGER NOT NULL CHECK (last_serial BETWEEN 0 AND 999999)
);
