-- Version 11: minimum quantities, the reorder list and notifications through a
-- durable outbox (issue 19: stock that speaks up).
--
-- An item is low when its available units (total - allocated) are below its
-- minimum; 0 is no minimum. The partial index holds the low items only, so the
-- reorder list, `?low=true` and the dashboard's count read those rows, never
-- the whole table (like `items_short`).
ALTER TABLE items ADD COLUMN min_quantity INTEGER NOT NULL DEFAULT 0
    CHECK (typeof(min_quantity) = 'integer' AND min_quantity >= 0);
ALTER TABLE items ADD COLUMN reorder_quantity INTEGER
    CHECK (reorder_quantity IS NULL OR (typeof(reorder_quantity) = 'integer' AND reorder_quantity > 0));
CREATE INDEX items_low ON items(name_key, id)
    WHERE min_quantity > total_quantity - allocated_quantity AND archived_at IS NULL;

-- Transitions (becomes low, becomes short, back above the minimum) are judged
-- per write transaction, not per statement: a transfer lowers one stock row
-- before it raises the other, and the item must not look short in between.
-- The first change of an item in a transaction keeps the item's state before
-- it here; `db::alerts::settle`, run by `db::write` before every commit,
-- compares it with the state after, writes the events to the outbox and
-- empties this table. Outside a transaction it is always empty.
CREATE TABLE item_alert_watch (
    item_id   INTEGER PRIMARY KEY,
    was_low   INTEGER NOT NULL,
    was_short INTEGER NOT NULL
);

-- NOT EXISTS rather than INSERT OR IGNORE: an outer INSERT OR REPLACE would
-- turn the trigger's IGNORE into REPLACE and overwrite the state before.
CREATE TRIGGER item_alert_watch_update
AFTER UPDATE OF total_quantity, stocked_quantity, allocated_quantity, min_quantity, archived_at ON items
BEGIN
    INSERT INTO item_alert_watch (item_id, was_low, was_short)
    SELECT OLD.id,
           OLD.archived_at IS NULL AND OLD.min_quantity > OLD.total_quantity - OLD.allocated_quantity,
           OLD.archived_at IS NULL AND OLD.allocated_quantity > OLD.stocked_quantity
     WHERE NOT EXISTS (SELECT 1 FROM item_alert_watch WHERE item_id = OLD.id);
END;

-- A new item was neither: created under its minimum, it becomes low.
CREATE TRIGGER item_alert_watch_insert AFTER INSERT ON items
BEGIN
    INSERT INTO item_alert_watch (item_id, was_low, was_short)
    SELECT NEW.id, 0, 0
     WHERE NOT EXISTS (SELECT 1 FROM item_alert_watch WHERE item_id = NEW.id);
END;

-- Where notifications go. `events` is a JSON array of event names; `settings`
-- a JSON object of the kind's settings (URL, server and topic, SMTP host...);
-- `secret` the webhook's signing secret, the ntfy token or the SMTP password,
-- never answered back in full.
CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'ntfy', 'email')),
    enabled    INTEGER NOT NULL DEFAULT 1,
    events     TEXT NOT NULL DEFAULT '[]',
    settings   TEXT NOT NULL DEFAULT '{}',
    secret     TEXT,
    created_at INTEGER NOT NULL
);

-- Every event, written in the transaction of the change that caused it.
-- `event_id` goes out with each delivery so receivers can de-duplicate (the
-- sender delivers at least once). `channel_id` names the one channel a test
-- message is for; other events go to every channel that chose them.
CREATE TABLE notification_outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    event      TEXT NOT NULL,
    item_id    INTEGER,
    channel_id INTEGER REFERENCES notification_channels(id) ON DELETE CASCADE,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per event and channel: what the sender still has to do, and what
-- it did (the admin page's recent deliveries and failures).
CREATE TABLE notification_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id       INTEGER NOT NULL REFERENCES notification_outbox(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Milliseconds since the epoch: retries in tests are milliseconds apart.
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(next_attempt_ms)
    WHERE status = 'pending';
CREATE INDEX notification_deliveries_recent ON notification_deliveries(updated_at);

-- The fan-out, in the same transaction as the event: a channel added later
-- does not receive older events, one removed takes its deliveries along.
CREATE TRIGGER notification_fan_out AFTER INSERT ON notification_outbox
BEGIN
    INSERT INTO notification_deliveries (outbox_id, channel_id, next_attempt_ms, updated_at)
    SELECT NEW.id, c.id, NEW.created_at * 1000, NEW.created_at
      FROM notification_channels c
     WHERE (NEW.channel_id IS NULL AND c.enabled
            AND EXISTS (SELECT 1 FROM json_each(c.events) WHERE value = NEW.event))
        OR c.id = NEW.channel_id;
END;
