//! The label pages: `/l/i/N` and `/l/l/N`, the short URLs printed labels
//! encode (they open the item's or the location's page; the routing table
//! sends someone logged out to the login page with the way back kept), and
//! `/labels`, sheets of labels to print: chosen items and locations
//! (`?items=1,2&locations=3`, `?contents=LOCATION` for everything in a
//! location) on one of the sheet layouts. The labels are drawn here, so the
//! preview is what prints, and a sheet of 240 needs no request per label.

use super::page;
use crate::ctx::Ctx;
use crate::db::{self, labels as rows};
use crate::error::{AppError, AppResult};
use crate::http::Reply;
use crate::labels::{self, Kind, Label};
use minijinja::{Value, context};

/// The most labels one page draws (ten A4 sheets of the smallest layout).
const MAX_LABELS: usize = 2400;

/// `/l/i/N`, `/l/l/N`: to the item's or location's page.
pub fn short_link(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let rest = ctx.req.path.strip_prefix("/l/").unwrap_or("");
    let (kind, id) = rest.split_once('/').unwrap_or(("", ""));
    let id = id.trim_end_matches('/');
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && id.bytes().all(|b| b.is_ascii_digit()));
    match (kind, id) {
        ("i", Some(id)) => Ok(Reply::redirect(&format!("/inventory?item={id}"))),
        ("l", Some(id)) => Ok(Reply::redirect(&format!("/locations?id={id}"))),
        _ => Err(AppError::not_found("There is nothing at this address.")),
    }
}

/// The ids in `?name=1,2,3` (also repeated: `?name=1&name=2`).
fn ids(ctx: &Ctx<'_>, name: &str) -> AppResult<Vec<i64>> {
    let mut out = Vec::new();
    for value in ctx.req.params(name) {
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse::<i64>() {
                Ok(n) if n > 0 => out.push(n),
                _ => {
                    return Err(AppError::invalid_field(
                        name,
                        format!("'{part}' in {name} is not an id."),
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// `/labels`: the chosen labels laid out in sheets, and the controls that
/// choose them.
pub fn sheet(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let mut items = ids(ctx, "items")?;
    let mut locations = ids(ctx, "locations")?;
    let contents = ctx.req.opt_id_param("contents")?;
    let layout = match ctx.req.param("layout") {
        None => &labels::LAYOUTS[0],
        Some(l) => labels::layout(l).ok_or_else(|| {
            AppError::invalid_field("layout", format!("There is no label layout '{l}'."))
        })?,
    };
    let (item_rows, location_rows) = db::read(ctx.conn, |tx| {
        if let Some(place) = contents {
            let (l, i) = rows::contents(tx, place)?;
            locations.extend(l);
            items.extend(i);
        }
        dedup(&mut items);
        dedup(&mut locations);
        if items.len() + locations.len() > MAX_LABELS {
            return Err(AppError::invalid_field(
                "items",
                format!("At most {MAX_LABELS} labels print at once."),
            ));
        }
        Ok((rows::items(tx, &items)?, rows::locations(tx, &locations)?))
    })?;
    let base = labels::base_url(
        ctx.app.config.public_url(),
        ctx.req.secure,
        ctx.req.header("host"),
    );
    let chosen = |kind: Kind, rows: &[rows::Labelled]| -> Vec<Value> {
        rows.iter()
            .map(|r| context! { kind => if kind == Kind::Item { "item" } else { "location" }, id => r.id, name => r.name.clone(), detail => r.detail.clone() })
            .collect()
    };
    let chosen: Vec<Value> = chosen(Kind::Item, &item_rows)
        .into_iter()
        .chain(chosen(Kind::Location, &location_rows))
        .collect();
    let drawn: Vec<String> = item_rows
        .into_iter()
        .map(|r| (Kind::Item, r))
        .chain(location_rows.into_iter().map(|r| (Kind::Location, r)))
        .filter_map(|(kind, r)| {
            let label = Label {
                kind,
                id: r.id,
                url: labels::short_url(&base, kind, r.id),
                name: r.name,
                detail: r.detail,
            };
            labels::svg(&label, layout.label_w, layout.label_h)
        })
        .collect();
    let sheets: Vec<Vec<Value>> = drawn
        .chunks(layout.per_sheet())
        .map(|c| {
            c.iter()
                .map(|s| Value::from_safe_string(s.clone()))
                .collect()
        })
        .collect();
    let layouts: Vec<Value> = labels::LAYOUTS
        .iter()
        .map(|l| context! { id => l.id, name => l.name })
        .collect();
    page(
        ctx,
        "labels.html",
        context! {
            layout => Value::from(minijinja::value::Serde(layout)),
            layouts,
            sheets,
            chosen,
            count => drawn.len(),
            items => items.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            locations => locations.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        },
    )
}

/// Keeps the first of each id, in order.
fn dedup(ids: &mut Vec<i64>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
}
