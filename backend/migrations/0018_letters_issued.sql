-- Letters from request to paper: the answers a request carries, the letters issued (with
-- their per-desa numbers and the document exactly as issued), the counters that number them
-- without gaps, each desa's letter settings, and the Ed25519 keys that seal its letters.

-- The citizen's answers to the type's fields (JSON object), and what became of the request.
ALTER TABLE letter_requests ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
ALTER TABLE letter_requests ADD COLUMN letter_id TEXT;
ALTER TABLE letter_requests ADD COLUMN prepared_by TEXT;
ALTER TABLE letter_requests ADD COLUMN decided_by TEXT;

-- Roles: an operator prepares, a signer (kepala desa or delegate) approves; kabupaten
-- operators and read-only auditors come with the console. Names and positions print under
-- the letters a signer approves.
ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'operator'
    CHECK (role IN ('operator', 'signer', 'kabupaten', 'auditor'));
ALTER TABLE staff ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN position TEXT NOT NULL DEFAULT '';

-- A desa's own way: its number format, classification codes by letter type (JSON object),
-- its office address, and the kepala desa who signs letters issued at once at the kiosk.
CREATE TABLE letter_settings (
    desa_code      BIGINT PRIMARY KEY,
    number_format  TEXT NOT NULL,
    codes          TEXT NOT NULL DEFAULT '{}',
    address        TEXT NOT NULL DEFAULT '',
    head_name      TEXT NOT NULL DEFAULT '',
    head_position  TEXT NOT NULL DEFAULT '',
    head_nip       TEXT,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL
);

-- The last number given per desa, type and year, bumped in the issuing transaction: the
-- row lock (PostgreSQL) or the single writer (SQLite) orders concurrent issues, and a
-- rolled-back issue gives its number back.
CREATE TABLE letter_counters (
    desa_code  BIGINT NOT NULL,
    letter     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    last       BIGINT NOT NULL,
    PRIMARY KEY (desa_code, letter, year)
);

-- Issued letters. A cancelled letter keeps its number, with who cancelled it and why.
CREATE TABLE letters (
    id             TEXT PRIMARY KEY,
    ticket         TEXT NOT NULL UNIQUE REFERENCES letter_requests (ticket),
    desa_code      BIGINT NOT NULL,
    letter         TEXT NOT NULL,
    year           INTEGER NOT NULL,
    sequence       BIGINT NOT NULL,
    number         TEXT NOT NULL,
    subject_nik    TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    -- The LetterDocument as issued (JSON), the seal in its `qr`: reprints draw this.
    document       TEXT NOT NULL,
    -- Which catalogue rendered it (`v<version> <digest>`), so a text can be traced to the
    -- template that made it after the catalogue changed.
    catalogue      TEXT NOT NULL DEFAULT '',
    prints         INTEGER NOT NULL DEFAULT 0,
    cancelled_at   TEXT,
    cancelled_by   TEXT,
    cancel_reason  TEXT,
    UNIQUE (desa_code, letter, year, sequence)
);
CREATE INDEX letters_by_desa ON letters (desa_code, issued_at);

-- Each desa's sealing keys: the secret sealed under the service's secrets key (as kiosk
-- secrets are), never sent to a kiosk. A retired key still verifies old letters.
CREATE TABLE desa_keys (
    desa_code      BIGINT NOT NULL,
    key_id         TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    retired_at     TEXT,
    PRIMARY KEY (desa_code, key_id)
);
