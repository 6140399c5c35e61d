-- Nonces of signed kiosk requests seen inside the replay window, so that a captured request
-- replays neither after a restart nor on another instance sharing the database. On
-- PostgreSQL each request claims its nonce here before it is served (the primary key makes
-- the claim atomic across instances); on SQLite, which one instance serves, the nonce is
-- spooled to disk first and written here with the audit batch. Rows older than twice the
-- accepted clock skew are pruned. `counted` marks requests that take a NIK or a ticket: their
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

-- An audit entry spooled to disk before its request was answered carries the spool's
-- reference, so replaying a spool after a crash adds each entry once.
ALTER TABLE audit ADD COLUMN ref TEXT;
CREATE UNIQUE INDEX audit_ref ON audit (ref);
