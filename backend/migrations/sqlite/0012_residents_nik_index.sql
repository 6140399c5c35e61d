-- SQLite only: residents keep their NIK unique through an index of their own instead of
-- the primary key's built-in one, which cannot be dropped. A kabupaten's first load then
-- writes 1.7 million residents without indexes and builds each index after in one sort,
-- instead of inserting every NIK at a random place of a growing B-tree (about a third of
-- the load's time). Lookups by NIK use the index as they used the key's.
--
-- The table is rebuilt the way SQLite documents (create, copy, drop, rename) with foreign
-- keys off, which the migration runner sees to and checks after. PostgreSQL's residents
-- keep their primary key: it loads with COPY and needs no such step (postgres/0012).

CREATE TABLE residents_rebuilt (
    nik            TEXT NOT NULL CHECK (length(nik) = 16),
    kk             TEXT NOT NULL REFERENCES families (kk),
    name           TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date     TEXT NOT NULL,
    relation       TEXT NOT NULL CHECK (relation IN ('head', 'spouse', 'child', 'parent', 'other')),
    pregnant       BOOLEAN NOT NULL DEFAULT FALSE,
    nursing        BOOLEAN NOT NULL DEFAULT FALSE,
    dtks           BOOLEAN NOT NULL DEFAULT FALSE,
    birth_place    TEXT NOT NULL DEFAULT '',
    religion       SMALLINT,
    education      SMALLINT,
    occupation     SMALLINT,
    marital_status SMALLINT,
    shdk           SMALLINT,
    nationality    SMALLINT,
    blood_type     SMALLINT,
    father_name    TEXT NOT NULL DEFAULT '',
    mother_name    TEXT NOT NULL DEFAULT '',
    life_status    TEXT NOT NULL DEFAULT 'alive'
        CHECK (life_status IN ('alive', 'died', 'moved_away', 'missing', 'left', 'invalid'))
);

INSERT INTO residents_rebuilt
    (nik, kk, name, sex, birth_date, relation, pregnant, nursing, dtks, birth_place, religion,
     education, occupation, marital_status, shdk, nationality, blood_type, father_name,
     mother_name, life_status)
SELECT nik, kk, name, sex, birth_date, relation, pregnant, nursing, dtks, birth_place, religion,
       education, occupation, marital_status, shdk, nationality, blood_type, father_name,
       mother_name, life_status
FROM residents;

DROP TABLE residents;
ALTER TABLE residents_rebuilt RENAME TO residents;

-- The same two indexes the bulk load drops and builds again (store/population/merge.rs).
CREATE UNIQUE INDEX residents_nik ON residents (nik);
CREATE INDEX residents_by_kk_life ON residents
    (kk, nik, name, relation, sex, pregnant, nursing, life_status);
