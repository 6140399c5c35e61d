-- An acknowledged alert keeps the note its acknowledger left (who and when were already
-- kept), so the history says why it was put away.
ALTER TABLE alerts ADD COLUMN acknowledged_note TEXT;

-- The audit page's filters (store/audit_search.rs): an exact actor or action, newest first
-- by id, and a range of times. Without these every filtered page, and the streamed export
-- paging by id, read the whole log.
CREATE INDEX audit_by_actor ON audit (actor, id);
CREATE INDEX audit_by_action ON audit (action, id);
CREATE INDEX audit_by_at ON audit (at);
