-- The staff's report queue, a report's history and the delivery batches, read by index
-- rather than from the audit log. SQLite's version (sqlite/0020_report_batches.sql) differs
-- only in report_steps' identity column.

-- The desa whose staff verify a report: the reported person's when it was filed. Reports
-- from before this step take their subject's present desa; one whose subject is no longer in
-- the registry has none, and only kabupaten accounts see it.
ALTER TABLE reports ADD COLUMN desa_code BIGINT;
UPDATE reports SET desa_code = (
    SELECT f.desa_code FROM residents r JOIN families f ON f.kk = r.kk
    WHERE r.nik = reports.subject_nik);
-- The program a verification wrote the family into (the catalogue's citizen_reports program
-- of that moment); NULL before verification and for reports verified before this step.
ALTER TABLE reports ADD COLUMN program TEXT;
CREATE INDEX reports_by_desa ON reports (desa_code, state, created_at);
CREATE INDEX reports_by_state ON reports (state, created_at);
CREATE INDEX reports_by_batch ON reports (scheduled_for, desa_code);

-- Each staff step on a report, written in the step's transaction with its audit entry: who,
-- when, the state it left, the reason given (a rejection) and the batch date (a schedule).
-- Filing is not repeated here: the report row holds it.
CREATE TABLE report_steps (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket      TEXT NOT NULL REFERENCES reports (ticket),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    step        TEXT NOT NULL CHECK (step IN ('verify', 'reject', 'schedule', 'deliver')),
    state       TEXT NOT NULL
        CHECK (state IN ('verified', 'rejected_after_verification', 'scheduled', 'delivered')),
    reason_id   TEXT,
    reason_en   TEXT,
    batch_date  TEXT
);
CREATE INDEX report_steps_by_ticket ON report_steps (ticket, id);

-- Steps taken before this one, from their audit entries (action report_<step>, subject
-- "<ticket> <masked NIK>", outcome the state left). A rejection ends a report, so its reason
-- is the one the report holds; likewise a schedule's date.
INSERT INTO report_steps (ticket, at, actor, step, state, reason_id, reason_en, batch_date)
SELECT r.ticket, a.at, a.actor, substr(a.action, 8), a.outcome,
       CASE WHEN a.outcome = 'rejected_after_verification' THEN r.decision_id END,
       CASE WHEN a.outcome = 'rejected_after_verification' THEN r.decision_en END,
       CASE WHEN a.action = 'report_schedule' THEN r.scheduled_for END
FROM audit a JOIN reports r ON r.ticket = substr(a.subject, 1, 16)
WHERE a.action IN ('report_verify', 'report_reject', 'report_schedule', 'report_deliver')
  AND a.outcome IN ('verified', 'rejected_after_verification', 'scheduled', 'delivered')
ORDER BY a.id;
