-- Version 19: a location's own figures (`item_count`, its stock rows, and
-- `total_units`, the units in them) are columns kept by the stock triggers, as
-- the item counts are since version 2.
--
-- Every read of a location summed all of its stock rows for its header: at a
-- million items a location holds about 10,000 rows, and one page of its
-- contents cost 4.5 ms, 12.9 times what it costs in a small inventory (issue 14,
-- BENCHMARKS.md). The figures count the location's own rows only, as the reads
-- did; totals over the locations inside (`?recursive=true`) are still computed,
-- since an item stored in two places inside counts once there.

ALTER TABLE locations ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locations ADD COLUMN total_units INTEGER NOT NULL DEFAULT 0;

UPDATE locations SET
    item_count = (SELECT count(*) FROM stock WHERE location_id = locations.id),
    total_units = COALESCE((SELECT SUM(quantity) FROM stock WHERE location_id = locations.id), 0);

CREATE TRIGGER location_totals_insert AFTER INSERT ON stock
BEGIN
    UPDATE locations SET item_count = item_count + 1, total_units = total_units + NEW.quantity
     WHERE id = NEW.location_id;
END;

-- A quantity change (every transfer and stock edit) is one update of its
-- location; a row moved to another location (an import may do that) takes
-- its count and units along.
CREATE TRIGGER location_totals_update AFTER UPDATE OF quantity, location_id ON stock
WHEN OLD.location_id = NEW.location_id
BEGIN
    UPDATE locations SET total_units = total_units - OLD.quantity + NEW.quantity
     WHERE id = NEW.location_id;
END;

CREATE TRIGGER location_totals_move AFTER UPDATE OF quantity, location_id ON stock
WHEN OLD.location_id <> NEW.location_id
BEGIN
    UPDATE locations SET item_count = item_count - 1, total_units = total_units - OLD.quantity
     WHERE id = OLD.location_id;
    UPDATE locations SET item_count = item_count + 1, total_units = total_units + NEW.quantity
     WHERE id = NEW.location_id;
END;

CREATE TRIGGER location_totals_delete AFTER DELETE ON stock
BEGIN
    UPDATE locations SET item_count = item_count - 1, total_units = total_units - OLD.quantity
     WHERE id = OLD.location_id;
END;
