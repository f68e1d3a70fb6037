-- Version 11: photos and attachments of items, stored in the database itself.
--
-- A backup stays one file and deleting an item (or one photo) is one
-- transaction. An archived item keeps its media; a hard delete of the item
-- removes them (ON DELETE CASCADE). Ids are AUTOINCREMENT so an id never
-- names two different contents: photos are served with a long cache lifetime.

CREATE TABLE photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    thumb BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX photos_item ON photos(item_id, id);
-- At most one primary photo per item.
CREATE UNIQUE INDEX photos_primary ON photos(item_id) WHERE is_primary = 1;

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_item ON attachments(item_id, id);
