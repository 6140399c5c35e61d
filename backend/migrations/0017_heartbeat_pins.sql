-- What a kiosk's heartbeat says of its staff keypad: wrong PINs since the last right one,
-- and whether the keypad is locked now. Older kiosks do not send them: 0 and false.
ALTER TABLE kiosk_heartbeats ADD COLUMN pin_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE kiosk_heartbeats ADD COLUMN pin_locked BOOLEAN NOT NULL DEFAULT FALSE;
