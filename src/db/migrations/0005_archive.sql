-- Version 5: nothing is lost on delete.
--
-- Deleting an item erased its movement history (ON DELETE CASCADE), and history
-- showed today's names, or none, for renamed and deleted locations and
-- projects. Now an item, location or project that has history is archived
-- instead: hidden from lists, kept for its history, restorable. A hard delete
-- remains only for rows with no history (mistakes). Each movement keeps the
-- names as they were when it was written.

ALTER TABLE items ADD COLUMN archived_at INTEGER;
ALTER TABLE locations ADD COLUMN archived_at INTEGER;
ALTER TABLE projects ADD COLUMN archived_at INTEGER;

ALTER TABLE movements ADD COLUMN item_name TEXT;
ALTER TABLE movements ADD COLUMN location_name TEXT;
ALTER TABLE movements ADD COLUMN to_location_name TEXT;
ALTER TABLE movements ADD COLUMN project_name TEXT;
-- Rows written before this version get the best names there are: today's.
UPDATE movements SET
    item_name = (SELECT name FROM items WHERE id = movements.item_id),
    location_name = (SELECT name FROM locations WHERE id = movements.location_id),
    to_location_name = (SELECT name FROM locations WHERE id = movements.to_location_id),
    project_name = (SELECT name FROM projects WHERE id = movements.project_id);

-- Whether a location or project has history is looked up on delete.
CREATE INDEX movements_location ON movements(location_id);
CREATE INDEX movements_to_location ON movements(to_location_id);
CREATE INDEX movements_project ON movements(project_id);

-- An archived item leaves the running totals and the search index, and comes
-- back to both when it is restored. Archived items cannot be changed, so the
-- other item triggers only ever see active items; they are guarded anyway.
CREATE TRIGGER items_archive AFTER UPDATE OF archived_at ON items
WHEN OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL
BEGIN
    UPDATE inventory_totals SET items = items - 1, units_total = units_total - OLD.total_quantity;
    INSERT INTO items_search (items_search, rowid, name, category, description)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description);
END;

CREATE TRIGGER items_restore AFTER UPDATE OF archived_at ON items
WHEN OLD.archived_at IS NOT NULL AND NEW.archived_at IS NULL
BEGIN
    UPDATE inventory_totals SET items = items + 1, units_total = units_total + NEW.total_quantity;
    INSERT INTO items_search (rowid, name, category, description)
    VALUES (NEW.id, NEW.name, NEW.category, NEW.description);
END;

DROP TRIGGER items_totals_update;
CREATE TRIGGER items_totals_update AFTER UPDATE OF total_quantity ON items
WHEN NEW.archived_at IS NULL
BEGIN
    UPDATE inventory_totals SET units_total = units_total - OLD.total_quantity + NEW.total_quantity;
END;

DROP TRIGGER items_totals_delete;
CREATE TRIGGER items_totals_delete AFTER DELETE ON items
WHEN OLD.archived_at IS NULL
BEGIN
    UPDATE inventory_totals SET items = items - 1, units_total = units_total - OLD.total_quantity;
END;

DROP TRIGGER items_search_update;
CREATE TRIGGER items_search_update AFTER UPDATE OF name, category, description ON items
WHEN NEW.archived_at IS NULL
BEGIN
    INSERT INTO items_search (items_search, rowid, name, category, description)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description);
    INSERT INTO items_search (rowid, name, category, description)
    VALUES (NEW.id, NEW.name, NEW.category, NEW.description);
END;

DROP TRIGGER items_search_delete;
CREATE TRIGGER items_search_delete AFTER DELETE ON items
WHEN OLD.archived_at IS NULL
BEGIN
    INSERT INTO items_search (items_search, rowid, name, category, description)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description);
END;
