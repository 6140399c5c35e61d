-- Letter requests ("permohonan surat") filed at kiosks. They share the ticket space of
-- reports: a kiosk numbers both from one serial counter, and the central service refuses
-- a ticket that either table already holds, so one ticket names one submission.
CREATE TABLE letter_requests (
    issuer           INTEGER NOT NULL,
    serial           INTEGER NOT NULL,
    ticket           TEXT NOT NULL UNIQUE,
    kiosk            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    applicant_nik    TEXT NOT NULL,
    desa_code        BIGINT NOT NULL,
    letter           TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    state            TEXT NOT NULL,
    decision_id      TEXT,
    decision_en      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (issuer, serial),
    UNIQUE (kiosk, idempotency_key)
);
CREATE INDEX letter_requests_by_desa ON letter_requests (desa_code, state);
