-- Version 12: a location's contents and a project's allocations page by item
-- name with one index seek. The item's natural sort key is copied into each
-- stock and allocation row (`item_key`) and indexed with the place, so a page
-- of a location holding 5,000 rows no longer sorts all 5,000 (12.9 ms at a
-- million items; see BENCHMARKS.md). Triggers keep the copy equal to
-- `items.name_key` however a row is written or an item renamed.

ALTER TABLE stock ADD COLUMN item_key TEXT;
ALTER TABLE project_items ADD COLUMN item_key TEXT;
UPDATE stock SET item_key = (SELECT name_key FROM items WHERE items.id = stock.item_id);
UPDATE project_items SET item_key = (SELECT name_key FROM items WHERE items.id = project_items.item_id);
CREATE INDEX stock_location_item_key ON stock(location_id, item_key);
CREATE INDEX project_items_project_item_key ON project_items(project_id, item_key);

CREATE TRIGGER stock_item_key_insert AFTER INSERT ON stock
BEGIN
    UPDATE stock SET item_key = (SELECT name_key FROM items WHERE id = NEW.item_id) WHERE id = NEW.id;
END;
CREATE TRIGGER stock_item_key_update AFTER UPDATE OF item_id ON stock
BEGIN
    UPDATE stock SET item_key = (SELECT name_key FROM items WHERE id = NEW.item_id) WHERE id = NEW.id;
END;
CREATE TRIGGER project_items_item_key_insert AFTER INSERT ON project_items
BEGIN
    UPDATE project_items SET item_key = (SELECT name_key FROM items WHERE id = NEW.item_id) WHERE id = NEW.id;
END;
CREATE TRIGGER project_items_item_key_update AFTER UPDATE OF item_id ON project_items
BEGIN
    UPDATE project_items SET item_key = (SELECT name_key FROM items WHERE id = NEW.item_id) WHERE id = NEW.id;
END;
-- Fires for the name_key the natural-name triggers write on insert and rename.
CREATE TRIGGER items_key_to_placed AFTER UPDATE OF name_key ON items
BEGIN
    UPDATE stock SET item_key = NEW.name_key WHERE item_id = NEW.id;
    UPDATE project_items SET item_key = NEW.name_key WHERE item_id = NEW.id;
END;
