//! HTML pages rendered from the embedded minijinja templates. Pages never answer
//! JSON: their errors are rendered with `error.html`.

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::http::{Reply, Request};
use crate::router::Ctx;
use minijinja::{Environment, Value, context};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/templates/"]
struct Templates;

/// Builds the template environment from the embedded files (autoescape on for
/// every `.html` template).
pub fn environment() -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_function("asset", crate::assets::asset_url);
    for name in Templates::iter() {
        let file = Templates::get(&name).expect("listed template exists");
        let text = String::from_utf8(file.data.into_owned())
            .map_err(|_| format!("template {name} is not UTF-8"))?;
        env.add_template_owned(name.to_string(), text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
}

/// Renders a template with the common context (registration flag, user).
pub fn render(app: &App, name: &str, ctx: Value) -> AppResult<String> {
    let common = context! {
        allow_registration => app.config.allow_registration,
    };
    Ok(app
        .templates
        .get_template(name)?
        .render(context! { ..ctx, ..common })?)
}

fn page(ctx: &Ctx<'_>, name: &str, values: Value) -> AppResult<Reply> {
    Ok(Reply::html(200, render(ctx.app, name, values)?))
}

/// The HTML rendering of an error for page routes.
pub fn error_page(app: &App, _req: &Request, err: &AppError) -> Reply {
    let html = render(
        app,
        "error.html",
        context! { status => err.status(), message => err.message.clone() },
    )
    .unwrap_or_else(|_| format!("<!doctype html><title>Error</title><p>{}</p>", err.status()));
    let mut reply = Reply::html(err.status(), html);
    if let Some(s) = err.retry_after {
        reply = reply.header("Retry-After", s.to_string());
    }
    if let Some(allow) = &err.allow {
        reply = reply.header("Allow", allow.clone());
    }
    reply
}

pub fn landing(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "landing.html", context! {})
}

pub fn login(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "login.html", context! {})
}

pub fn register(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    if ctx.app.config.allow_registration {
        page(ctx, "register.html", context! {})
    } else {
        page(ctx, "register_closed.html", context! {})
    }
}

pub fn profile(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user_id = ctx.user()?.id.clone();
    let profile = crate::api::account::load_profile(ctx.conn, &user_id)?;
    page(
        ctx,
        "profile.html",
        context! { profile => Value::from(minijinja::value::Serde(&profile)) },
    )
}

pub fn settings(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let user_id = ctx.user()?.id.clone();
    let profile = crate::api::account::load_profile(ctx.conn, &user_id)?;
    page(
        ctx,
        "settings.html",
        context! { profile => Value::from(minijinja::value::Serde(&profile)) },
    )
}
