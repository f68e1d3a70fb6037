//! The `projects` table: projects with unique (case-insensitive) names, a
//! description, their allocation totals and allocation details.

use crate::db::listing::{Filter, ListQuery, SortColumn, sort};
use crate::error::{AppError, AppResult};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
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
    pub allocations: Option<Vec<Detail>>,
}

/// One allocation of a project, as `?details=true` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub association_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub quantity: i64,
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

fn filter(q: &ListQuery) -> Filter {
    let mut f = Filter::default();
    if let Some(p) = &q.search {
        f.add(
            "(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')",
            vec![Value::Text(p.clone()), Value::Text(p.clone())],
        );
    }
    f
}

pub fn list(conn: &Connection, q: &ListQuery) -> AppResult<(Vec<Project>, i64)> {
    let f = filter(q);
    let sql = format!(
        "SELECT * FROM ({ROWS} {where_}) AS t {order} {limit}",
        where_ = f.sql(),
        order = q.order_by(),
        limit = q.limit_clause()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(f.params.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn
        .prepare_cached(&format!("SELECT count(*) FROM projects {}", f.sql()))?
        .query_row(params_from_iter(f.params.iter()), |r| r.get(0))?;
    Ok((rows, total))
}

pub fn by_id(conn: &Connection, id: i64) -> AppResult<Option<Project>> {
    Ok(conn
        .prepare_cached(&format!("{ROWS} WHERE p.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Project> {
    by_id(conn, id)?.ok_or_else(|| not_found(id))
}

pub fn not_found(id: i64) -> AppError {
    AppError::not_found(format!("Project {id} does not exist.")).with("project_id", id)
}

/// The allocations of a project, by item name.
pub fn details(conn: &Connection, id: i64) -> AppResult<Vec<Detail>> {
    Ok(conn
        .prepare_cached(
            "SELECT a.id, a.item_id, i.name, a.quantity FROM project_items a JOIN items i ON i.id = a.item_id
             WHERE a.project_id = ?1 ORDER BY i.name COLLATE NOCASE, a.id",
        )?
        .query_map([id], |r| {
            Ok(Detail {
                association_id: r.get(0)?,
                item_id: r.get(1)?,
                item_name: r.get(2)?,
                quantity: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Refuses a name another project already has (case-insensitively).
pub fn ensure_name_free(conn: &Connection, name: &str, except: Option<i64>) -> AppResult<()> {
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM projects WHERE name = ?1 AND id <> ?2")?
        .query_row(params![name, except.unwrap_or(0)], |r| r.get(0))
        .optional()?;
    match existing {
        Some(id) => Err(name_taken(name).with("existing_id", id)),
        None => Ok(()),
    }
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(
        "name_taken",
        format!("A project named '{name}' already exists."),
    )
    .with("field", "name")
}

fn map_unique(name: &str) -> impl FnOnce(rusqlite::Error) -> AppError + '_ {
    move |e| {
        if crate::db::is_unique_violation(&e) {
            name_taken(name)
        } else {
            e.into()
        }
    }
}

pub fn insert(conn: &Connection, name: &str, description: Option<&str>) -> AppResult<i64> {
    conn.prepare_cached("INSERT INTO projects (name, description) VALUES (?1, ?2)")?
        .execute(params![name, description])
        .map_err(map_unique(name))?;
    Ok(conn.last_insert_rowid())
}

pub fn update(conn: &Connection, id: i64, name: &str, description: Option<&str>) -> AppResult<()> {
    conn.prepare_cached("UPDATE projects SET name = ?2, description = ?3 WHERE id = ?1")?
        .execute(params![id, name, description])
        .map_err(map_unique(name))?;
    Ok(())
}

/// How many allocations keep the project from being deleted.
pub fn allocation_rows(conn: &Connection, id: i64) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM project_items WHERE project_id = ?1")?
        .query_row([id], |r| r.get(0))?)
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("DELETE FROM projects WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}
