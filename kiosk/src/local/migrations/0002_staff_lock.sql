-- The staff PIN keypad's lockout: wrong PINs in a row and, once locked, until when (Unix
-- milliseconds). Kept here so that pulling the plug does not give a guesser five more
-- tries. One row.
CREATE TABLE staff_lock (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    failures      INTEGER NOT NULL CHECK (failures >= 0),
    locked_until  INTEGER
);
