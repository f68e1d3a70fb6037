-- MiauInv schema, current version. Applied in one transaction to a new database;
-- databases from the original Go program are upgraded by src/db/migrate.rs to
-- exactly this shape. Later changes are numbered migrations on top of it.

-- Accounts ------------------------------------------------------------------

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    password             TEXT NOT NULL,
    role                 TEXT NOT NULL DEFAULT 'user',
    two_factor_enabled   INTEGER NOT NULL DEFAULT 0,
    two_factor_secret    TEXT NOT NULL DEFAULT '',
    -- Last TOTP time step accepted; a code is only accepted for a later step.
    two_factor_last_step INTEGER NOT NULL DEFAULT 0,
    -- Bumped on every credential change; tokens carrying an older value are dead.
    token_version        INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    device_info TEXT
);
CREATE INDEX refresh_tokens_hash ON refresh_tokens(token_hash);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE two_factor_recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    UNIQUE (user_id, code_hash)
);

CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    -- base64url credential id; unique across all users.
    credential_id   TEXT NOT NULL UNIQUE,
    -- The serialised webauthn-rs Passkey (public key, counter, flags).
    credential      TEXT NOT NULL,
    sign_count      INTEGER NOT NULL DEFAULT 0,
    backup_eligible INTEGER NOT NULL DEFAULT 0,
    backup_state    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- WebAuthn ceremonies in flight: any worker can finish one; taken and deleted in
-- one write transaction so a ceremony cannot be finished twice.
CREATE TABLE webauthn_ceremonies (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT,
    state      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Inventory -----------------------------------------------------------------

CREATE TABLE items (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT NOT NULL,
    category           TEXT,
    description        TEXT,
    total_quantity     INTEGER NOT NULL DEFAULT 0
        CHECK (typeof(total_quantity) = 'integer' AND total_quantity >= 0),
    -- Sums over the item's stock rows and allocations, kept by the triggers at
    -- the end of this file (never written by the handlers), so lists and
    -- /api/stats need no per-item subqueries.
    stocked_quantity   INTEGER NOT NULL DEFAULT 0,
    allocated_quantity INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX items_name ON items(name COLLATE NOCASE);
CREATE INDEX items_category ON items(category COLLATE NOCASE, name COLLATE NOCASE);
-- The items with more allocated than stocked, worst first, for /api/stats.
CREATE INDEX items_short ON items(allocated_quantity - stocked_quantity)
    WHERE allocated_quantity > stocked_quantity;

CREATE TABLE locations (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT
);

CREATE TABLE stock (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     INTEGER NOT NULL REFERENCES items(id),
    location_id INTEGER NOT NULL REFERENCES locations(id),
    quantity    INTEGER NOT NULL CHECK (typeof(quantity) = 'integer' AND quantity >= 0),
    UNIQUE (item_id, location_id)
);
CREATE INDEX stock_location ON stock(location_id);

CREATE TABLE project_items (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id    INTEGER NOT NULL REFERENCES items(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    quantity   INTEGER NOT NULL CHECK (typeof(quantity) = 'integer' AND quantity >= 0),
    UNIQUE (item_id, project_id)
);
CREATE INDEX project_items_project ON project_items(project_id);

-- Immutable history of every change to stock, allocations and item totals.
CREATE TABLE movements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at       INTEGER NOT NULL,
    user_id          TEXT,
    username         TEXT,
    item_id          INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    -- 'stock', 'allocation', 'total' or 'transfer'
    kind             TEXT NOT NULL,
    location_id      INTEGER,
    to_location_id   INTEGER,
    project_id       INTEGER,
    delta            INTEGER NOT NULL,
    quantity_after   INTEGER NOT NULL,
    note             TEXT
);
CREATE INDEX movements_item ON movements(item_id, id);

-- Running totals over the whole inventory, kept by the triggers below: the item
-- count behind every unfiltered list's X-Total-Count and the unit sums of
-- /api/stats cost one row read at a million items as at ten.
CREATE TABLE inventory_totals (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    items           INTEGER NOT NULL,
    units_total     INTEGER NOT NULL,
    units_stocked   INTEGER NOT NULL,
    units_allocated INTEGER NOT NULL
);
INSERT INTO inventory_totals (id, items, units_total, units_stocked, units_allocated)
VALUES (1, 0, 0, 0, 0);

-- Invariants, enforced by the database as a last line of defence (the handlers
-- check first and answer with numbers): per item, stock over all locations and
-- allocations over all projects never exceed total_quantity.
CREATE TRIGGER stock_within_total_insert BEFORE INSERT ON stock
WHEN (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = NEW.item_id) + NEW.quantity
     > (SELECT total_quantity FROM items WHERE id = NEW.item_id)
BEGIN SELECT RAISE(ABORT, 'invariant: stock exceeds total_quantity'); END;

CREATE TRIGGER stock_within_total_update BEFORE UPDATE OF quantity, item_id ON stock
WHEN (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = NEW.item_id AND id <> OLD.id) + NEW.quantity
     > (SELECT total_quantity FROM items WHERE id = NEW.item_id)
BEGIN SELECT RAISE(ABORT, 'invariant: stock exceeds total_quantity'); END;

CREATE TRIGGER allocation_within_total_insert BEFORE INSERT ON project_items
WHEN (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = NEW.item_id) + NEW.quantity
     > (SELECT total_quantity FROM items WHERE id = NEW.item_id)
BEGIN SELECT RAISE(ABORT, 'invariant: allocations exceed total_quantity'); END;

CREATE TRIGGER allocation_within_total_update BEFORE UPDATE OF quantity, item_id ON project_items
WHEN (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = NEW.item_id AND id <> OLD.id) + NEW.quantity
     > (SELECT total_quantity FROM items WHERE id = NEW.item_id)
BEGIN SELECT RAISE(ABORT, 'invariant: allocations exceed total_quantity'); END;

CREATE TRIGGER total_covers_stock_and_allocations BEFORE UPDATE OF total_quantity ON items
WHEN NEW.total_quantity < (SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE item_id = NEW.id)
  OR NEW.total_quantity < (SELECT COALESCE(SUM(quantity), 0) FROM project_items WHERE item_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'invariant: total_quantity below stock or allocations'); END;

-- Derived sums (items.stocked_quantity, items.allocated_quantity and
-- inventory_totals) follow every change of a stock row, an allocation or an
-- item, in the same statement's transaction.
CREATE TRIGGER items_totals_insert AFTER INSERT ON items
BEGIN
    UPDATE inventory_totals SET items = items + 1, units_total = units_total + NEW.total_quantity;
END;

CREATE TRIGGER items_totals_update AFTER UPDATE OF total_quantity ON items
BEGIN
    UPDATE inventory_totals SET units_total = units_total - OLD.total_quantity + NEW.total_quantity;
END;

CREATE TRIGGER items_totals_delete AFTER DELETE ON items
BEGIN
    UPDATE inventory_totals SET items = items - 1, units_total = units_total - OLD.total_quantity;
END;

CREATE TRIGGER stock_sums_insert AFTER INSERT ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity + NEW.quantity WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked + NEW.quantity;
END;

CREATE TRIGGER stock_sums_update AFTER UPDATE OF quantity, item_id ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity - OLD.quantity WHERE id = OLD.item_id;
    UPDATE items SET stocked_quantity = stocked_quantity + NEW.quantity WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked - OLD.quantity + NEW.quantity;
END;

CREATE TRIGGER stock_sums_delete AFTER DELETE ON stock
BEGIN
    UPDATE items SET stocked_quantity = stocked_quantity - OLD.quantity WHERE id = OLD.item_id;
    UPDATE inventory_totals SET units_stocked = units_stocked - OLD.quantity;
END;

CREATE TRIGGER allocation_sums_insert AFTER INSERT ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity + NEW.quantity WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated + NEW.quantity;
END;

CREATE TRIGGER allocation_sums_update AFTER UPDATE OF quantity, item_id ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity - OLD.quantity WHERE id = OLD.item_id;
    UPDATE items SET allocated_quantity = allocated_quantity + NEW.quantity WHERE id = NEW.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated - OLD.quantity + NEW.quantity;
END;

CREATE TRIGGER allocation_sums_delete AFTER DELETE ON project_items
BEGIN
    UPDATE items SET allocated_quantity = allocated_quantity - OLD.quantity WHERE id = OLD.item_id;
    UPDATE inventory_totals SET units_allocated = units_allocated - OLD.quantity;
END;
