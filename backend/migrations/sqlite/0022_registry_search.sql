-- Registry search in the console and the staff API: a name prefix (upper-cased, so the
-- search ignores case) read from an index instead of a scan of every resident, and the
-- letters a family's members asked for, read by NIK. PostgreSQL's version differs only in
-- the name index's operator class.
CREATE INDEX residents_by_name ON residents (upper(name));
CREATE INDEX letter_requests_by_applicant ON letter_requests (applicant_nik);
