-- The web console's sessions (backend/src/console), kept in the database so that instances
-- sharing it share them and a restart ends none. The browser's cookie holds a random
-- 256-bit id; only its SHA-256 is stored, so a copy of the database signs no one in. A
-- session ends 30 minutes after its last request (last_seen) or 12 hours after sign-in
-- (expires_at), at logout (the row is deleted), and with a new password or a disabled
-- account.
CREATE TABLE console_sessions (
    id_hash     TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES staff (username),
    -- Unix seconds.
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (username);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_at);

-- A password someone else chose (`backend staff-add`, which also resets one) is changed at
-- the account's first console sign-in, before any other page. Every account made before
-- this step got its password that way.
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT TRUE;
