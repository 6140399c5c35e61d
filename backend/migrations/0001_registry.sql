-- The registry: families (KK), residents, programs, memberships, and the audit log.
-- PostgreSQL's version (postgres/0001_registry.sql) differs only in identity columns and
-- the append-only trigger; later steps are shared by both databases.

CREATE TABLE programs (
    code     TEXT PRIMARY KEY,
    name_id  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    level    TEXT NOT NULL CHECK (level IN ('central', 'province', 'regency', 'village', 'community')),
    unit     TEXT NOT NULL CHECK (unit IN ('person', 'household'))
);

CREATE TABLE families (
    kk         TEXT PRIMARY KEY CHECK (length(kk) = 16),
    desa_code  BIGINT NOT NULL,
    address    TEXT NOT NULL
);

CREATE TABLE residents (
    nik         TEXT PRIMARY KEY CHECK (length(nik) = 16),
    kk          TEXT NOT NULL REFERENCES families (kk),
    name        TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date  TEXT NOT NULL,
    relation    TEXT NOT NULL CHECK (relation IN ('head', 'spouse', 'child', 'parent', 'other')),
    pregnant    BOOLEAN NOT NULL DEFAULT FALSE,
    nursing     BOOLEAN NOT NULL DEFAULT FALSE,
    dtks        BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX residents_by_kk ON residents (kk);

-- A membership belongs to a person (nik) or to a household (kk), never both. A household
-- program's component may concern one member (member_nik), e.g. PKH's pregnant mother.
CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    program     TEXT NOT NULL REFERENCES programs (code),
    nik         TEXT REFERENCES residents (nik),
    kk          TEXT REFERENCES families (kk),
    component   TEXT,
    member_nik  TEXT REFERENCES residents (nik),
    state       TEXT NOT NULL CHECK (state IN ('proposed', 'verified', 'active', 'ended')),
    since       TEXT NOT NULL,
    desa_code   BIGINT NOT NULL,
    CHECK ((nik IS NULL) <> (kk IS NULL))
);
CREATE INDEX memberships_by_nik ON memberships (nik);
CREATE INDEX memberships_by_kk ON memberships (kk);
CREATE INDEX memberships_by_program_desa ON memberships (program, desa_code);

-- Who looked at or changed what. Append-only: the triggers refuse updates and deletes.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    outcome  TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
