-- Version 8: what an item carries besides its stock: tags, custom fields, a
-- part number (sku) and barcodes, all searchable.
--
-- Tags are rows of their own (`tags`) joined to items (`item_tags`), so a
-- rename or merge touches one tag row and the filter `?tag=a&tag=b` is an index
-- lookup per tag. A tag no item carries any more is deleted by a trigger, so
-- `GET /api/tags` never lists empty ones.
--
-- A sku is unique ignoring case (the column is NOCASE, and so is its index).
-- A barcode names one item: the code is the key of `item_barcodes`, so a
-- scanned code finds exactly one item or none.
--
-- Custom fields are rows (`item_fields`), one per name, so their limits are
-- checked per value and the round trip is exact.

ALTER TABLE items ADD COLUMN sku TEXT COLLATE NOCASE;
CREATE UNIQUE INDEX items_sku ON items(sku);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE item_tags (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX item_tags_tag ON item_tags(tag_id, item_id);

CREATE TRIGGER item_tags_unused AFTER DELETE ON item_tags
WHEN NOT EXISTS (SELECT 1 FROM item_tags WHERE tag_id = OLD.tag_id)
BEGIN
    DELETE FROM tags WHERE id = OLD.tag_id;
END;

CREATE TABLE item_fields (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (item_id, name)
) WITHOUT ROWID;

CREATE TABLE item_barcodes (
    code    TEXT PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX item_barcodes_item ON item_barcodes(item_id);

-- The search index covers the sku, barcodes, tags and field values too. They
-- live in other tables, which an external-content FTS5 table cannot read, so
-- `items.search_text` holds them, one per line; `db/item_details.rs` writes it
-- whenever one of them changes, and the triggers below carry it into the index
-- like the other columns.
ALTER TABLE items ADD COLUMN search_text TEXT;

DROP TRIGGER items_search_insert;
DROP TRIGGER items_search_update;
DROP TRIGGER items_search_delete;
DROP TRIGGER items_archive;
DROP TRIGGER items_restore;
DROP TABLE items_search;

CREATE VIRTUAL TABLE items_search USING fts5(
    name, category, description, search_text,
    content = 'items', content_rowid = 'id',
    tokenize = 'trigram'
);
-- Rebuilt from the active items only: archived items stay out of the index
-- (migration 0005), so a search counted in the index counts active items.
INSERT INTO items_search (rowid, name, category, description, search_text)
SELECT id, name, category, description, search_text FROM items WHERE archived_at IS NULL;

CREATE TRIGGER items_search_insert AFTER INSERT ON items
BEGIN
    INSERT INTO items_search (rowid, name, category, description, search_text)
    VALUES (NEW.id, NEW.name, NEW.category, NEW.description, NEW.search_text);
END;

CREATE TRIGGER items_search_update AFTER UPDATE OF name, category, description, search_text ON items
WHEN NEW.archived_at IS NULL
BEGIN
    INSERT INTO items_search (items_search, rowid, name, category, description, search_text)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description, OLD.search_text);
    INSERT INTO items_search (rowid, name, category, description, search_text)
    VALUES (NEW.id, NEW.name, NEW.category, NEW.description, NEW.search_text);
END;

CREATE TRIGGER items_search_delete AFTER DELETE ON items
WHEN OLD.archived_at IS NULL
BEGIN
    INSERT INTO items_search (items_search, rowid, name, category, description, search_text)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description, OLD.search_text);
END;

CREATE TRIGGER items_archive AFTER UPDATE OF archived_at ON items
WHEN OLD.archived_at IS NULL AND NEW.archived_at IS NOT NULL
BEGIN
    UPDATE inventory_totals SET items = items - 1, units_total = units_total - OLD.total_quantity;
    INSERT INTO items_search (items_search, rowid, name, category, description, search_text)
    VALUES ('delete', OLD.id, OLD.name, OLD.category, OLD.description, OLD.search_text);
END;

CREATE TRIGGER items_restore AFTER UPDATE OF archived_at ON items
WHEN OLD.archived_at IS NOT NULL AND NEW.archived_at IS NULL
BEGIN
    UPDATE inventory_totals SET items = items + 1, units_total = units_total + NEW.total_quantity;
    INSERT INTO items_search (rowid, name, category, description, search_text)
    VALUES (NEW.id, NEW.name, NEW.category, NEW.description, NEW.search_text);
END;
