//! Tags (migration 0008): the tags of items, the list of tags with how many
//! items carry each, and renaming or merging a tag. A tag row exists while an
//! item carries it; a trigger deletes it with its last use.

use crate::db::item_details::refresh_search_tagged;
use crate::error::AppResult;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;

/// A tag and how many active items carry it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TagCount {
    pub name: String,
    pub item_count: i64,
}

/// Replaces the item's tags with `names` (already normalised and distinct).
/// Tags the item keeps keep their rows.
pub fn set_for_item(conn: &Connection, item_id: i64, names: &[String]) -> AppResult<()> {
    let list = serde_json::to_string(names).expect("a list of strings serialises");
    conn.prepare_cached(
        "DELETE FROM item_tags WHERE item_id = ?1 AND tag_id NOT IN
            (SELECT id FROM tags WHERE name IN (SELECT value FROM json_each(?2)))",
    )?
    .execute(params![item_id, list])?;
    let mut add_tag =
        conn.prepare_cached("INSERT INTO tags (name) VALUES (?1) ON CONFLICT DO NOTHING")?;
    let mut add_use = conn.prepare_cached(
        "INSERT OR IGNORE INTO item_tags (item_id, tag_id) SELECT ?1, id FROM tags WHERE name = ?2",
    )?;
    for name in names {
        add_tag.execute([name])?;
        add_use.execute(params![item_id, name])?;
    }
    Ok(())
}

/// The tags of each of the items, in name order.
pub fn for_items(conn: &Connection, item_ids: &[i64]) -> AppResult<HashMap<i64, Vec<String>>> {
    let ids = serde_json::to_string(item_ids).expect("a list of integers serialises");
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT it.item_id, g.name FROM item_tags it JOIN tags g ON g.id = it.tag_id
          WHERE it.item_id IN (SELECT value FROM json_each(?1)) ORDER BY it.item_id, g.name",
    )?;
    let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (id, name): (i64, String) = row?;
        out.entry(id).or_default().push(name);
    }
    Ok(out)
}

/// Every tag an active item carries, in name order, with how many do; with
/// `like` (a LIKE pattern) only the tags matching it.
pub fn list(conn: &Connection, like: Option<&str>) -> AppResult<Vec<TagCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT g.name, count(*) FROM tags g
           JOIN item_tags it ON it.tag_id = g.id
           JOIN items i ON i.id = it.item_id AND i.archived_at IS NULL
          WHERE ?1 IS NULL OR g.name LIKE ?1 ESCAPE '\\'
          GROUP BY g.id ORDER BY g.name",
    )?;
    let rows = stmt.query_map([like], |r| {
        Ok(TagCount {
            name: r.get(0)?,
            item_count: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The ids of the tags named `names`, rarest first; `None` when an item
/// carries none of one of them (then no item has them all). Uses are counted
/// up to 10 000: past that, which tag leads matters little and counting costs.
pub fn ids_rarest_first(conn: &Connection, names: &[String]) -> AppResult<Option<Vec<i64>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, (SELECT count(*) FROM (SELECT 1 FROM item_tags WHERE tag_id = tags.id LIMIT 10000))
           FROM tags WHERE name = ?1",
    )?;
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        match stmt
            .query_row([name], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(0)?)))
            .optional()?
        {
            Some(uses_and_id) => found.push(uses_and_id),
            None => return Ok(None),
        }
    }
    found.sort();
    found.dedup_by_key(|(_, id)| *id);
    Ok(Some(found.into_iter().map(|(_, id)| id).collect()))
}

/// The id of the tag named `name`, if any item carries it.
fn id_of(conn: &Connection, name: &str) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM tags WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// Renames the tag `from` to `to`; when `to` exists already the two are
/// merged: every item carrying `from` carries `to` instead, once. `None` when
/// no item carries `from`. Answers the tag as it is now.
pub fn rename(conn: &Connection, from: &str, to: &str) -> AppResult<Option<TagCount>> {
    let Some(from_id) = id_of(conn, from)? else {
        return Ok(None);
    };
    let to_id = match id_of(conn, to)? {
        Some(to_id) if to_id == from_id => to_id,
        Some(to_id) => {
            // Items that had both keep the one `to`; deleting the last use of
            // `from` deletes its row (trigger item_tags_unused).
            conn.prepare_cached(
                "INSERT OR IGNORE INTO item_tags (item_id, tag_id)
                 SELECT item_id, ?2 FROM item_tags WHERE tag_id = ?1",
            )?
            .execute(params![from_id, to_id])?;
            conn.prepare_cached("DELETE FROM item_tags WHERE tag_id = ?1")?
                .execute([from_id])?;
            to_id
        }
        None => {
            conn.prepare_cached("UPDATE tags SET name = ?2 WHERE id = ?1")?
                .execute(params![from_id, to])?;
            from_id
        }
    };
    refresh_search_tagged(conn, to_id)?;
    let item_count = conn
        .prepare_cached(
            "SELECT count(*) FROM item_tags it JOIN items i ON i.id = it.item_id
              WHERE it.tag_id = ?1 AND i.archived_at IS NULL",
        )?
        .query_row([to_id], |r| r.get(0))?;
    Ok(Some(TagCount {
        name: to.to_string(),
        item_count,
    }))
}
