-- How the NIK of the person at the kiosk was entered for each submission: `card` (read from
-- their e-KTP) or `keypad` (typed; also every submission from before this step and from a
-- kiosk that does not say). Staff weigh it; letters build on it.
ALTER TABLE reports ADD COLUMN nik_entry TEXT NOT NULL DEFAULT 'keypad'
    CHECK (nik_entry IN ('keypad', 'card'));
ALTER TABLE letter_requests ADD COLUMN nik_entry TEXT NOT NULL DEFAULT 'keypad'
    CHECK (nik_entry IN ('keypad', 'card'));
