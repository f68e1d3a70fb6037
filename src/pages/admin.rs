//! `/admin`: the admin panel's frame with the server's state in place; people
//! and invitations are filled by its script through `/api/admin/…`.

use super::page;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;
use minijinja::{Value, context};

pub fn admin(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let status = ctx.app.status(ctx.conn)?;
    let up = status.uptime_seconds;
    let uptime = match up {
        0..3600 => format!("{} min", up / 60),
        3600..86_400 => format!("{} h {} min", up / 3600, up % 3600 / 60),
        _ => format!("{} days {} h", up / 86_400, up % 86_400 / 3600),
    };
    let database_mib = format!("{:.1}", status.database_bytes as f64 / 1_048_576.0);
    let mut values = serde_json::to_value(&status).map_err(crate::error::AppError::internal)?;
    values["uptime"] = uptime.into();
    values["database_mib"] = database_mib.into();
    page(
        ctx,
        "admin.html",
        context! {
            status => Value::from(minijinja::value::Serde(&values)),
            security_log_days => ctx.app.config.security_log_days,
        },
    )
}

/// `/admin/notifications`: channels, their events and the recent deliveries,
/// all filled by its script through `/api/admin/notifications`.
pub fn admin_notifications(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "admin_notifications.html", context! {})
}
