-- Nonces of signed kiosk requests seen inside the replay window, so that a captured request
-- replays neither after a restart nor on another instance sharing the database. On
-- PostgreSQL each request claims its nonce here before it is served (the primary key makes
-- the claim atomic across instances); on SQLite, which one instance serves, the nonce is
-- kept in the audit spool on disk instead (read back at start), so this table stays empty
-- there. Rows older than twice the accepted clock skew are pruned. `counted` marks requests that take a NIK or a ticket: their
-- rows in the last minute are the kiosk's per-minute budget across instances.
CREATE TABLE kiosk_nonces (
    kiosk    TEXT NOT NULL,
    nonce    TEXT NOT NULL,
    seen_at  BIGINT NOT NULL,
    counted  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (kiosk, nonce)
);
CREATE INDEX kiosk_nonces_recent ON kiosk_nonces (kiosk, seen_at);
CREATE INDEX kiosk_nonces_by_time ON kiosk_nonces (seen_at);

-- How far into each audit spool segment (a file in the data directory, see
-- store/audit/spool.rs) the audit writer has committed, written in the transaction of the
-- entries themselves: a start after a crash writes exactly what lies past it. A row goes
-- with its segment.
CREATE TABLE audit_spool_progress (
    segment    TEXT PRIMARY KEY,
    committed  BIGINT NOT NULL
);
