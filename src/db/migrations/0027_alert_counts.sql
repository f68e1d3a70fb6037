-- Version 27: the dashboard's counts of short and low items kept, not counted
-- (issue 29).
--
-- `/api/stats` counted the short and the low items on every call, walking the
-- partial indexes `items_short` and `items_low` to their ends, and sorted
-- every short item to list the worst ten: as slow as those lists are long (on
-- one core, at 100 000 items of the benchmark's data, the dashboard's p99 was
-- 34 ms). The two counts now live in `inventory_totals` beside the unit
-- totals, kept by triggers on the columns the conditions read; the conditions
-- are spelled as `db::alerts::{SHORT, LOW, ACTIVE}` (its unit test checks
-- them). The worst short items are read from an index in the dashboard's
-- order, ten at a time.
ALTER TABLE inventory_totals ADD COLUMN items_short INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inventory_totals ADD COLUMN items_low INTEGER NOT NULL DEFAULT 0;
UPDATE inventory_totals SET
    items_short = (SELECT count(*) FROM items
                    WHERE allocated_quantity > stocked_quantity AND archived_at IS NULL),
    items_low = (SELECT count(*) FROM items
                  WHERE min_quantity > total_quantity - allocated_quantity AND archived_at IS NULL);

CREATE TRIGGER items_alert_counts_insert AFTER INSERT ON items
BEGIN
    UPDATE inventory_totals SET
        items_short = items_short
            + (NEW.allocated_quantity > NEW.stocked_quantity AND NEW.archived_at IS NULL),
        items_low = items_low
            + (NEW.min_quantity > NEW.total_quantity - NEW.allocated_quantity AND NEW.archived_at IS NULL);
END;

CREATE TRIGGER items_alert_counts_update
AFTER UPDATE OF allocated_quantity, stocked_quantity, total_quantity, min_quantity, archived_at ON items
BEGIN
    UPDATE inventory_totals SET
        items_short = items_short
            - (OLD.allocated_quantity > OLD.stocked_quantity AND OLD.archived_at IS NULL)
            + (NEW.allocated_quantity > NEW.stocked_quantity AND NEW.archived_at IS NULL),
        items_low = items_low
            - (OLD.min_quantity > OLD.total_quantity - OLD.allocated_quantity AND OLD.archived_at IS NULL)
            + (NEW.min_quantity > NEW.total_quantity - NEW.allocated_quantity AND NEW.archived_at IS NULL);
END;

CREATE TRIGGER items_alert_counts_delete AFTER DELETE ON items
BEGIN
    UPDATE inventory_totals SET
        items_short = items_short
            - (OLD.allocated_quantity > OLD.stocked_quantity AND OLD.archived_at IS NULL),
        items_low = items_low
            - (OLD.min_quantity > OLD.total_quantity - OLD.allocated_quantity AND OLD.archived_at IS NULL);
END;

CREATE INDEX items_short_worst ON items((allocated_quantity - stocked_quantity) DESC, id)
    WHERE allocated_quantity > stocked_quantity AND archived_at IS NULL;
