-- Kiosks allowed to call the API, each with its own HMAC secret and lookup rate limit.
-- The secret is needed to check signatures, so it is stored; the database file must be
-- readable by the service account only.
CREATE TABLE kiosks (
    id                  TEXT PRIMARY KEY,
    secret              TEXT NOT NULL,
    desa_code           BIGINT,
    lookups_per_minute  INTEGER NOT NULL DEFAULT 60 CHECK (lookups_per_minute > 0),
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TEXT NOT NULL
);
