//! Search, filter, sort and paging for the inventory lists: one value describing
//! what the client asked for, turned into SQL fragments with bound parameters.
//! Column names never come from the client: `sort` picks from a per-resource
//! whitelist of SQL expressions.

use crate::error::AppResult;
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

/// One sortable column of a list: the name clients use and the SQL expression
/// over the list's row (`t.`). Text columns sort case-insensitively.
pub struct SortColumn {
    pub name: &'static str,
    pub sql: &'static str,
    pub text: bool,
}

pub const fn sort(name: &'static str, sql: &'static str, text: bool) -> SortColumn {
    SortColumn { name, sql, text }
}

/// A validated list request. `search` is already a LIKE pattern.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub search: Option<String>,
    pub category: Option<String>,
    pub sort_sql: &'static str,
    pub sort_text: bool,
    pub descending: bool,
    pub limit: Option<i64>,
    pub offset: i64,
}

impl ListQuery {
    /// Everything, in id order: what a list without parameters returns.
    pub fn all() -> ListQuery {
        ListQuery {
            search: None,
            category: None,
            sort_sql: "t.id",
            sort_text: false,
            descending: false,
            limit: None,
            offset: 0,
        }
    }

    /// `ORDER BY` with the id as tie-breaker so pages never overlap or skip rows.
    pub fn order_by(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        let collate = if self.sort_text {
            " COLLATE NOCASE"
        } else {
            ""
        };
        if self.sort_sql == "t.id" {
            format!("ORDER BY t.id {dir}")
        } else {
            format!("ORDER BY {}{collate} {dir}, t.id {dir}", self.sort_sql)
        }
    }

    /// `LIMIT … OFFSET …`; no limit means every row from `offset` on.
    pub fn limit_clause(&self) -> String {
        format!("LIMIT {} OFFSET {}", self.limit.unwrap_or(-1), self.offset)
    }
}

/// Turns a search text into a LIKE pattern matching it anywhere, with the LIKE
/// wildcards in the text taken literally (used with `ESCAPE '\'`).
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A WHERE clause under construction: conditions joined with AND, parameters
/// bound positionally in the order they were added.
#[derive(Default)]
pub struct Filter {
    conditions: Vec<String>,
    pub params: Vec<Value>,
}

impl Filter {
    /// Adds `condition`, where each `?` is bound to the next of `values`.
    pub fn add(&mut self, condition: &str, values: Vec<Value>) {
        self.conditions.push(condition.to_string());
        self.params.extend(values);
    }

    /// Whether no condition was added.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    pub fn sql(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// The query counting the rows of `from` (a table, or the joins `f` needs)
/// that match `f`, for [`page`].
pub fn count_sql(from: &str, f: &Filter) -> String {
    format!("SELECT count(*) FROM {from} {}", f.sql())
}

/// One page of a list and the number of matching rows over all pages. `rows`
/// is a SELECT the filter `f` applies to (its columns are the `t.` that sorts
/// refer to); `count_sql` counts the matching rows, kept apart so counting
/// never computes per-row aggregates (see [`count_sql`]).
pub fn page<T>(
    conn: &Connection,
    q: &ListQuery,
    f: &Filter,
    rows: &str,
    count_sql: &str,
    from_row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> AppResult<(Vec<T>, i64)> {
    let sql = format!(
        "SELECT * FROM ({rows} {where_}) AS t {order} {limit}",
        where_ = f.sql(),
        order = q.order_by(),
        limit = q.limit_clause()
    );
    let page = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(f.params.iter()), from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn
        .prepare_cached(count_sql)?
        .query_row(params_from_iter(f.params.iter()), |r| r.get(0))?;
    Ok((page, total))
}
