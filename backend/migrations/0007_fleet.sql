-- The fleet: each kiosk's latest heartbeat, the staff PINs that open staff mode on kiosks,
-- and per-kiosk settings sent with the configuration the kiosks pull.

-- Only the latest heartbeat per kiosk is kept here; the history is in the audit log.
CREATE TABLE kiosk_heartbeats (
    kiosk_id            TEXT PRIMARY KEY REFERENCES kiosks (id),
    received_at         TEXT NOT NULL,
    sent_at             TEXT NOT NULL,
    version             TEXT NOT NULL,
    uptime_seconds      BIGINT NOT NULL,
    -- NULL when the kiosk could not tell.
    printer_state       TEXT,
    paper_remaining_mm  BIGINT,
    queue_depth         BIGINT,
    door_open           BOOLEAN,
    last_error          TEXT
);

-- A PIN is valid on one kiosk or on every kiosk of one desa. Only its Argon2id hash (PHC
-- string) is stored, and only the hash is sent to the kiosks.
CREATE TABLE kiosk_pins (
    kiosk_id    TEXT REFERENCES kiosks (id),
    desa_code   BIGINT,
    label       TEXT NOT NULL,
    pin_hash    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CHECK ((kiosk_id IS NULL) <> (desa_code IS NULL))
);
CREATE UNIQUE INDEX kiosk_pins_by_kiosk ON kiosk_pins (kiosk_id, label) WHERE kiosk_id IS NOT NULL;
CREATE UNIQUE INDEX kiosk_pins_by_desa ON kiosk_pins (desa_code, label) WHERE desa_code IS NOT NULL;

-- Settings of one kiosk; a kiosk without a row gets the defaults (every service).
CREATE TABLE kiosk_settings (
    kiosk_id              TEXT PRIMARY KEY REFERENCES kiosks (id),
    -- Service codes in display order, comma-separated.
    services              TEXT NOT NULL,
    notice_id             TEXT,
    notice_en             TEXT,
    idle_timeout_seconds  INTEGER NOT NULL,
    updated_at            TEXT NOT NULL
);
