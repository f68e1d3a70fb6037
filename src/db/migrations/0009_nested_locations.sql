-- Version 8: locations nest ("Garage / Shelf A / Bin 3").
--
-- `parent_id` points at the location a location is inside; NULL is top level,
-- where every existing location stays, with its id and name. Names were unique
-- over all locations (a UNIQUE column, which only a rebuild of the table can
-- drop); now they are unique among siblings, ignoring case: "Shelf A" may be
-- in "Garage" and in "Basement". The unique index keys the top level as
-- parent 0, which no location has (ids start at 1), because NULLs never
-- collide in a unique index. Archived locations keep their names taken, as
-- before, so restoring one never clashes.
--
-- The runner turns foreign keys off around migrations and checks them before
-- committing (SQLite's table-rebuild procedure): with them on, dropping the old
-- table would fail for the stock rows pointing at it. The sequence of ids is
-- carried over, so ids of deleted locations are never handed out again.

CREATE TABLE locations_nested (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL COLLATE NOCASE,
    archived_at INTEGER,
    name_key    TEXT,
    parent_id   INTEGER REFERENCES locations(id)
);
INSERT INTO locations_nested (id, name, archived_at, name_key)
SELECT id, name, archived_at, name_key FROM locations;
DELETE FROM sqlite_sequence WHERE name = 'locations_nested';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'locations_nested', seq FROM sqlite_sequence WHERE name = 'locations';
DROP TABLE locations;
ALTER TABLE locations_nested RENAME TO locations;

CREATE UNIQUE INDEX locations_sibling_name ON locations(coalesce(parent_id, 0), name COLLATE NOCASE);
-- One level of the tree in natural order is one index range; the walks down a
-- subtree (contents, totals, cycle checks) seek by parent too.
CREATE INDEX locations_parent ON locations(parent_id, name_key);
CREATE INDEX locations_name_key ON locations(name_key);

CREATE TRIGGER locations_name_key_insert AFTER INSERT ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER locations_name_key_update AFTER UPDATE OF name ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
