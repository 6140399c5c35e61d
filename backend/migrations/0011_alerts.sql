-- Alerts for operations: a burst of lookups from one kiosk, a staff account locked out, a
-- disk that refuses writes. One open alert per (kind, subject): a repeat bumps its count
-- and last time instead of adding rows, so an attacker cannot flood the table. An alert
-- stays open until an operator acknowledges it; the next repeat then opens a new one.
CREATE TABLE alerts (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    subject          TEXT NOT NULL,
    detail           TEXT NOT NULL,
    first_at         TEXT NOT NULL,
    last_at          TEXT NOT NULL,
    count            BIGINT NOT NULL DEFAULT 1,
    acknowledged_at  TEXT,
    acknowledged_by  TEXT
);
CREATE UNIQUE INDEX alerts_open ON alerts (kind, subject) WHERE acknowledged_at IS NULL;
CREATE INDEX alerts_by_time ON alerts (last_at);
