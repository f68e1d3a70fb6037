//! The `projects` table: projects with unique (case-insensitive) names, a
//! description, their allocation totals and allocation details. Name checks,
//! lookups by name and deletion are shared with locations (`named.rs`); the
//! allocations are in `placement.rs`.

use crate::db::listing::{self, Filter, ListQuery, Page, SortColumn, sort};
use crate::db::named::{self, PROJECTS};
use crate::db::placement::Held;
use crate::error::AppResult;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub allocated_units: i64,
    /// What is allocated to the project; only with `?details=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<Held>>,
}

pub const SORTS: &[SortColumn] = &[
    sort("id", "t.id", false),
    sort("name", "t.name", true),
    sort("item_count", "t.item_count", false),
    sort("allocated_units", "t.allocated_units", false),
];

const ROWS: &str = "SELECT p.id, p.name, p.description,
        (SELECT count(*) FROM project_items WHERE project_id = p.id) AS item_count,
        COALESCE((SELECT SUM(quantity) FROM project_items WHERE project_id = p.id), 0) AS allocated_units
    FROM projects p";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        item_count: r.get(3)?,
        allocated_units: r.get(4)?,
        allocations: None,
    })
}

pub fn list(conn: &Connection, q: &ListQuery) -> AppResult<Page<Project>> {
    let mut f = Filter::default();
    if let Some(p) = q.search.as_ref().map(|s| &s.like) {
        f.add(
            "(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')",
            vec![Value::Text(p.clone()), Value::Text(p.clone())],
        );
    }
    listing::page(
        conn,
        q,
        &f,
        ROWS,
        &listing::count_sql("projects", &f),
        from_row,
    )
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Project> {
    conn.prepare_cached(&format!("{ROWS} WHERE p.id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| named::not_found(&PROJECTS, id))
}

pub fn insert(conn: &Connection, name: &str, description: Option<&str>) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO projects (name, description) VALUES (?1, ?2)")?
        .execute(params![name, description])
        .map_err(named::map_unique(&PROJECTS, name))?;
    Ok(conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, name: &str, description: Option<&str>) -> AppResult<()> {
    conn.prepare_cached("UPDATE projects SET name = ?2, description = ?3 WHERE id = ?1")?
        .execute(params![id, name, description])
        .map_err(named::map_unique(&PROJECTS, name))?;
    Ok(())
}
