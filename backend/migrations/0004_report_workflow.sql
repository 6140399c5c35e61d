-- Verification and distribution of reports: when staff verified it and which batch date
-- the package is scheduled for.
ALTER TABLE reports ADD COLUMN verified_at TEXT;
ALTER TABLE reports ADD COLUMN scheduled_for TEXT;
