//! `/api/project`: projects; `?details=true` adds their allocations.

use crate::api::input::{self, MAX_TEXT};
use crate::api::items::plural;
use crate::api::placement;
use crate::db::named::{self, PROJECTS};
use crate::db::placement::{self as rows, ALLOCATIONS};
use crate::db::{self, projects};
use crate::error::AppResult;
use crate::http::Reply;
use crate::router::Ctx;
use serde::Deserialize;

/// `POST /api/project`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProjectBody {
    name: String,
    description: Option<String>,
}

/// `PUT /api/project`: either field may be left out; `null` clears the description.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectChanges {
    #[serde(default, deserialize_with = "input::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "input::nullable")]
    description: Option<Option<String>>,
}

/// `GET /api/project`: every project (searchable, sortable, paged) or `?id=`
/// one; `?details=true` adds `allocations`.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let details = ctx.req.flag("details");
    if let Some(id) = ctx.req.opt_id_param("id")? {
        let project = db::read(ctx.conn, |tx| {
            let mut p = projects::get(tx, id)?;
            if details {
                p.allocations = Some(rows::held_at(tx, &ALLOCATIONS, id)?);
            }
            Ok(p)
        })?;
        return Ok(Reply::ok(&project));
    }
    let q = input::list_query(ctx.req, projects::SORTS)?;
    let page = db::read(ctx.conn, |tx| {
        let mut page = projects::list(tx, &q)?;
        if details {
            for p in &mut page.rows {
                p.allocations = Some(rows::held_at(tx, &ALLOCATIONS, p.id)?);
            }
        }
        Ok(page)
    })?;
    Ok(input::page_reply(&page))
}

/// `POST /api/project` `{name, description?}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewProjectBody = ctx.req.json()?;
    let name = input::name("name", &body.name)?;
    let description = input::text("description", body.description.as_deref(), MAX_TEXT)?;
    let project = db::write(ctx.conn, |tx| {
        named::ensure_name_free(tx, &PROJECTS, &name, None)?;
        let id = projects::insert(tx, &name, description.as_deref())?;
        projects::get(tx, id)
    })?;
    Ok(Reply::created(&project))
}

/// `PUT /api/project?id=` `{name?, description?}`; omitted fields stay.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: ProjectChanges = ctx.req.json()?;
    let name = input::name_change("name", body.name)?;
    let description = input::text_change("description", body.description, MAX_TEXT)?;
    let project = db::write(ctx.conn, |tx| {
        let old = projects::get(tx, id)?;
        let name = name.unwrap_or(old.name);
        let description = description.unwrap_or(old.description);
        named::ensure_name_free(tx, &PROJECTS, &name, Some(id))?;
        projects::update(tx, id, &name, description.as_deref())?;
        projects::get(tx, id)
    })?;
    Ok(Reply::ok(&project))
}

/// `DELETE /api/project?id=`: only a project without allocations.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete_place(ctx, &ALLOCATIONS, "allocation_rows", |project, rows| {
        format!(
            "Project '{project}' cannot be deleted: it has {}. Remove them first.",
            plural(rows, "allocation", "allocations")
        )
    })
}
