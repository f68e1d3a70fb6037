//! `/api/location`: storage places in a tree. `?content=true` adds what each
//! one holds, `?recursive=true` what lies inside it too; `?top=true` and
//! `?parent_id=N` list one level. A move never makes a location its own
//! ancestor and never puts one deeper than [`tree::MAX_DEPTH`]; names are
//! unique among siblings. A location with locations inside it in use cannot
//! be deleted, and one inside an archived location is restored only after it.

use crate::api::list;
use crate::api::places::placement;
use crate::api::words::plural;
use crate::ctx::Ctx;
use crate::db::facts::Fact;
use crate::db::listing::ListQuery;
use crate::db::locations::{self, Level, Location};
use crate::db::named::{self, LOCATIONS};
use crate::db::placement::{self as placed, Placed, PlacedFilter, STOCK};
use crate::db::places::{self, Place};
use crate::db::skeleton::{Among, look_alike};
use crate::db::{self, tree};
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use crate::rules::fields::{self, Whole};
use rusqlite::Connection;
use serde::Deserialize;

/// `POST /api/location`: a name, and the location it is inside (absent or
/// null: top level).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLocation {
    #[schemars(length(max = fields::MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: String,
    #[serde(default)]
    #[schemars(with = "Option<fields::IdNumber>")]
    parent_id: Option<Whole>,
}

/// `PUT /api/location`: a new name, a new parent (null: top level), or both;
/// what is left out stays.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub(crate) struct LocationChange {
    #[serde(default, deserialize_with = "fields::present")]
    #[schemars(with = "String", length(max = fields::MAX_NAME), regex(pattern = fields::NAME_PATTERN))]
    name: Option<String>,
    #[serde(default, deserialize_with = "fields::nullable")]
    #[schemars(with = "Option<fields::IdNumber>")]
    parent_id: Option<Option<Whole>>,
}

/// `GET /api/location`: every location, or one level of the tree (`?top=true`,
/// `?parent_id=N`), searchable, sortable, paged; or `?id=` one. With
/// `?recursive=true` totals count what lies inside, and one location's
/// `?content=true` lists it too, each row with its location's path.
pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let recursive = ctx.req.flag("recursive")?;
    // The level is checked with `id` too, where it does nothing, so that a
    // wrong one is never silently ignored.
    let level = level(ctx.req)?;
    if let Some(id) = ctx.req.opt_id_param("id")? {
        if !recursive {
            return placement::get_place::<Location>(ctx, "content");
        }
        return get_with_inside(ctx, id);
    }
    if recursive && ctx.req.flag("content")? {
        return Err(AppError::invalid_field(
            "recursive",
            "Ask for one location's content with what is inside it (?id=N&content=true&recursive=true).",
        ));
    }
    placement::list_places::<Location>(ctx, "content", |tx, q| {
        if let Level::Inside(parent) = level {
            named::name_of(tx, &LOCATIONS, parent).map_err(|e| e.with("field", "parent_id"))?;
        }
        locations::list(tx, q, level, recursive)
    })
}

/// The level a list asks for: `?top=true`, `?parent_id=N`, or neither (all).
fn level(req: &Request) -> AppResult<Level> {
    match (req.opt_id_param("parent_id")?, req.flag("top")?) {
        (Some(_), true) => Err(AppError::invalid_field(
            "parent_id",
            "List either the top level (top=true) or one location's children (parent_id=N), not both.",
        )),
        (Some(id), false) => Ok(Level::Inside(id)),
        (None, true) => Ok(Level::Top),
        (None, false) => Ok(Level::All),
    }
}

/// One location with totals over everything inside it; with `?content=true`
/// the stock rows there and inside, each with its location, by item name (one
/// page of them when list parameters are given).
fn get_with_inside(ctx: &mut Ctx<'_>, id: i64) -> AppResult<Reply> {
    let with_content = ctx.req.flag("content")?;
    let by = PlacedFilter {
        item_id: None,
        place_id: Some(id),
        within: true,
    };
    // Checked even when not paged, so that a wrong one is never ignored.
    let q = list::list_query(ctx.req, STOCK.sorts)?;
    if with_content && list::wants_page(ctx.req) {
        let (mut location, page) = db::read(ctx.conn, |tx| {
            let location = locations::get(tx, id, true)?;
            Ok((location, placed::list(tx, &STOCK, &q, by)?))
        })?;
        location.hold(page.rows.iter().map(Placed::held).collect());
        return Ok(list::page_headers(Reply::ok(&location), &page, &q));
    }
    let location = db::read(ctx.conn, |tx| {
        let mut location = locations::get(tx, id, true)?;
        if with_content {
            let mut q = ListQuery::all();
            q.sort = STOCK
                .sorts
                .iter()
                .find(|c| c.name == "item_name")
                .expect("stock rows sort by item name");
            let rows = placed::list(tx, &STOCK, &q, by)?.rows;
            location.hold(rows.iter().map(Placed::held).collect());
        }
        Ok(location)
    })?;
    Ok(Reply::ok(&location))
}

/// `POST /api/location` `{name, parent_id?}`.
pub fn create(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: NewLocation = ctx.req.json()?;
    let name = fields::name("name", &body.name)?;
    let parent = body
        .parent_id
        .map(|p| fields::id("parent_id", p))
        .transpose()?;
    let location: Location = db::write(ctx.conn, |tx| {
        if let Some(parent) = parent {
            active_parent(tx, parent)?;
            check_depth(tx, parent, 0)?;
        }
        locations::ensure_name_free(tx, parent, &name, None)?;
        let id = locations::insert(tx, &name, parent)?;
        let mut location: Location = places::get(tx, id)?;
        location.similar_to = look_alike(tx, Among::LocationsIn(parent), &name, id)?;
        Ok(location)
    })?;
    Ok(Reply::created(&location))
}

/// `PUT /api/location?id=` `{name?, parent_id?}`: renames, moves (null: to
/// the top level), or both.
pub fn update(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: LocationChange = ctx.req.json()?;
    if body.name.is_none() && body.parent_id.is_none() {
        return Err(AppError::invalid_field(
            "name",
            "Give the location a new name, a new parent_id, or both.",
        ));
    }
    let new_name = fields::name_change("name", body.name)?;
    let new_parent = body
        .parent_id
        .map(|p| p.map(|p| fields::id("parent_id", p)).transpose())
        .transpose()?;
    let location: Location = db::write(ctx.conn, |tx| {
        let name = named::name_of_active(tx, &LOCATIONS, id)?;
        let parent = match new_parent {
            None => tree::parent_of(tx, id)?,
            Some(None) => None,
            Some(Some(parent)) => {
                let parent_name = active_parent(tx, parent)?;
                if tree::is_within(tx, parent, id)? {
                    return Err(Fact::LocationCycle {
                        location: (id, name),
                        parent: (parent, parent_name),
                    }
                    .into());
                }
                check_depth(tx, parent, tree::height(tx, id)?)?;
                Some(parent)
            }
        };
        let name = new_name.unwrap_or(name);
        locations::ensure_name_free(tx, parent, &name, Some(id))?;
        locations::set_name_and_parent(tx, id, &name, parent)?;
        let mut location: Location = places::get(tx, id)?;
        location.similar_to = look_alike(tx, Among::LocationsIn(parent), &name, id)?;
        Ok(location)
    })?;
    Ok(Reply::ok(&location))
}

/// The name of the location something goes into: 404 when it does not exist,
/// 409 `archived` when archived, both naming the field `parent_id`.
fn active_parent(conn: &Connection, parent: i64) -> AppResult<String> {
    named::name_of_active(conn, &LOCATIONS, parent).map_err(|e| e.with("field", "parent_id"))
}

/// Refuses putting a location with `height` levels below it into `parent`
/// when its deepest location would go below [`tree::MAX_DEPTH`].
fn check_depth(conn: &Connection, parent: i64, height: i64) -> AppResult<()> {
    let deepest = tree::depth(conn, parent)? + 1 + height;
    if deepest > tree::MAX_DEPTH {
        return Err(Fact::LocationTooDeep {
            depth: deepest,
            max: tree::MAX_DEPTH,
        }
        .into());
    }
    Ok(())
}

/// `DELETE /api/location?id=`: refused with 409 `in_use` while stock rows or
/// locations in use are in it. One with history, or with archived locations
/// inside it (they keep pointing at it), is archived; otherwise it is deleted.
pub fn delete(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let archived = db::write(ctx.conn, |tx| {
        let name = named::name_of_active(tx, &LOCATIONS, id)?;
        let rows = placed::rows_at(tx, &STOCK, id)?;
        let (children_in_use, children) = tree::children(tx, id)?;
        if rows > 0 || children_in_use > 0 {
            return Err(in_use(&name, rows, children_in_use));
        }
        if children > 0 || named::has_history(tx, &LOCATIONS, id)? {
            named::set_archived(tx, &LOCATIONS, id, true)?;
            return Ok(true);
        }
        named::delete(tx, &LOCATIONS, id)?;
        Ok(false)
    })?;
    Ok(crate::api::deleted_or_archived(id, archived))
}

fn in_use(name: &str, rows: i64, children: i64) -> AppError {
    let mut what = Vec::new();
    if rows > 0 {
        what.push(plural(rows, "stock row", "stock rows"));
    }
    if children > 0 {
        what.push(plural(children, "location", "locations"));
    }
    AppError::conflict(
        "in_use",
        format!(
            "Location '{name}' cannot be deleted: it holds {}. Move or remove them first.",
            what.join(" and ")
        ),
    )
    .with("stock_rows", rows)
    .with("child_locations", children)
}

/// `POST /api/location/restore?id=`: an archived location is back where it
/// was; one inside an archived location is refused (409 `parent_archived`)
/// until that one is restored, so the tree never has a location in use inside
/// an archived one.
pub fn restore(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let location: Location = db::write(ctx.conn, |tx| {
        if !named::is_archived(tx, &LOCATIONS, id)? {
            return Err(Fact::NotArchived {
                noun: LOCATIONS.noun,
                id,
            }
            .into());
        }
        if let Some(parent) = tree::parent_of(tx, id)?
            && named::is_archived(tx, &LOCATIONS, parent)?
        {
            return Err(Fact::ParentArchived {
                location: (id, named::name_of(tx, &LOCATIONS, id)?),
                parent: (parent, named::name_of(tx, &LOCATIONS, parent)?),
            }
            .into());
        }
        named::set_archived(tx, &LOCATIONS, id, false)?;
        places::get(tx, id)
    })?;
    Ok(Reply::ok(&location))
}
