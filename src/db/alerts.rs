//! Minimum quantities at work: the transitions a write caused (becomes low,
//! becomes short, back above the minimum) written to the notification outbox
//! before the write commits, and the reorder list. Layer: db.
//!
//! The triggers of `migrations/0011_stock_alerts.sql` keep each changed
//! item's state before the transaction's first change in `item_alert_watch`;
//! [`settle`] compares it with the state at commit. Because every writer holds
//! the write lock from `BEGIN IMMEDIATE` to commit, the states of concurrent
//! writers chain: each transition is seen by exactly one transaction.

use crate::error::AppResult;
use rusqlite::Connection;
use serde::Serialize;

/// Event names, as channels choose them and receivers read them.
pub const EVENT_LOW: &str = "item.low";
pub const EVENT_SHORT: &str = "item.short";
pub const EVENT_BACK: &str = "item.back_above_min";
pub const EVENT_DIGEST: &str = "digest";
pub const EVENT_TEST: &str = "test";
/// Security notices to each account's owner (`db::security_notices`): only
/// an email channel may choose it, and carries them to the owner's address.
pub const EVENT_SECURITY: &str = "account.security";
/// The events a channel may choose.
pub const EVENTS: &[&str] = &[
    EVENT_LOW,
    EVENT_SHORT,
    EVENT_BACK,
    EVENT_DIGEST,
    EVENT_SECURITY,
];

/// The item as an event carries it (a JSON object built in SQL from `i`).
const ITEM_JSON: &str = "json_object('id', i.id, 'name', i.name, 'sku', i.sku,
        'total_quantity', i.total_quantity, 'stocked_quantity', i.stocked_quantity,
        'allocated_quantity', i.allocated_quantity,
        'available_quantity', i.total_quantity - i.allocated_quantity,
        'min_quantity', i.min_quantity, 'reorder_quantity', i.reorder_quantity)";

/// Writes the events of the items this transaction changed and forgets their
/// earlier state. `db::write` calls it before every commit; with no item
/// changed it is two statements on an empty table.
pub fn settle(conn: &Connection) -> rusqlite::Result<()> {
    // Back above the minimum needs a minimum: clearing it is no good news.
    conn.prepare_cached(&format!(
        "INSERT INTO notification_outbox (event_id, event, item_id, payload, created_at)
         SELECT lower(hex(randomblob(16))), e.event, i.id, {ITEM_JSON}, unixepoch()
           FROM item_alert_watch w
           JOIN items i ON i.id = w.item_id
           JOIN (SELECT '{EVENT_LOW}' AS event UNION ALL SELECT '{EVENT_SHORT}'
                 UNION ALL SELECT '{EVENT_BACK}') e
          WHERE CASE e.event
                WHEN '{EVENT_LOW}' THEN NOT w.was_low AND {ACTIVE} AND {LOW}
                WHEN '{EVENT_SHORT}' THEN NOT w.was_short AND {ACTIVE} AND {SHORT}
                ELSE w.was_low AND {ACTIVE} AND min_quantity > 0 AND NOT {LOW}
                END
          ORDER BY i.id, e.event"
    ))?
    .execute([])?;
    conn.prepare_cached("DELETE FROM item_alert_watch")?
        .execute([])?;
    Ok(())
}

/// An item to reorder: fewer units available than its minimum.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReorderRow {
    pub id: i64,
    pub name: String,
    pub sku: Option<String>,
    pub available_quantity: i64,
    pub min_quantity: i64,
    pub reorder_quantity: Option<i64>,
    /// What to order: the item's reorder quantity, or at least what brings it
    /// back to its minimum.
    pub suggested_quantity: i64,
}

/// The low items, by name (the partial index `items_low`); `limit` caps the
/// dashboard's list, `None` is the whole list (the CSV).
pub fn reorder_list(conn: &Connection, limit: Option<i64>) -> AppResult<Vec<ReorderRow>> {
    let limit = limit.unwrap_or(-1);
    let rows = conn
        .prepare_cached(&format!(
            "SELECT id, name, sku, total_quantity - allocated_quantity, min_quantity, reorder_quantity
               FROM items INDEXED BY items_low
              WHERE {LOW} AND {ACTIVE}
              ORDER BY name_key, id LIMIT ?1"
        ))?
        .query_map([limit], |r| {
            let available: i64 = r.get(3)?;
            let min: i64 = r.get(4)?;
            let reorder: Option<i64> = r.get(5)?;
            Ok(ReorderRow {
                id: r.get(0)?,
                name: r.get(1)?,
                sku: r.get(2)?,
                available_quantity: available,
                min_quantity: min,
                reorder_quantity: reorder,
                suggested_quantity: reorder.unwrap_or(0).max(min - available),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The SQL condition of a low item: fewer units available (not promised to
/// a project) than its minimum. The one spelling every query uses (the item
/// list's `?low=` filter, the reorder list, the alerts); the partial index
/// `items_low` (migration 0016) is on the same condition.
pub const LOW: &str = "(min_quantity > total_quantity - allocated_quantity)";

/// The SQL condition of a short item: more units promised to projects than
/// stocked anywhere (the partial index `items_short`).
pub const SHORT: &str = "(allocated_quantity > stocked_quantity)";

/// Items that count for alerts and the dashboard's lists: not archived. An
/// archived item is out of every list of what needs attention, short or low
/// alike (decided once here; before, the dashboard's short list still showed
/// archived items).
pub const ACTIVE: &str = "archived_at IS NULL";

/// Every short item, worst first (the partial index `items_short`).
pub fn short_list(conn: &Connection) -> AppResult<Vec<ShortItem>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id, name, stocked_quantity, allocated_quantity FROM items
              WHERE {SHORT} AND {ACTIVE}
              ORDER BY allocated_quantity - stocked_quantity DESC, id"
        ))?
        .query_map([], short_item)?
        .collect::<Result<Vec<_>, _>>()?)
}

/// When the last digest was queued (seconds), if ever.
pub fn last_digest_at(conn: &Connection) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT max(created_at) FROM notification_outbox WHERE event = '{EVENT_DIGEST}'"
        ))?
        .query_row([], |r| r.get(0))?)
}

/// An item with more units allocated than stocked.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShortItem {
    pub id: i64,
    pub name: String,
    pub stocked_quantity: i64,
    pub allocated_quantity: i64,
    pub missing: i64,
}

/// A short item from the columns `id, name, stocked_quantity,
/// allocated_quantity` (the dashboard's list and the digest's read the same).
pub fn short_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<ShortItem> {
    let stocked: i64 = r.get(2)?;
    let allocated: i64 = r.get(3)?;
    Ok(ShortItem {
        id: r.get(0)?,
        name: r.get(1)?,
        stocked_quantity: stocked,
        allocated_quantity: allocated,
        missing: allocated - stocked,
    })
}

#[cfg(test)]
mod tests {
    use super::{ACTIVE, LOW, SHORT};

    /// The partial indexes and the watch trigger are history (a migration is
    /// never edited), so they cannot use the constants; this keeps them the
    /// same conditions, archived filter included.
    #[test]
    fn the_indexes_and_the_trigger_say_low_and_short_as_this_file_does() {
        let bare = |c: &str| c.trim_matches(['(', ')']).to_string();
        let row = |c: &str, of: &str| {
            [
                "min_quantity",
                "total_quantity",
                "allocated_quantity",
                "stocked_quantity",
                "archived_at",
            ]
            .iter()
            .fold(bare(c), |s, col| s.replace(col, &format!("{of}.{col}")))
        };
        let old = |c: &str| row(c, "OLD");
        let alerts = include_str!("migrations/0016_stock_alerts.sql");
        let schema = include_str!("../../schema.sql");
        assert!(alerts.contains(&format!("WHERE {} AND {ACTIVE};", bare(LOW))));
        assert!(schema.contains(&format!("WHERE {};", bare(SHORT))));
        assert!(alerts.contains(&format!("{} AND {},", old(ACTIVE), old(LOW))));
        assert!(alerts.contains(&format!("{} AND {}\n", old(ACTIVE), old(SHORT))));
        // The kept counts of migration 0027, in every spelling it uses.
        let counts = include_str!("migrations/0027_alert_counts.sql");
        for of in ["OLD", "NEW"] {
            for c in [SHORT, LOW] {
                let kept = format!("({} AND {})", row(c, of), row(ACTIVE, of));
                assert!(counts.contains(&kept), "{kept}");
            }
        }
        for c in [SHORT, LOW] {
            assert!(
                counts.contains(&format!("WHERE {} AND {ACTIVE}", bare(c))),
                "{c}"
            );
        }
    }
}
