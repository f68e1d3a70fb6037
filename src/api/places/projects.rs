//! `/api/project`: projects; `?details=true` adds their allocations.

use crate::api::places::placement;
use crate::ctx::Ctx;
use crate::db::named::{self, PROJECTS};
use crate::db::placement::ALLOCATIONS;
use crate::db::places;
use crate::db::projects::{self, Project};
use crate::db::skeleton::{Among, look_alike};
use crate::error::AppResult;
use crate::http::Reply;
use crate::rules::fields::{self, MAX_TEXT};
use serde::Deserialize;

/// `POST /api/project`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProjectBody {
    #[schemars(length(max = fields::MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: String,
    #[schemars(length(max = MAX_TEXT))]
    description: Option<String>,
}

/// `PUT /api/project`: either field may be left out; `null` clears the description.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectChanges {
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "String", length(max = fields::MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: Option<String>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(length(max = MAX_TEXT))]
    description: Option<Option<String>>,
}

/// `GET /api/project`: every project (searchable, sortable, paged) or `?id=`
/// one; `?details=true` adds `allocations`.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::get_place::<Project>(ctx, "details")
}

/// `POST /api/project` `{name, description?}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewProjectBody = ctx.req.json()?;
    let name = fields::name("name", &body.name)?;
    let description = fields::text("description", body.description.as_deref(), MAX_TEXT)?;
    let project: Project = crate::db::write(ctx.conn, |tx| {
        named::ensure_name_free(tx, &PROJECTS, &name, None)?;
        let id = projects::insert(tx, &name, description.as_deref())?;
        let mut project: Project = places::get(tx, id)?;
        project.similar_to = look_alike(tx, Among::Projects, &name, id)?;
        Ok(project)
    })?;
    Ok(Reply::created(&project))
}

/// `PUT /api/project?id=` `{name?, description?}`; omitted fields stay.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: ProjectChanges = ctx.req.json()?;
    let name = fields::name_change("name", body.name)?;
    let description = fields::text_change("description", body.description, MAX_TEXT)?;
    let project: Project = crate::db::write(ctx.conn, |tx| {
        named::name_of_active(tx, &PROJECTS, id)?;
        let old: Project = places::get(tx, id)?;
        let name = name.unwrap_or(old.name);
        let description = description.unwrap_or(old.description);
        named::ensure_name_free(tx, &PROJECTS, &name, Some(id))?;
        projects::update(tx, id, &name, description.as_deref())?;
        let mut project: Project = places::get(tx, id)?;
        project.similar_to = look_alike(tx, Among::Projects, &name, id)?;
        Ok(project)
    })?;
    Ok(Reply::ok(&project))
}

/// `DELETE /api/project?id=`: only a project without allocations; one with
/// history is archived.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::delete_place(ctx, &ALLOCATIONS)
}

/// `POST /api/project/restore?id=`.
pub fn restore(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    placement::restore_place::<Project>(ctx)
}
