//! The template environment: the embedded minijinja templates (a base layout
//! with blocks, partials per page) and the functions and filters they use.
//! Built once per `App`; `pages/` renders with it.

use minijinja::Environment;
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
    env.add_filter("datetime", datetime);
    env.add_filter("date", date);
    for name in Templates::iter() {
        let file = Templates::get(&name).expect("listed template exists");
        let text = String::from_utf8(file.data.into_owned())
            .map_err(|_| format!("template {name} is not UTF-8"))?;
        env.add_template_owned(name.to_string(), text)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
}

/// `{{ ts | datetime }}`: a Unix timestamp as `2026-11-25 08:40 UTC`.
fn datetime(ts: i64) -> String {
    let (y, m, d) = crate::db::civil_from_days(ts.div_euclid(86_400));
    let secs = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `{{ ts | date }}`: a Unix timestamp as `2026-11-25`.
fn date(ts: i64) -> String {
    let (y, m, d) = crate::db::civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_utc_dates() {
        assert_eq!(datetime(0), "1970-01-01 00:00 UTC");
        assert_eq!(datetime(1_795_941_600), "2026-11-29 08:40 UTC");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
