//! `/api/docs`: the browsable API reference, the vendored Swagger UI reading
//! `/api/openapi.json` in the browser (web/assets/js/api_docs.js). The page
//! holds no data, only a description of the routes, so the routing table
//! admits everyone (Public): a person deciding whether to script against a
//! MiauInv, or a signed-out browser, can read it, and the API itself still
//! checks every call made from it. Public also keeps the page a page: under
//! `/api/` a route that needs a login answers a signed-out visitor with a JSON
//! 401 instead of the way to the login page.

use super::page;
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::http::Reply;
use minijinja::context;

pub fn api_docs(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    page(ctx, "api_docs.html", context! {})
}
