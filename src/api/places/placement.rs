//! The create/update/delete steps stock rows and allocations share (see
//! `db::placement`): check the item and the place exist, refuse a second row
//! for the same pair, keep the item's placed units within its total, write,
//! and append a movement, all in one `BEGIN IMMEDIATE` transaction so that
//! clients placing units at once cannot together exceed the total. The public
//! handlers stay in `stock.rs` and `allocations.rs`; the places' own reads and
//! deletion (locations, projects) are here too, and so are the sentences of
//! every refusal about placed units.

use crate::api::list;
use crate::api::words::plural;
use crate::ctx::Ctx;
use crate::db::facts::{Fact, Noun};
use crate::db::items::{self, Item};
use crate::db::listing::{ListQuery, Page};
use crate::db::movements::{self, Change};
use crate::db::placement::{self, Placed, PlacedFilter, Placement};
use crate::db::places::{self, Place};
use crate::db::{self, named};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::rules::fields::{self, Whole};
use serde::Deserialize;

/// How the API words one kind of placement's refusals.
struct Words {
    /// The 409 for a second row of the same (item, place).
    duplicate: fn(item: &str, place: &str, existing: i64) -> String,
    /// The 409 for more units than the item has left.
    over: fn(left: i64, total: i64) -> String,
    /// The 409 for deleting a place that still holds rows, and the key of the
    /// number of rows in its body.
    in_use: fn(place: &str, rows: i64) -> String,
    rows_key: &'static str,
}

fn words(kind: &Placement) -> &'static Words {
    static STOCK: Words = Words {
        duplicate: |item, place, existing| {
            format!(
                "'{item}' is already stocked at '{place}' (stock row {existing}); change that row instead."
            )
        },
        over: |left, total| format!("Only {left} of {total} not yet stocked."),
        in_use: |location, rows| {
            format!(
                "Location '{location}' cannot be deleted: it holds {}. Move or remove them first.",
                plural(rows, "stock row", "stock rows")
            )
        },
        rows_key: "stock_rows",
    };
    static ALLOCATIONS: Words = Words {
        duplicate: |item, place, existing| {
            format!(
                "'{item}' is already allocated to '{place}' (allocation {existing}); change that allocation instead."
            )
        },
        over: |left, total| format!("Only {left} of {total} left to allocate."),
        in_use: |project, rows| {
            format!(
                "Project '{project}' cannot be deleted: it has {}. Remove them first.",
                plural(rows, "allocation", "allocations")
            )
        },
        rows_key: "allocation_rows",
    };
    match kind.noun {
        Noun::StockRow => &STOCK,
        _ => &ALLOCATIONS,
    }
}

/// `PUT` `{quantity, note?}`: the only thing a row lets change.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuantityChange {
    #[schemars(with = "crate::rules::fields::Quantity")]
    quantity: Whole,
    #[schemars(length(max = crate::rules::fields::MAX_TEXT))]
    note: Option<String>,
}

/// `GET`: every row (filtered by `item_id` and the place's key; searchable,
/// sortable, paged) or `?id=` one.
pub fn get(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    // The filters and list parameters are checked with `id` too, where they
    // do nothing, so that a wrong one is never silently ignored.
    let by = PlacedFilter {
        item_id: ctx.req.opt_id_param("item_id")?,
        place_id: ctx.req.opt_id_param(kind.place.key)?,
        within: false,
    };
    let q = list::list_query(ctx.req, kind.sorts)?;
    if let Some(id) = ctx.req.opt_id_param("id")? {
        return Ok(Reply::ok(&placement::get(ctx.conn, kind, id)?));
    }
    let page = db::read(ctx.conn, |tx| placement::list(tx, kind, &q, by))?;
    Ok(list::page_reply(&page, &q))
}

/// A new row as the client asked for it, already validated.
pub struct NewPlacement {
    pub item_id: i64,
    pub place_id: i64,
    pub quantity: i64,
    pub note: Option<String>,
}

impl NewPlacement {
    /// Checks the fields of a `POST` body; the place's id is named by its key
    /// (`location_id`, `project_id`) in errors.
    pub fn parse(
        kind: &Placement,
        item_id: Whole,
        place_id: Whole,
        quantity: Whole,
        note: Option<&str>,
    ) -> AppResult<NewPlacement> {
        Ok(NewPlacement {
            item_id: fields::id("item_id", item_id)?,
            place_id: fields::id(kind.place.key, place_id)?,
            quantity: fields::quantity("quantity", quantity)?,
            note: fields::note(note)?,
        })
    }
}

/// `POST`: creates the row and records the units as placed.
pub fn create(ctx: &mut Ctx<'_>, kind: &'static Placement, new: NewPlacement) -> AppResult<Reply> {
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let item = items::get_active(tx, new.item_id)?;
        let place = named::name_of_active(tx, kind.place, new.place_id)?;
        if let Some((existing, _)) = placement::find(tx, kind, new.item_id, new.place_id)? {
            return Err(AppError::conflict(
                "duplicate",
                (words(kind).duplicate)(&item.name, &place, existing),
            )
            .with("existing_id", existing));
        }
        let placed = placement::placed_except(tx, kind, new.item_id, None)?;
        check_total(kind, &item, placed, new.quantity)?;
        let id = placement::insert(tx, kind, new.item_id, new.place_id, new.quantity)?;
        let change = Change {
            note: new.note.as_deref(),
            ..kind.change(new.item_id, new.place_id, new.quantity, new.quantity)
        };
        movements::record(tx, user.actor(), &change)?;
        placement::get(tx, kind, id)
    })?;
    Ok(Reply::created(&row))
}

/// `PUT ?id=` `{quantity, note?}`: sets the row's quantity; a movement is
/// recorded only when it changes.
pub fn update(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let body: QuantityChange = ctx.req.json()?;
    let quantity = fields::quantity("quantity", body.quantity)?;
    let note = fields::note(body.note.as_deref())?;
    let user = ctx.user()?.clone();
    let row = db::write(ctx.conn, |tx| {
        let old = placement::get(tx, kind, id)?;
        let item = items::get(tx, old.item_id)?;
        let others = placement::placed_except(tx, kind, old.item_id, Some(id))?;
        check_total(kind, &item, others, quantity)?;
        placement::set_quantity(tx, kind, id, quantity)?;
        let delta = quantity - old.quantity;
        if delta != 0 {
            let change = Change {
                note: note.as_deref(),
                ..kind.change(old.item_id, old.place_id, delta, quantity)
            };
            movements::record(tx, user.actor(), &change)?;
        }
        placement::get(tx, kind, id)
    })?;
    Ok(Reply::ok(&row))
}

/// `DELETE ?id=`: the row's units are no longer placed (recorded as a movement
/// down to 0).
pub fn delete(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let user = ctx.user()?.clone();
    db::write(ctx.conn, |tx| {
        let old = placement::get(tx, kind, id)?;
        placement::delete(tx, kind, id)?;
        let change = kind.change(old.item_id, old.place_id, -old.quantity, 0);
        movements::record(tx, user.actor(), &change)?;
        Ok(())
    })?;
    Ok(crate::api::deleted(id))
}

/// `GET` of a place (a location or a project): every one (searchable,
/// sortable, paged) or `?id=` one; with `?{flag}=true` each also lists what is
/// placed there, read for the whole page in one query.
pub fn get_place<P: Place>(ctx: &mut Ctx<'_>, flag: &str) -> AppResult<Reply> {
    let with_held = ctx.req.flag(flag)?;
    let kind = P::placement();
    if let Some(id) = ctx.req.opt_id_param("id")? {
        if with_held && list::wants_page(ctx.req) {
            return get_place_paged::<P>(ctx, id);
        }
        // Not paged: the list parameters do nothing here, but a wrong one is
        // still refused rather than silently ignored.
        list::list_query(ctx.req, P::SORTS)?;
        let place = db::read(ctx.conn, |tx| {
            let mut p: P = places::get(tx, id)?;
            if with_held {
                p.hold(placement::held_at(tx, kind, id)?);
            }
            Ok(p)
        })?;
        return Ok(Reply::ok(&place));
    }
    list_places::<P>(ctx, flag, places::list::<P>)
}

/// A list of places (the list parameters apply) read by `read`; with
/// `?{flag}=true` each also lists what is placed there, read for the whole
/// page in one query.
pub fn list_places<P: Place>(
    ctx: &mut Ctx<'_>,
    flag: &str,
    read: impl FnOnce(&rusqlite::Connection, &ListQuery) -> AppResult<Page<P>>,
) -> AppResult<Reply> {
    let with_held = ctx.req.flag(flag)?;
    let kind = P::placement();
    let q = list::list_query(ctx.req, P::SORTS)?;
    let page = db::read(ctx.conn, |tx| {
        let mut page = read(tx, &q)?;
        if with_held {
            let ids: Vec<i64> = page.rows.iter().map(P::id).collect();
            let mut held = placement::held_at_each(tx, kind, &ids)?;
            for p in &mut page.rows {
                p.hold(held.remove(&p.id()).unwrap_or_default());
            }
        }
        Ok(page)
    })?;
    Ok(list::page_reply(&page, &q))
}

/// One place with one page of what is placed there: the list parameters
/// (`q`, `sort`, `order`, `limit`, `offset`, `cursor`) apply to the contents,
/// and `X-Total-Count`/`X-Next-Cursor` count them.
fn get_place_paged<P: Place>(ctx: &mut Ctx<'_>, id: i64) -> AppResult<Reply> {
    let kind = P::placement();
    let q = list::list_query(ctx.req, kind.sorts)?;
    let by = PlacedFilter {
        item_id: None,
        place_id: Some(id),
        within: false,
    };
    let (place, page) = db::read(ctx.conn, |tx| {
        let place: P = places::get(tx, id)?;
        Ok((place, placement::list(tx, kind, &q, by)?))
    })?;
    let mut place = place;
    place.hold(page.rows.iter().map(Placed::held).collect());
    Ok(list::page_headers(Reply::ok(&place), &page, &q))
}

/// `DELETE ?id=` of a place (a location or a project): refused with 409
/// `in_use` while rows are placed there, with the number of rows. A place
/// with history is archived (hidden, kept, restorable); one without is deleted.
pub fn delete_place(ctx: &mut Ctx<'_>, kind: &'static Placement) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let words = words(kind);
    let archived = db::write(ctx.conn, |tx| {
        let name = named::name_of_active(tx, kind.place, id)?;
        let rows = placement::rows_at(tx, kind, id)?;
        if rows > 0 {
            return Err(AppError::conflict("in_use", (words.in_use)(&name, rows))
                .with(words.rows_key, rows));
        }
        if named::has_history(tx, kind.place, id)? {
            named::set_archived(tx, kind.place, id, true)?;
            return Ok(true);
        }
        named::delete(tx, kind.place, id)?;
        Ok(false)
    })?;
    Ok(crate::api::deleted_or_archived(id, archived))
}

/// `POST …/restore?id=` of a place: an archived location or project is back.
pub fn restore_place<P: Place>(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx.req.id_param("id")?;
    let named = P::named();
    let place: P = db::write(ctx.conn, |tx| {
        if !named::is_archived(tx, named, id)? {
            return Err(Fact::NotArchived {
                noun: named.noun,
                id,
            }
            .into());
        }
        named::set_archived(tx, named, id, false)?;
        places::get(tx, id)
    })?;
    Ok(Reply::ok(&place))
}

/// Refuses `requested` units when `placed` (the item's other rows) plus them
/// would exceed the item's total: "Only 3 of 10 left to allocate."
pub fn check_total(kind: &Placement, item: &Item, placed: i64, requested: i64) -> AppResult<()> {
    let total = item.total_quantity;
    if placed + requested <= total {
        return Ok(());
    }
    let left = total - placed;
    Err(
        AppError::conflict(kind.over_code, (words(kind).over)(left, total))
            .with("field", "quantity")
            .with("total_quantity", total)
            .with(kind.placed_key, placed)
            .with(kind.left_key, left)
            .with("requested", requested),
    )
}
