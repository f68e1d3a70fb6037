-- Undo of consume and count movements (issue 19).
--
-- A count's movement already holds what undo needs: the row held
-- `quantity_after - delta` before, and the total moved by `delta`. A consume
-- taken for a project also lowered that project's allocation, by at most the
-- units taken; how much is not derivable afterwards, so it is kept here (0 for
-- a consume without a project; negative on the reversal of a consume, which
-- gave the allocation back). Consumes recorded before this column, taken for
-- a project, have NULL and cannot be undone exactly: undo refuses them.
ALTER TABLE movements ADD COLUMN allocation_released INTEGER;
