-- Citizen reports ("pelaporan"): decided at once, then verified by desa staff.
CREATE TABLE reports (
    issuer           INTEGER NOT NULL,
    serial           INTEGER NOT NULL,
    ticket           TEXT NOT NULL UNIQUE,
    kiosk            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    reporter_nik     TEXT NOT NULL,
    subject_nik      TEXT NOT NULL,
    about_self       BOOLEAN NOT NULL,
    reason           TEXT NOT NULL,
    phone            TEXT NOT NULL,
    text             TEXT NOT NULL,
    state            TEXT NOT NULL,
    decision_id      TEXT,
    decision_en      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (issuer, serial),
    UNIQUE (kiosk, idempotency_key)
);
CREATE INDEX reports_by_subject ON reports (subject_nik);
