-- Version 12: undo (issue 19). A reversal is a movement like any other, and
-- says which movement it reverses; the history stays append-only.
ALTER TABLE movements ADD COLUMN undoes INTEGER REFERENCES movements(id);
