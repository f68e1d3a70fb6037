//! The API as a contract: the OpenAPI 3.1 document served at
//! `/api/openapi.json`. It is built from the routing table (which routes
//! exist, who may call them) and, for each route, the operation listed in
//! this module's files (which types it reads and answers). A route with no
//! operation, or an operation with no route, fails `router::tests`.

mod accounts;
mod admin;
mod data;
mod inventory;
pub mod op;
mod places;
mod sso;

use crate::ctx::Access;
use crate::error::ErrorBody;
use crate::http::Method;
use op::{Content, Op, Param, Takes};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// A route of the routing table as the document needs it.
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Every documented operation, by area.
pub fn operations() -> impl Iterator<Item = &'static Op> {
    [
        accounts::OPS,
        admin::OPS,
        inventory::OPS,
        places::OPS,
        data::OPS,
        sso::OPS,
    ]
    .into_iter()
    .flatten()
}

/// The operation documenting `method path`, if there is one.
pub fn operation(method: Method, path: &str) -> Option<&'static Op> {
    operations().find(|o| o.method == method && o.path == path)
}

/// Each operation's query parameter names, by route: asked on every API
/// request (`unknown_param`), so built once.
fn param_names() -> &'static HashMap<(Method, &'static str), Vec<&'static str>> {
    static NAMES: OnceLock<HashMap<(Method, &'static str), Vec<&'static str>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        operations()
            .map(|o| {
                (
                    (o.method, o.path),
                    o.all_params().iter().map(|p| p.name).collect(),
                )
            })
            .collect()
    })
}

/// The path that a route serves is in the document: the JSON API and the
/// health check (pages are not API operations).
pub fn is_documented_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/healthz"
}

/// The first query parameter of a request that its operation does not take:
/// a misspelt `?limt=5` is refused rather than silently ignored.
pub fn unknown_param<'q>(
    method: Method,
    path: &'static str,
    mut names: impl Iterator<Item = &'q str>,
) -> Option<&'q str> {
    let known = param_names().get(&(method, path))?;
    names.find(|n| !known.contains(n))
}

/// `operationId`: `get_api_item`, `post_api_stock_transfer`.
pub fn operation_id(method: Method, path: &str) -> String {
    let mut id = method.as_str().to_ascii_lowercase();
    for part in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !part.is_empty() {
            id.push('_');
            id.push_str(part);
        }
    }
    id
}

/// The OpenAPI 3.1 document of `routes` (the routing table's routes that
/// exist on this server).
///
/// Two different types of one name would share one schema in the document:
/// that is refused with their names (a type's `#[schemars(rename)]` fixes it).
pub fn document(routes: &[RouteInfo], version: &str) -> Result<Value, String> {
    let settings =
        SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into());
    // Bodies are described as serde reads them, answers as serde writes them
    // (an optional field skipped when empty is not required in an answer).
    let mut reads = settings.clone().for_deserialize().into_generator();
    let mut writes = settings.for_serialize().into_generator();
    let error = writes.subschema_for::<ErrorBody>();

    let mut paths = Map::new();
    for route in routes {
        let Some(op) = operation(route.method, route.path) else {
            continue;
        };
        let entry = paths
            .entry(route.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        let operation = operation_json(op, route.access, &mut reads, &mut writes, &error);
        entry.insert(route.method.as_str().to_ascii_lowercase(), operation);
    }

    let (schemas, renamed) =
        merge_schemas(reads.take_definitions(true), writes.take_definitions(true))?;
    if !renamed.is_empty() {
        for item in paths.values_mut() {
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                rename_refs(&mut operation["responses"], &renamed);
            }
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "MiauInv",
            "version": version,
            "description": "The JSON API of MiauInv, a self-hosted inventory, stock and \
                project-allocation server. Errors are always `{\"error\", \"code\", \"field\"?}` \
                with the status that says what went wrong. Lists answer `X-Total-Count`, and \
                `X-Next-Cursor` when paged by cursor.",
            "license": {"name": "MIT", "identifier": "MIT"}
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "cookie": {
                    "type": "apiKey", "in": "cookie", "name": "access_token",
                    "description": "The session cookie the login sets (pages and the same origin)."
                },
                "bearer": {
                    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                    "description": "The access token `/api/login` answers, as `Authorization: Bearer <token>`."
                },
                "apiToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "A personal API token (`miau_…`, made on the profile page or with \
                        `POST /api/tokens`), as `Authorization: Bearer <token>`. Reads, or reads and \
                        inventory writes, by its scope; never account or admin routes."
                }
            }
        }
    });
    drop_null_defaults(&mut doc);
    Ok(doc)
}

/// One set of components from the schemas of bodies (`reads`) and of answers
/// (`writes`). A type both read and written (an export, imported back) may
/// differ between the two (a defaulted field is optional in a body, always
/// there in an answer): its answer schema is then `<Name>Out`, and answers
/// refer to that. Two different types of one name are refused.
fn merge_schemas(
    reads: Map<String, Value>,
    writes: Map<String, Value>,
) -> Result<(Map<String, Value>, BTreeSet<String>), String> {
    let mut renamed = BTreeSet::new();
    // Renaming one schema changes the ones that refer to it: repeat until
    // nothing more differs.
    loop {
        let before = renamed.len();
        for (name, write) in &writes {
            let mut write = write.clone();
            rename_refs(&mut write, &renamed);
            if reads.get(name).is_some_and(|read| *read != write) {
                renamed.insert(name.clone());
            }
        }
        if renamed.len() == before {
            break;
        }
    }
    let mut schemas = reads;
    for (name, mut write) in writes {
        rename_refs(&mut write, &renamed);
        let name = if renamed.contains(&name) {
            format!("{name}{OUT}")
        } else {
            name
        };
        if schemas.contains_key(&name) && schemas[&name] != write {
            return Err(format!("two different types are both called {name}"));
        }
        schemas.insert(name, write);
    }
    Ok((schemas, renamed))
}

/// The suffix of an answer's schema that differs from the body's of the same type.
const OUT: &str = "Out";

fn rename_refs(v: &mut Value, renamed: &BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && r.strip_prefix("#/components/schemas/")
                    .is_some_and(|name| renamed.contains(name))
            {
                *r = format!("{r}{OUT}");
            }
            m.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

fn operation_json(
    op: &Op,
    access: Access,
    reads: &mut SchemaGenerator,
    writes: &mut SchemaGenerator,
    error: &schemars::Schema,
) -> Value {
    let mut o = Map::new();
    o.insert(
        "operationId".into(),
        json!(operation_id(op.method, op.path)),
    );
    o.insert("summary".into(), json!(op.summary));
    if !op.description.is_empty() {
        o.insert("description".into(), json!(op.description));
    }
    o.insert("tags".into(), json!([tag(op.path)]));
    let all_params = op.all_params();
    if !all_params.is_empty() {
        let params: Vec<Value> = all_params.iter().map(param_json).collect();
        o.insert("parameters".into(), json!(params));
    }
    if let Some(body) = op.body {
        o.insert(
            "requestBody".into(),
            json!({"required": true, "content": request_json(body, reads)}),
        );
    }
    let mut responses = Map::new();
    for a in op.answers {
        let mut r = Map::new();
        r.insert("description".into(), json!(a.about));
        if !matches!(a.content, Content::Empty) {
            r.insert("content".into(), content_json(a.content, writes));
        }
        if a.list {
            r.insert(
                "headers".into(),
                json!({
                    "X-Total-Count": {"description": "How many rows the whole list has.",
                        "schema": {"type": "integer", "minimum": 0}},
                    "X-Next-Cursor": {"description": "The `cursor` of the next page; absent on the last page.",
                        "schema": {"type": "string"}}
                }),
            );
        }
        if !a.links.is_empty() {
            let mut links = Map::new();
            for l in a.links {
                let target = operation_id(l.method, l.path);
                let value = format!("$response.body#{}", l.pointer);
                let link = match l.param.strip_prefix("body.") {
                    Some(field) => json!({"operationId": target, "requestBody": {field: value}}),
                    None => json!({"operationId": target, "parameters": {l.param: value}}),
                };
                links.insert(format!("{target}_{}", l.param.replace('.', "_")), link);
            }
            r.insert("links".into(), Value::Object(links));
        }
        responses.insert(a.status.to_string(), Value::Object(r));
    }
    for status in errors_of(op, access) {
        responses.entry(status.to_string()).or_insert_with(|| {
            json!({
                "description": error_about(status),
                "content": {"application/json": {"schema": error}}
            })
        });
    }
    o.insert("responses".into(), Value::Object(responses));
    o.insert("security".into(), security(access));
    Value::Object(o)
}

/// The failures an operation can meet, from what it is: bad input for any
/// parameter or body, the sign-in and role checks for a protected route, the
/// same-origin check and conflicts for a write, the size and type of a body.
fn errors_of(op: &Op, access: Access) -> Vec<u16> {
    let writes = !matches!(op.method, Method::Get | Method::Head);
    let mut errors = vec![];
    if !op.params.is_empty() || op.list.is_some() || op.body.is_some() {
        errors.push(400);
    }
    if access != Access::Public {
        errors.extend([401, 403]);
    } else if writes {
        errors.push(403);
    }
    if op.params.iter().any(|p| matches!(p.takes, Takes::Id)) || writes {
        errors.push(404);
    }
    if writes {
        errors.push(409);
    }
    if op.body.is_some() {
        errors.push(413);
    }
    if op.body.is_some() {
        errors.push(415);
    }
    errors.extend(op.errors);
    errors.sort_unstable();
    errors.dedup();
    errors
}

fn error_about(status: u16) -> &'static str {
    match status {
        400 => "Bad input; `field` names the parameter or body field.",
        401 => "Not signed in, or the session has expired.",
        403 => "Not allowed: the role, the token's scope, or a cross-site request.",
        404 => "Nothing with that id.",
        409 => "The change would break an invariant, or conflicts with what exists.",
        413 => "The body is too large.",
        415 => "The body is not of the expected media type.",
        429 => "Too many attempts; `Retry-After` says when to try again.",
        503 => {
            "Busy (checking other passwords, or another import is running); `Retry-After` says when to try again."
        }
        _ => "Refused.",
    }
}

/// Who may call: nothing for a public route; a login (cookie or access token)
/// for account and admin routes; a login or a personal API token otherwise.
fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::Account | Access::Admin => json!([{"cookie": []}, {"bearer": []}]),
        Access::Viewer | Access::Editor => {
            json!([{"cookie": []}, {"bearer": []}, {"apiToken": []}])
        }
    }
}

fn tag(path: &str) -> &str {
    let rest = path.strip_prefix("/api/").unwrap_or("health");
    let first = rest.split(['/', '.']).next().unwrap_or(rest);
    match first {
        "" => "health",
        "healthz" => "health",
        other => other,
    }
}

fn content_json(content: Content, g: &mut SchemaGenerator) -> Value {
    match content {
        Content::Json(f) => json!({"application/json": {"schema": f(g)}}),
        Content::Bytes(types) => bytes_json(types),
        Content::JsonOr(f, types) => {
            let mut m = bytes_json(types);
            m["application/json"] = json!({"schema": f(g)});
            m
        }
        Content::Empty => json!({}),
    }
}

/// A request body's content: as an answer's, but a body of bytes is never
/// empty (a photo, a file or an import of nothing is refused).
fn request_json(content: Content, g: &mut SchemaGenerator) -> Value {
    let mut m = content_json(content, g);
    for (media, about) in m.as_object_mut().into_iter().flatten() {
        if media != "application/json" {
            about["schema"]["minLength"] = json!(1);
        }
    }
    m
}

fn bytes_json(types: &[&str]) -> Value {
    let mut m = Map::new();
    for t in types {
        m.insert(
            (*t).into(),
            json!({"schema": {"type": "string", "contentMediaType": t}}),
        );
    }
    Value::Object(m)
}

fn param_json(p: &Param) -> Value {
    let mut schema = match p.takes {
        Takes::Id => {
            json!({"type": "integer", "minimum": 1, "maximum": i64::MAX, "format": "int64"})
        }
        Takes::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        // An empty text is read as absent (a form's empty search field).
        Takes::Text { max } => json!({"type": "string", "maxLength": max}),
        Takes::AnyText => json!({"type": "string"}),
        // A required one must say something (`search` refuses a blank one);
        // an optional blank one is read as absent.
        Takes::Search { max } if p.required => {
            json!({"type": "string", "maxLength": max, "pattern": crate::rules::fields::SEARCH_PATTERN})
        }
        Takes::Search { max } => {
            json!({"type": "string", "maxLength": max, "pattern": crate::rules::fields::NO_CONTROL_PATTERN})
        }
        Takes::OneOf(words) => json!({"type": "string", "enum": words}),
        Takes::Flag => json!({"type": "string", "enum": crate::http::FLAG_WORDS}),
        Takes::Sort(list, contents) => {
            let mut names: Vec<&str> = list.iter().chain(contents).map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            json!({"type": "string", "enum": names})
        }
        Takes::Token => json!({"type": "string", "minLength": 1, "maxLength": 1000}),
    };
    // `Request::param` reads an empty value as absent: a required text
    // parameter must have at least one character.
    if p.required && schema["type"] == "string" && schema.get("enum").is_none() {
        schema["minLength"] = json!(1);
    }
    if p.repeated {
        schema = json!({"type": "array", "items": schema});
    }
    let mut v = json!({
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": p.about,
        "schema": schema,
    });
    if p.repeated {
        v["style"] = json!("form");
        v["explode"] = json!(true);
    }
    v
}

/// schemars writes `"default": null` for optional body fields; the document
/// says "optional" by leaving them out of `required` instead.
fn drop_null_defaults(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("default") == Some(&Value::Null) {
                m.remove("default");
            }
            m.values_mut().for_each(drop_null_defaults);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_null_defaults),
        _ => {}
    }
}
