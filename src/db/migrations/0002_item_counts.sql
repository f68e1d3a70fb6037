-- Version 2: items.location_count and items.project_count, kept like the sums.
--
-- Every item list showed how many locations stock an item and how many projects
-- it is allocated to through two correlated subqueries per row: a 50-item page
-- ran 100 of them, more than the page itself cost. The counts are now columns
-- the stock and allocation triggers keep, in the same statement as the sums.

ALTER TABLE items ADD COLUMN location_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN project_count INTEGER NOT NULL DEFAULT 0;

UPDATE items SET
    location_count = (SELECT count(*) FROM stock WHERE item_id = items.id),
    project_count = (SELECT count(*) FROM project_items WHERE item_id = items.id);

DROP TRIGGER stock_sums_insert;
DROP TRIGGER stock_sums_update;
DROP TRIGGER stock_sums_delete;
DROP TRIGGER allocation_sums_insert;
DROP TRIGGER allocation_sums_update;
DROP TRIGGER allocation_sums_delete;

CREATE TRIGGER stock_sums_insert AFTER INSERT ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity + NEW.quantity,
                     location_count = location_count + 1
     WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked + NEW.quantity;
END;

-- A row moved to another item takes its count along; a quantity change keeps it.
CREATE TRIGGER stock_sums_update AFTER UPDATE OF quantity, item_id ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity - OLD.quantity,
                     location_count = location_count - (OLD.item_id <> NEW.item_id)
     WHERE id = OLD.item_id;
    UPDATE items SET stocked_quantity = stocked_quantity + NEW.quantity,
                     location_count = location_count + (OLD.item_id <> NEW.item_id)
     WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked - OLD.quantity + NEW.quantity;
END;

CREATE TRIGGER stock_sums_delete AFTER DELETE ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity - OLD.quantity,
                     location_count = location_count - 1
     WHERE id = OLD.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked - OLD.quantity;
END;

CREATE TRIGGER allocation_sums_insert AFTER INSERT ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity + NEW.quantity,
                     project_count = project_count + 1
     WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated + NEW.quantity;
END;

CREATE TRIGGER allocation_sums_update AFTER UPDATE OF quantity, item_id ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity - OLD.quantity,
                     project_count = project_count - (OLD.item_id <> NEW.item_id)
     WHERE id = OLD.item_id;
    UPDATE items SET allocated_quantity = allocated_quantity + NEW.quantity,
                     project_count = project_count + (OLD.item_id <> NEW.item_id)
     WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated - OLD.quantity + NEW.quantity;
END;

CREATE TRIGGER allocation_sums_delete AFTER DELETE ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity - OLD.quantity,
                     project_count = project_count - 1
     WHERE id = OLD.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated - OLD.quantity;
END;
