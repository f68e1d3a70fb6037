//! HTML pages rendered from the embedded minijinja templates (a base layout with
//! blocks, partials per page). Pages never answer JSON: their errors are rendered
//! with `error.html`. Every action on a page goes through the JSON API from the
//! page's own script module; handlers here only render the first view.

mod account;
mod admin;
mod api_docs;
mod inventory;
mod labels;
mod public;
mod stocktake;

pub use account::{profile, settings};
pub use admin::{admin, admin_notifications};
pub use api_docs::api_docs;
pub use inventory::{dashboard, import, inventory, items, locations, projects};
pub use labels::{sheet as labels, short_link};
pub use public::{
    asset, confirm_email, invite, landing, login, no_script, register, reset_password,
    service_worker, sso_callback,
};
pub use stocktake::stocktake;

use crate::app::App;
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use minijinja::{Value, context};

/// Renders a template with the common context (registration flag, user, path).
pub fn render(app: &App, name: &str, ctx: Value) -> AppResult<String> {
    render_for(app, None, "", name, ctx)
}

fn render_for(
    app: &App,
    user: Option<&crate::auth::session::CurrentUser>,
    path: &str,
    name: &str,
    ctx: Value,
) -> AppResult<String> {
    // What the person may do decides which actions a page shows; the API
    // enforces it either way.
    let user = user.map(|u| {
        context! {
            username => u.username.clone(),
            role => u.role.as_str(),
            can_edit => u.role >= crate::db::users::Role::Editor,
            is_admin => u.is_admin(),
        }
    });
    let common = context! {
        allow_registration => app.config.allow_registration,
        user => user,
        path => path,
    };
    Ok(app
        .templates
        .get_template(name)?
        .render(context! { ..ctx, ..common })?)
}

/// Renders a page for the request's user (if any) with status 200.
fn page(ctx: &Ctx<'_>, name: &str, values: Value) -> AppResult<Reply> {
    let user = ctx.user().ok();
    Ok(Reply::html(
        200,
        render_for(ctx.app, user, &ctx.req.path, name, values)?,
    ))
}

/// The HTML rendering of an error for page routes.
pub fn error_page(app: &App, req: &Request, err: &AppError) -> Reply {
    let html = render_for(
        app,
        None,
        &req.path,
        "error.html",
        context! { status => err.status(), message => &*err.message },
    )
    .unwrap_or_else(|_| format!("<!doctype html><title>Error</title><p>{}</p>", err.status()));
    let mut reply = Reply::html(err.status(), html);
    if let Some(s) = err.retry_after {
        reply = reply.header("Retry-After", s.to_string());
    }
    if let Some(allow) = &err.allow {
        reply = reply.header("Allow", allow.to_string());
    }
    reply
}
