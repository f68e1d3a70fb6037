-- Version 22: the last line behind every door's rules (issue "every door keeps
-- the rules"). The handlers and every import check quantities, names and ids
-- through `rules/` first; these triggers refuse what a bug in a door would
-- still let through, with a clear error instead of corrupt totals. (SQLite
-- cannot add a CHECK to an existing table; a BEFORE trigger is the same guard.)

-- Quantities stay within 0..10^12, so no sum over a million items can
-- overflow a 64-bit integer (an overflowing sum turns into a float, and the
-- dashboard's totals could no longer be read).
CREATE TRIGGER items_quantity_range BEFORE INSERT ON items
WHEN NEW.total_quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;
CREATE TRIGGER items_quantity_range_update BEFORE UPDATE OF total_quantity ON items
WHEN NEW.total_quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;
CREATE TRIGGER stock_quantity_range BEFORE INSERT ON stock
WHEN NEW.quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;
CREATE TRIGGER stock_quantity_range_update BEFORE UPDATE OF quantity ON stock
WHEN NEW.quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;
CREATE TRIGGER allocation_quantity_range BEFORE INSERT ON project_items
WHEN NEW.quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;
CREATE TRIGGER allocation_quantity_range_update BEFORE UPDATE OF quantity ON project_items
WHEN NEW.quantity > 1000000000000
BEGIN SELECT RAISE(ABORT, 'miauinv: quantity out of range'); END;

-- Names within the 200 characters the API allows, and ids within 2^40 (ids a
-- file keeps are checked against the same range, so a document can never
-- push AUTOINCREMENT to its end).
CREATE TRIGGER items_row_range BEFORE INSERT ON items
WHEN length(NEW.name) > 200 OR NEW.id > 1099511627776 OR length(NEW.sku) > 100
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;
CREATE TRIGGER items_row_range_update BEFORE UPDATE OF name, sku ON items
WHEN length(NEW.name) > 200 OR length(NEW.sku) > 100
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;
CREATE TRIGGER locations_row_range BEFORE INSERT ON locations
WHEN length(NEW.name) > 200 OR NEW.id > 1099511627776
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;
CREATE TRIGGER locations_row_range_update BEFORE UPDATE OF name ON locations
WHEN length(NEW.name) > 200
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;
CREATE TRIGGER projects_row_range BEFORE INSERT ON projects
WHEN length(NEW.name) > 200 OR NEW.id > 1099511627776
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;
CREATE TRIGGER projects_row_range_update BEFORE UPDATE OF name ON projects
WHEN length(NEW.name) > 200
BEGIN SELECT RAISE(ABORT, 'miauinv: text or id out of range'); END;

-- History a non-admin imported: the row carries the importing account and
-- time; the file's author and time are kept as claims, and the pages say
-- "imported from a file".
ALTER TABLE movements ADD COLUMN claimed_username TEXT;
ALTER TABLE movements ADD COLUMN claimed_at INTEGER;

-- Repairs what an import could do before this version: a sequence pushed to
-- the end of the id range (every later create failed), and running totals
-- that overflowed into floats.
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM items WHERE id <= 1099511627776), 0)
 WHERE name = 'items' AND seq > 1099511627776;
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM locations WHERE id <= 1099511627776), 0)
 WHERE name = 'locations' AND seq > 1099511627776;
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM projects WHERE id <= 1099511627776), 0)
 WHERE name = 'projects' AND seq > 1099511627776;
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM stock WHERE id <= 1099511627776), 0)
 WHERE name = 'stock' AND seq > 1099511627776;
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM project_items WHERE id <= 1099511627776), 0)
 WHERE name = 'project_items' AND seq > 1099511627776;
UPDATE sqlite_sequence SET seq = COALESCE((SELECT max(id) FROM movements WHERE id <= 1099511627776), 0)
 WHERE name = 'movements' AND seq > 1099511627776;
UPDATE inventory_totals SET
    units_total = CAST((SELECT total(total_quantity) FROM items WHERE archived_at IS NULL) AS INTEGER),
    units_stocked = CAST((SELECT total(s.quantity) FROM stock s JOIN items i ON i.id = s.item_id
                          WHERE i.archived_at IS NULL) AS INTEGER),
    units_allocated = CAST((SELECT total(a.quantity) FROM project_items a JOIN items i ON i.id = a.item_id
                            WHERE i.archived_at IS NULL) AS INTEGER)
 WHERE typeof(units_total) <> 'integer' OR typeof(units_stocked) <> 'integer'
    OR typeof(units_allocated) <> 'integer';
