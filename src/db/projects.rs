//! The `projects` table: projects with unique (case-insensitive) names, a
//! description, their allocation totals and allocation details. Reading, name
//! checks and deletion are shared with locations (`named.rs`); the allocations
//! are in `placement.rs`.

use crate::db::listing::{SortColumn, sort, sort_natural};
use crate::db::named::{self, Named, PROJECTS};
use crate::db::placement::{ALLOCATIONS, Held, Placement};
use crate::db::places::Place;
use crate::error::AppResult;
use rusqlite::{Connection, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub allocated_units: i64,
    /// Answered by a create or rename only: another row (for a location, a
    /// sibling) whose name looks the same (the UTS #39 skeleton) but is not,
    /// such as "Kitchen" and "Kitсhen" with a Cyrillic с. A warning, not a
    /// refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similar_to: Option<i64>,
    /// When it was archived (deleted while it had history); absent in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<i64>,
    /// What is allocated to the project; only with `?details=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocations: Option<Vec<Held>>,
}

impl Place for Project {
    fn named() -> &'static Named {
        &PROJECTS
    }
    fn placement() -> &'static Placement {
        &ALLOCATIONS
    }
    const ROWS: &'static str = "SELECT n.id, n.name, n.description,
        (SELECT count(*) FROM project_items WHERE project_id = n.id) AS item_count,
        COALESCE((SELECT SUM(quantity) FROM project_items WHERE project_id = n.id), 0) AS allocated_units
        , n.archived_at, n.name_key
    FROM projects n";
    const SEARCHED: &'static [&'static str] = &["name", "description"];
    const SORTS: &'static [SortColumn] = &[
        sort("id", "t.id", false),
        sort_natural("name", "t.name_key", "t.name"),
        sort("item_count", "t.item_count", false),
        sort("allocated_units", "t.allocated_units", false),
    ];
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
        Ok(Project {
            id: r.get(0)?,
            name: r.get(1)?,
            description: r.get(2)?,
            item_count: r.get(3)?,
            allocated_units: r.get(4)?,
            archived_at: r.get(5)?,
            allocations: None,
            similar_to: None,
        })
    }
    fn id(&self) -> i64 {
        self.id
    }
    fn hold(&mut self, held: Vec<Held>) {
        self.allocations = Some(held);
    }
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
