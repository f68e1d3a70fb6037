//! Reading a place (a location or a project) with what is placed there
//! (layer: db): the [`Place`] trait `locations.rs` and `projects.rs`
//! implement, and the reads over it. Its own file, so that `named.rs` (the
//! rows) and `placement.rs` (what is placed) each import neither the other nor
//! this one.

use crate::db::listing::{self, Filter, ListQuery, Page, SortColumn};
use crate::db::named::{self, Named};
use crate::db::placement::{Held, Placement};
use crate::error::AppResult;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row};

/// A named row as the API reads it: a location (it holds stock) or a project
/// (it has allocations). `locations.rs` and `projects.rs` say how each is read;
/// the reads themselves are [`get`] and [`list`] here.
pub trait Place: serde::Serialize + Sized {
    /// The table and its keys.
    fn named() -> &'static Named;
    /// What is placed there.
    fn placement() -> &'static Placement;
    /// `SELECT … FROM table n`: the columns [`Place::from_row`] reads.
    const ROWS: &'static str;
    /// The text columns `q` searches.
    const SEARCHED: &'static [&'static str];
    const SORTS: &'static [SortColumn];
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self>;
    fn id(&self) -> i64;
    /// Attaches what is placed there (`?content=true`, `?details=true`).
    fn hold(&mut self, held: Vec<Held>);
}

/// One row by id, or its 404.
pub fn get<P: Place>(conn: &Connection, id: i64) -> AppResult<P> {
    conn.prepare_cached(&format!("{} WHERE n.id = ?1", P::ROWS))?
        .query_row([id], P::from_row)
        .optional()?
        .ok_or_else(|| named::not_found(P::named(), id))
}

/// One page of rows: `q` searches the [`Place::SEARCHED`] columns.
pub fn list<P: Place>(conn: &Connection, q: &ListQuery) -> AppResult<Page<P>> {
    list_where::<P>(conn, q, P::ROWS, Filter::default())
}

/// One page of `rows` (a `SELECT` with the columns of [`Place::ROWS`]) that
/// also meet the conditions in `f` (on the table's own columns).
pub fn list_where<P: Place>(
    conn: &Connection,
    q: &ListQuery,
    rows: &str,
    mut f: Filter,
) -> AppResult<Page<P>> {
    if let Some(p) = q.search.as_ref().map(|s| &s.like) {
        let any: Vec<String> = P::SEARCHED
            .iter()
            .map(|c| format!("{c} LIKE ? ESCAPE '\\'"))
            .collect();
        f.add(
            &format!("({})", any.join(" OR ")),
            vec![Value::Text(p.clone()); P::SEARCHED.len()],
        );
    }
    f.archived(q.archived);
    let count = listing::count_sql(P::named().table, &f);
    listing::page(conn, q, &f, rows, &count, P::from_row)
}
