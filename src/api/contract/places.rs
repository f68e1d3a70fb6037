//! Operations of the API document: locations, projects, stock rows,
//! allocations, the quick actions and stocktakes.

use super::op::*;
use crate::api::{Deleted, list::MAX_LIMIT};
use crate::api::{
    places::allocations, places::locations, places::placement, places::projects, places::quick,
    places::stock, places::stocktakes,
};
use crate::db::locations::Location;
use crate::db::placement::{ALLOCATIONS, Placed, STOCK};
use crate::db::places::Place;
use crate::db::projects::Project;
use crate::db::stocktakes::Stocktake;
use crate::http::Method::{Delete, Get, Post, Put};

const DELETED: Content = Content::Json(schema::<Deleted>);
const LOCATION: Content = Content::Json(schema::<Location>);
const PROJECT: Content = Content::Json(schema::<Project>);
const ROW: Content = Content::Json(schema::<Placed>);

const LOCATION_ID: Param = required("id", Takes::Id, "The location's id.");
const PROJECT_ID: Param = required("id", Takes::Id, "The project's id.");
const ROW_ID: Param = required("id", Takes::Id, "The row's id.");

/// `GET` of a place answers one with `id`, a page without.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum LocationOrLocations {
    One(Box<Location>),
    Page(Vec<Location>),
}

#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum ProjectOrProjects {
    One(Box<Project>),
    Page(Vec<Project>),
}

#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum RowOrRows {
    One(Box<Placed>),
    Page(Vec<Placed>),
}

pub const OPS: &[Op] = &[
    // ── locations ──
    op(Get, "/api/location", "Locations: one by id, one level of the tree, or all")
        .about("With `id`: one location; `content=true` adds what it holds (paged by the list parameters when any is given, with `X-Total-Count`), `recursive=true` counts and lists what lies inside it too. Without `id`: every location, or `top=true` the top level, or `parent_id` one location's children, searchable, sortable and paged.")
        .params(&[
            query("id", Takes::Id, "Read this one location."),
            query("content", Takes::Flag, "Add what each location holds."),
            query("recursive", Takes::Flag, "Count (and with content, list) what lies inside too."),
            query("top", Takes::Flag, "Only the top level."),
            query("parent_id", Takes::Id, "Only the locations directly inside this one."),
        ])
        .list(<Location as Place>::SORTS)
        .contents(STOCK.sorts)
        .answers(&[answer(200, "The location, or a page of locations.", Content::Json(schema::<LocationOrLocations>)).list()]),
    op(Post, "/api/location", "Create a location")
        .about("Names are unique among siblings (409 `duplicate_name`); a tree is at most 8 levels deep.")
        .body(schema::<locations::NewLocation>)
        .answers(&[answer(201, "The new location.", LOCATION).links(&[
            link(Get, "/api/location", "id", "/id"),
            link(Put, "/api/location", "id", "/id"),
            link(Delete, "/api/location", "id", "/id"),
        ])]),
    op(Put, "/api/location", "Rename or move a location")
        .about("A move never puts a location inside itself or below the deepest level (409).")
        .params(&[LOCATION_ID])
        .body(schema::<locations::LocationChange>)
        .answers(&[answer(200, "The location as changed.", LOCATION)]),
    op(Delete, "/api/location", "Delete a location (archived when it has history)")
        .about("Refused while it, or a location inside it, holds stock (409 `in_use`).")
        .params(&[LOCATION_ID])
        .answers(&[answer(200, "Deleted, or archived.", DELETED)
            .links(&[link(Post, "/api/location/restore", "id", "/id")])]),
    op(Post, "/api/location/restore", "Bring an archived location back")
        .params(&[LOCATION_ID])
        .answers(&[answer(200, "The location.", LOCATION)]),
    // ── projects ──
    op(Get, "/api/project", "Projects: one by id, or a searchable, sortable, paged list")
        .about("`details=true` adds each project's allocations (for one project, paged by the list parameters when any is given).")
        .params(&[
            query("id", Takes::Id, "Read this one project."),
            query("details", Takes::Flag, "Add the allocations."),
        ])
        .list(<Project as Place>::SORTS)
        .contents(ALLOCATIONS.sorts)
        .answers(&[answer(200, "The project, or a page of projects.", Content::Json(schema::<ProjectOrProjects>)).list()]),
    op(Post, "/api/project", "Create a project")
        .body(schema::<projects::NewProjectBody>)
        .answers(&[answer(201, "The new project.", PROJECT).links(&[
            link(Get, "/api/project", "id", "/id"),
            link(Put, "/api/project", "id", "/id"),
            link(Delete, "/api/project", "id", "/id"),
        ])]),
    op(Put, "/api/project", "Change a project")
        .params(&[PROJECT_ID])
        .body(schema::<projects::ProjectChanges>)
        .answers(&[answer(200, "The project as changed.", PROJECT)]),
    op(Delete, "/api/project", "Delete a project (archived when it has history)")
        .about("Refused while it has allocations (409 `in_use`).")
        .params(&[PROJECT_ID])
        .answers(&[answer(200, "Deleted, or archived.", DELETED)
            .links(&[link(Post, "/api/project/restore", "id", "/id")])]),
    op(Post, "/api/project/restore", "Bring an archived project back")
        .params(&[PROJECT_ID])
        .answers(&[answer(200, "The project.", PROJECT)]),
    // ── stock rows ──
    op(Get, "/api/stock", "Stock rows: one by id, or a filtered, sortable, paged list")
        .params(&[
            query("id", Takes::Id, "Read this one row."),
            query("item_id", Takes::Id, "Only this item's rows."),
            query("location_id", Takes::Id, "Only the rows at this location."),
        ])
        .list(STOCK.sorts)
        .answers(&[answer(200, "The row, or a page of rows.", Content::Json(schema::<RowOrRows>)).list()]),
    op(Post, "/api/stock", "Put units of an item at a location")
        .about("409 `duplicate` when the item already has a row there (`existing_id`), 409 `over_stock` beyond the item's total.")
        .body(schema::<stock::NewStock>)
        .answers(&[answer(201, "The new row.", ROW).links(&[
            link(Get, "/api/stock", "id", "/id"),
            link(Put, "/api/stock", "id", "/id"),
            link(Delete, "/api/stock", "id", "/id"),
        ])]),
    op(Put, "/api/stock", "Set a stock row's quantity")
        .params(&[ROW_ID])
        .body(schema::<placement::QuantityChange>)
        .answers(&[answer(200, "The row as changed.", ROW)]),
    op(Delete, "/api/stock", "Remove a stock row (its units leave stock)")
        .params(&[ROW_ID])
        .answers(&[answer(200, "Deleted.", DELETED)]),
    op(Post, "/api/stock/transfer", "Move units between locations")
        .about("Creates the target row if needed and removes an emptied source row, in one transaction. The two locations must differ (400 on `to_location_id`).")
        .body(schema::<stock::Transfer>)
        .answers(&[answer(200, "Both rows and the movement.", Content::Json(schema::<stock::Transferred>))]),
    op(Post, "/api/stock/consume", "Use up units at a location")
        .about("The units leave the location and the item's total; with `project_id` they also leave that project's allocation.")
        .body(schema::<quick::Consume>)
        .answers(&[answer(200, "The item's new figures and the movement.", Content::Json(schema::<quick::Done>))]),
    op(Post, "/api/stock/count", "Record a count at a location")
        .about("The row is set to what was counted; the difference is recorded as a movement.")
        .body(schema::<quick::Count>)
        .answers(&[answer(200, "The item's new figures and the movement.", Content::Json(schema::<quick::Done>))]),
    op(Get, "/api/stocktakes", "Stocktakes, newest first")
        .params(&[
            query("location_id", Takes::Id, "Only the stocktakes of this location."),
            query("limit", Takes::Int { min: 1, max: MAX_LIMIT }, "At most this many (default 50)."),
            query("offset", Takes::Int { min: 0, max: i64::MAX }, "Skip this many first."),
        ])
        .answers(&[answer(200, "A page of stocktakes.", Content::Json(schema::<Vec<Stocktake>>)).list()]),
    op(Post, "/api/stocktakes", "Apply a stocktake: many counts at once")
        .about("All counts or none, in one transaction; only differences are recorded.")
        .body(schema::<stocktakes::NewStocktake>)
        .answers(&[answer(201, "The stocktake and its differences.", Content::Json(schema::<stocktakes::Applied>))]),
    // ── allocations ──
    op(Get, "/api/association", "Allocations: one by id, or a filtered, sortable, paged list")
        .params(&[
            query("id", Takes::Id, "Read this one allocation."),
            query("item_id", Takes::Id, "Only this item's allocations."),
            query("project_id", Takes::Id, "Only this project's allocations."),
        ])
        .list(ALLOCATIONS.sorts)
        .answers(&[answer(200, "The allocation, or a page of them.", Content::Json(schema::<RowOrRows>)).list()]),
    op(Post, "/api/association", "Allocate units of an item to a project")
        .about("409 `duplicate` when the item is already allocated to the project, 409 `over_allocation` beyond the item's total.")
        .body(schema::<allocations::NewAllocation>)
        .answers(&[answer(201, "The new allocation.", ROW).links(&[
            link(Get, "/api/association", "id", "/id"),
            link(Put, "/api/association", "id", "/id"),
            link(Delete, "/api/association", "id", "/id"),
        ])]),
    op(Put, "/api/association", "Set an allocation's quantity")
        .params(&[ROW_ID])
        .body(schema::<placement::QuantityChange>)
        .answers(&[answer(200, "The allocation as changed.", ROW)]),
    op(Delete, "/api/association", "Release an allocation")
        .params(&[ROW_ID])
        .answers(&[answer(200, "Deleted.", DELETED)]),
];
