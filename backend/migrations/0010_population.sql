-- The population registry's own fields, as villages' files carry them (OpenSID's "format
-- impor penduduk", Dukcapil SIAK exports), the DTSEN welfare decile, life status, the
-- history of changes an import makes, and the record of every import. The same on both
-- databases. Codes are those of backend/data/population (OpenSID's numbering); NULL where
-- the source left a cell empty or the row predates this migration.

ALTER TABLE residents ADD COLUMN birth_place TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN religion SMALLINT;
ALTER TABLE residents ADD COLUMN education SMALLINT;
ALTER TABLE residents ADD COLUMN occupation SMALLINT;
ALTER TABLE residents ADD COLUMN marital_status SMALLINT;
-- Relation in the KK, one of the 11 SHDK codes; `relation` stays the engine's coarse view.
ALTER TABLE residents ADD COLUMN shdk SMALLINT;
ALTER TABLE residents ADD COLUMN nationality SMALLINT;
ALTER TABLE residents ADD COLUMN blood_type SMALLINT;
ALTER TABLE residents ADD COLUMN father_name TEXT NOT NULL DEFAULT '';
ALTER TABLE residents ADD COLUMN mother_name TEXT NOT NULL DEFAULT '';
-- OpenSID's status dasar: only 'alive' residents take part in programs, reports and letters.
ALTER TABLE residents ADD COLUMN life_status TEXT NOT NULL DEFAULT 'alive'
    CHECK (life_status IN ('alive', 'died', 'moved_away', 'missing', 'left', 'invalid'));

ALTER TABLE families ADD COLUMN dusun TEXT NOT NULL DEFAULT '';
ALTER TABLE families ADD COLUMN rw TEXT NOT NULL DEFAULT '';
ALTER TABLE families ADD COLUMN rt TEXT NOT NULL DEFAULT '';
-- DTSEN's welfare decile of the family (1 poorest .. 10), and the import that set it.
ALTER TABLE families ADD COLUMN desil SMALLINT CHECK (desil BETWEEN 1 AND 10);
ALTER TABLE families ADD COLUMN desil_import TEXT;

-- Why and when a membership ended (a death or a move recorded by an import, ...).
ALTER TABLE memberships ADD COLUMN ended_reason TEXT;
ALTER TABLE memberships ADD COLUMN ended_at TEXT;

-- The status lookup reads each member's life status from the family's covering index.
CREATE INDEX residents_by_kk_life ON residents
    (kk, nik, name, relation, sex, pregnant, nursing, life_status);
DROP INDEX residents_by_kk_cover;

-- Every import of a population or desil file: who, what file, and what it did. `id` is the
-- import's own identifier, chosen by the service, also written into the report file.
CREATE TABLE registry_imports (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('population', 'desil')),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    layout     TEXT NOT NULL,
    rows_read  BIGINT NOT NULL,
    accepted   BIGINT NOT NULL,
    rejected   BIGINT NOT NULL,
    changed    BIGINT NOT NULL
);

-- What an import changed, one row per changed field: of a resident (`nik`: a move to another
-- KK, a death, a name correction, ...) or of a family (`kk`: a move to another desa, a new
-- RT, a desil). `before`/`after` are the stored values (codes as numbers, text as
-- written). Append-only like the audit log.
CREATE TABLE resident_history (
    import_id  TEXT NOT NULL REFERENCES registry_imports (id),
    nik        TEXT,
    kk         TEXT,
    field      TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    CHECK ((nik IS NULL) <> (kk IS NULL))
);
CREATE INDEX resident_history_by_nik ON resident_history (nik);
CREATE INDEX resident_history_by_kk ON resident_history (kk);
CREATE INDEX resident_history_by_import ON resident_history (import_id);
