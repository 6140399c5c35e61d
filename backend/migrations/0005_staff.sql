-- Desa staff accounts and their sessions. Passwords are stored as Argon2id hashes (PHC
-- strings); session tokens as SHA-256 hashes, so a copy of the database signs no one in.
CREATE TABLE staff (
    username       TEXT PRIMARY KEY,
    password_hash  TEXT NOT NULL,
    -- The desa the account acts for; NULL for a kabupaten operator (every desa).
    desa_code      BIGINT,
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TEXT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    username    TEXT NOT NULL REFERENCES staff (username),
    -- Unix seconds.
    expires_at  BIGINT NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (username);
