-- Tickets the kiosk printed but had to replace: the central service already held the old
-- one for another submission (the kiosk was re-imaged and its counter started again). The
-- citizen keeps the old slip, so tracking the old ticket here follows this to the new one.
-- `new_ticket` is always the submission's current ticket (a second move updates it).
CREATE TABLE ticket_moves (
    old_ticket  TEXT PRIMARY KEY,
    new_ticket  TEXT NOT NULL,
    -- Unix milliseconds.
    moved_at    INTEGER NOT NULL
);
CREATE INDEX ticket_moves_by_new ON ticket_moves (new_ticket);
