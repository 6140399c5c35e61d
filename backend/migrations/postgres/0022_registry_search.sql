-- Registry search in the console and the staff API: a name prefix (upper-cased, so the
-- search ignores case) read from an index instead of a scan of every resident, and the
-- letters a family's members asked for, read by NIK. `text_pattern_ops` lets
-- `LIKE 'PREFIX%'` use the index whatever the database's collation.
CREATE INDEX residents_by_name ON residents (upper(name) text_pattern_ops);
CREATE INDEX letter_requests_by_applicant ON letter_requests (applicant_nik);
