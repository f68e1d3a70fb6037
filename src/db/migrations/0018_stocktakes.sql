-- Quick actions and stocktakes (issue: the phone at the shelf).
--
-- Movements gain two kinds, 'consume' (units taken out of a location and out of
-- the item's total) and 'count' (a location counted; the difference). The kind
-- column has no CHECK, so only the record of a stocktake is new: who counted
-- which location when, and how many differences were applied. Each applied
-- difference is a 'count' movement carrying the stocktake's id.
CREATE TABLE stocktakes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at    INTEGER NOT NULL,
    user_id       TEXT,
    username      TEXT,
    location_id   INTEGER NOT NULL REFERENCES locations(id),
    -- The location's name when counted, kept through renames.
    location_name TEXT NOT NULL,
    recursive     INTEGER NOT NULL,
    -- How many (item, location) rows were counted, and how many differed.
    counted       INTEGER NOT NULL,
    differences   INTEGER NOT NULL,
    note          TEXT
);
CREATE INDEX stocktakes_location ON stocktakes(location_id);

ALTER TABLE movements ADD COLUMN stocktake_id INTEGER REFERENCES stocktakes(id);
