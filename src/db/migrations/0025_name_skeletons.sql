-- Version 25: names that look alike (issue 28). `name_skeleton` holds
-- `skeleton(name)`, the UTS #39 confusable skeleton (src/db/skeleton.rs,
-- registered on every connection MiauInv opens), so that a create or rename
-- can warn in one index seek that another name looks the same ("Kitchen" and
-- "Kitсhen" with a Cyrillic с). The triggers that keep `name_key` keep it too,
-- in the same UPDATE: no second write per insert.

ALTER TABLE items ADD COLUMN name_skeleton TEXT;
ALTER TABLE locations ADD COLUMN name_skeleton TEXT;
ALTER TABLE projects ADD COLUMN name_skeleton TEXT;
UPDATE items SET name_skeleton = skeleton(name);
UPDATE locations SET name_skeleton = skeleton(name);
UPDATE projects SET name_skeleton = skeleton(name);
CREATE INDEX items_name_skeleton ON items(name_skeleton);
CREATE INDEX locations_name_skeleton ON locations(coalesce(parent_id, 0), name_skeleton);
CREATE INDEX projects_name_skeleton ON projects(name_skeleton);

DROP TRIGGER items_name_key_insert;
DROP TRIGGER items_name_key_update;
DROP TRIGGER locations_name_key_insert;
DROP TRIGGER locations_name_key_update;
DROP TRIGGER projects_name_key_insert;
DROP TRIGGER projects_name_key_update;

CREATE TRIGGER items_name_key_insert AFTER INSERT ON items
BEGIN
    UPDATE items SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
CREATE TRIGGER items_name_key_update AFTER UPDATE OF name ON items
BEGIN
    UPDATE items SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
CREATE TRIGGER locations_name_key_insert AFTER INSERT ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
CREATE TRIGGER locations_name_key_update AFTER UPDATE OF name ON locations
BEGIN
    UPDATE locations SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
CREATE TRIGGER projects_name_key_insert AFTER INSERT ON projects
BEGIN
    UPDATE projects SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
CREATE TRIGGER projects_name_key_update AFTER UPDATE OF name ON projects
BEGIN
    UPDATE projects SET name_key = natural_key(NEW.name), name_skeleton = skeleton(NEW.name)
     WHERE id = NEW.id;
END;
