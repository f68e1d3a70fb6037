//! `GET /api/reorder` and `/api/reorder.csv`: the items with fewer units
//! available than their minimum, with what to order (`db/alerts.rs`). The CSV
//! is for a shopping trip or a distributor's cart.

use crate::ctx::Ctx;
use crate::db::{self, alerts};
use crate::error::AppResult;
use crate::http::Reply;

pub fn get(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let rows = db::read(ctx.conn, |tx| alerts::reorder_list(tx, None))?;
    Ok(Reply::ok(&rows))
}

pub fn csv(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let rows = db::read(ctx.conn, |tx| alerts::reorder_list(tx, None))?;
    let mut out = String::from("name,sku,available,min,order\r\n");
    for r in &rows {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            csv_field(&r.name),
            csv_field(r.sku.as_deref().unwrap_or("")),
            r.available_quantity,
            r.min_quantity,
            r.suggested_quantity
        ));
    }
    Ok(
        Reply::new(200, "text/csv; charset=utf-8", out.into_bytes()).header(
            "Content-Disposition",
            "attachment; filename=\"reorder.csv\"",
        ),
    )
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line
/// break. A leading `=`, `+`, `-` or `@` gets a `'` so a spreadsheet shows the
/// name instead of running it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("M3 screw"), "M3 screw");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
    }
}
