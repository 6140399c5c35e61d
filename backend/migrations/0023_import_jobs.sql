-- Import jobs started from the web console (recipient lists, population and desil files),
-- kept in the database so that a restart forgets none: the job list and job pages read
-- them from here. The per-row report stays a file in the service's imports directory
-- (report, a path), written under a temporary name and renamed once the import ended. A job
-- still `running` when the service starts was cut off by the process's end: it becomes
-- `interrupted` (each import is one transaction, so nothing of it was written).
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY,
    -- `recipients`, `population` or `desil`.
    kind        TEXT NOT NULL CHECK (kind IN ('recipients', 'population', 'desil')),
    -- A recipient list's desa; a registry file's `desa` option (NULL: the file says).
    desa_code   BIGINT,
    -- A population file's `regency` option (the kabupaten its rows must lie in).
    regency     BIGINT,
    -- A recipient list's program; NULL for registry files.
    program     TEXT,
    dry_run     BOOLEAN NOT NULL,
    state       TEXT NOT NULL
        CHECK (state IN ('running', 'finished', 'failed', 'interrupted')),
    rows_done   BIGINT NOT NULL DEFAULT 0,
    -- Once finished: the counts as JSON (the kind's own summary).
    summary     TEXT,
    error_id    TEXT,
    error_en    TEXT,
    -- `console:<username>`.
    started_by  TEXT NOT NULL,
    -- The uploaded file's name as the browser gave it (shown escaped, never a path).
    file_name   TEXT NOT NULL,
    -- RFC 3339 UTC.
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    report      TEXT
);
CREATE INDEX import_jobs_by_start ON import_jobs (started_at);
CREATE INDEX import_jobs_by_desa ON import_jobs (desa_code, started_at);
CREATE INDEX import_jobs_by_state ON import_jobs (state);
