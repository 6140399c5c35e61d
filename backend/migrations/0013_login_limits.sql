-- Sign-in limits that hold across restarts and across service instances sharing the
-- database: attempts counted per key (`user:<name>`, `ip:<address>`, `all`) in one-minute
-- windows, swept after an hour; and each account's run of failed sign-ins with the time
-- its lockout ends. The same on both databases.
CREATE TABLE login_attempts (
    key           TEXT NOT NULL,
    -- Unix minute.
    window_start  BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX login_attempts_by_window ON login_attempts (window_start);

ALTER TABLE staff ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
-- Unix seconds; NULL or past: not locked.
ALTER TABLE staff ADD COLUMN locked_until BIGINT;
