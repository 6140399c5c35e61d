-- What each kiosk asked of the endpoints that take a NIK or a ticket (status and ticket
-- lookups, reports, letter requests), per day (UTC: the day turns at 07:00 in Banyuwangi,
-- before any village hall opens). Counted by the audit writer in the transaction that
-- writes the same requests' audit rows, so a kiosk's daily cap holds across restarts and
-- across instances without a write per request. The same on both databases.
CREATE TABLE kiosk_usage (
    kiosk     TEXT NOT NULL,
    day       TEXT NOT NULL,
    requests  BIGINT NOT NULL,
    PRIMARY KEY (kiosk, day)
);

-- The most such requests a kiosk may make in a day; the default fits a busy village hall.
ALTER TABLE kiosks ADD COLUMN requests_per_day BIGINT NOT NULL DEFAULT 1000
    CHECK (requests_per_day > 0);
