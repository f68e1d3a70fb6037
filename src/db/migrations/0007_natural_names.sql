-- Version 7: names sort naturally ("Part 2" before "Part 10", ignoring case).
--
-- `name_key` holds `natural_key(name)` (src/db/natural.rs, registered on every
-- connection MiauInv opens), and an index on it makes a page sorted by name one
-- index seek. Triggers keep it current however a row is written. A tool that
-- opens the file without MiauInv can read everything, but renaming or adding
-- rows there fails with "no such function: natural_key" instead of leaving a
-- stale key.

ALTER TABLE items ADD COLUMN name_key TEXT;
ALTER TABLE locations ADD COLUMN name_key TEXT;
ALTER TABLE projects ADD COLUMN name_key TEXT;
UPDATE items SET name_key = natural_key(name);
UPDATE locations SET name_key = natural_key(name);
UPDATE projects SET name_key = natural_key(name);
CREATE INDEX items_name_key ON items(name_key);
CREATE INDEX locations_name_key ON locations(name_key);
CREATE INDEX projects_name_key ON projects(name_key);

CREATE TRIGGER items_name_key_insert AFTER INSERT ON items
BEGIN
    UPDATE items SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER items_name_key_update AFTER UPDATE OF name ON items
BEGIN
    UPDATE items SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER locations_name_key_insert AFTER INSERT ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER locations_name_key_update AFTER UPDATE OF name ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER projects_name_key_insert AFTER INSERT ON projects
BEGIN
    UPDATE projects SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
CREATE TRIGGER projects_name_key_update AFTER UPDATE OF name ON projects
BEGIN
    UPDATE projects SET name_key = natural_key(NEW.name) WHERE id = NEW.id;
END;
