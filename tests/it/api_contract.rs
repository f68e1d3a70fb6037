//! The API as a contract (issue 20): the OpenAPI document the server serves,
//! and the server keeping to it — unknown query parameters, strict flags and
//! numbers, limits on the text as sent, and the bugs schemathesis found
//! (each was a 500 or a silently accepted bad input). The fuzzing itself is
//! `scripts/api-fuzz`, run by `./test`.

use crate::common;

use common::{Client, TestServer};
use serde_json::{Value, json};

fn document(c: &Client) -> Value {
    let r = c.get("/api/openapi.json");
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    r.json()
}

#[test]
fn the_document_describes_the_api_with_its_types_limits_and_security() {
    let s = TestServer::start();
    // Anyone may read it: it describes the API and holds no data.
    let doc = document(&s.client());
    assert_eq!(doc["openapi"], "3.1.0");
    let item = &doc["paths"]["/api/item"];
    for method in ["get", "post", "put", "delete"] {
        assert!(item[method].is_object(), "/api/item {method}");
    }
    // A body is its request type: unknown fields refused, required fields
    // and limits from the handler's constants.
    let new_item = &doc["components"]["schemas"]["NewItemBody"];
    assert_eq!(new_item["additionalProperties"], false);
    assert_eq!(new_item["required"], json!(["name"]));
    assert_eq!(new_item["properties"]["name"]["maxLength"], 200);
    assert_eq!(new_item["properties"]["total_quantity"]["minimum"], 0);
    assert_eq!(
        new_item["properties"]["total_quantity"]["maximum"],
        1_000_000_000_000_i64
    );
    // Lists say their headers; errors their object.
    let ok = &item["get"]["responses"]["200"];
    assert!(ok["headers"]["X-Total-Count"].is_object());
    assert!(ok["headers"]["X-Next-Cursor"].is_object());
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], json!(["error", "code"]));
    assert!(error["properties"]["field"].is_object());
    assert!(item["post"]["responses"]["409"].is_object());
    // Query parameters with their words and ranges.
    let params = item["get"]["parameters"].as_array().unwrap();
    let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(limit["schema"]["maximum"], 1000);
    let sort = params.iter().find(|p| p["name"] == "sort").unwrap();
    assert!(
        sort["schema"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("name"))
    );
    // Who may call: a login for account routes, a token too for inventory.
    let schemes = &doc["components"]["securitySchemes"];
    for scheme in ["cookie", "bearer", "apiToken"] {
        assert!(schemes[scheme].is_object(), "{scheme}");
    }
    assert_eq!(doc["paths"]["/api/login"]["post"]["security"], json!([]));
    let profile = &doc["paths"]["/api/profile"]["get"]["security"];
    assert!(!profile.to_string().contains("apiToken"));
    assert!(item["get"]["security"].to_string().contains("apiToken"));
    // Creates link to the operations that take the new id.
    assert!(
        item["post"]["responses"]["201"]["links"]
            .as_object()
            .unwrap()
            .values()
            .any(|l| l["operationId"] == "get_api_item")
    );
}

#[test]
fn answers_match_their_schemas_in_the_document() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(&c);
    let item = c.post("/api/item", json!({"name": "Bolt", "total_quantity": 5}));
    assert_eq!(item.status, 201);
    // Every field the answer has is one the schema names, and every field
    // the schema requires is there: the schema is the answer's own type.
    let schema = &doc["components"]["schemas"]["Item"];
    let props = schema["properties"].as_object().unwrap();
    let answer = item.json();
    for key in answer.as_object().unwrap().keys() {
        assert!(props.contains_key(key), "{key} is not in the Item schema");
    }
    for key in schema["required"].as_array().unwrap() {
        assert!(answer.get(key.as_str().unwrap()).is_some(), "{key} missing");
    }
}

#[test]
fn a_query_parameter_the_address_does_not_take_is_refused_by_name() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let r = c.get("/api/item?limt=5");
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["field"], "limt");
    assert!(r.json()["error"].as_str().unwrap().contains("limt"));
    // The parameters it does take still work, and so do the spec's.
    assert_eq!(c.get("/api/item?limit=5&sort=name&order=desc").status, 200);
    assert_eq!(c.get("/api/location?content=true").status, 200);
    assert_eq!(c.get("/healthz?verbose=1").status, 400);
}

#[test]
fn flags_numbers_and_words_are_strict() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let id = c.created("/api/location", json!({"name": "Shelf"}));
    for good in ["true", "false", "1", "0", "yes", "no"] {
        let r = c.get(&format!("/api/location?id={id}&content={good}"));
        assert_eq!(r.status, 200, "content={good}");
    }
    for (query, field) in [
        (format!("id={id}&content=ture"), "content"),
        (format!("id={id}&content="), "content"),
        ("id=".to_string(), "id"),
        ("limit=".to_string(), "limit"),
        ("order=ASC".to_string(), "order"),
        ("sort=".to_string(), "sort"),
        // With `id` the list parameters do nothing, and are still checked.
        (format!("id={id}&sort=colour"), "sort"),
        (format!("id={id}&recursive=1&offset=-1"), "offset"),
        (format!("id={id}&recursive=1&parent_id=x"), "parent_id"),
    ] {
        let r = c.get(&format!("/api/location?{query}"));
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{query}");
    }
    let r = c.get("/api/export?format=json&what=colours");
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("what")));
    let r = c.send_raw(
        "POST",
        "/api/import?dry_run=maybe",
        "application/json",
        b"{}",
    );
    assert_eq!(
        (r.status, r.json()["field"].clone()),
        (400, json!("dry_run"))
    );
}

#[test]
fn text_limits_count_the_text_as_sent() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // 200 characters is the limit; spaces around them are still characters
    // sent, so the document's maxLength and the server agree.
    let name = "n".repeat(200);
    assert_eq!(c.post("/api/item", json!({"name": name})).status, 201);
    let padded = format!(" {} ", "m".repeat(200));
    let r = c.post("/api/item", json!({"name": padded}));
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("name")));
    let r = c.get(&format!("/api/item?q={}", "q".repeat(201)));
    assert_eq!((r.status, r.json()["field"].clone()), (400, json!("q")));
}

#[test]
fn a_control_character_in_a_search_is_refused_not_a_server_error() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    c.created("/api/item", json!({"name": "Capacitor"}));
    // schemathesis found these: a NUL reached SQLite's full-text query.
    for path in [
        "/api/search?q=cap%00",
        "/api/item?q=cap%00",
        "/api/tags?q=a%00",
    ] {
        let r = c.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert_eq!(r.json()["field"], "q");
    }
    assert_eq!(c.get("/api/search?q=cap").json()[0]["name"], "Capacitor");
}

#[test]
fn imports_refuse_a_body_of_the_wrong_kind_even_in_a_dry_run() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // A JSON document sent as a CSV import.
    let r = c.send_raw(
        "POST",
        "/api/import?format=csv&dry_run=true",
        "application/json",
        br#"{"items": []}"#,
    );
    assert_eq!(r.status, 415, "{}", r.text);
    // A CSV whose header is not ours: refused at once, columns named.
    let r = c.send_raw(
        "POST",
        "/api/import?format=csv&dry_run=true",
        "text/csv",
        b"name,colour,weight\nBolt,red,1\n",
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["code"], "unknown_columns");
    assert_eq!(r.json()["columns"], json!(["colour", "weight"]));
    // Not a Homebox export at all.
    let r = c.send_raw(
        "POST",
        "/api/import?format=homebox&dry_run=true",
        "text/csv",
        b"true\n",
    );
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("not_homebox"))
    );
    assert_eq!(c.get("/api/item").json(), json!([]));
}

#[test]
fn whole_numbers_written_with_a_fraction_are_the_same_numbers() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // JSON Schema's integer is a number with no fraction, however it is
    // written: `2.0` and `1e1` are the integers the document promises to take.
    let r = c.post("/api/item", json!({"name": "Bolt", "total_quantity": 1e1}));
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["total_quantity"], 10);
    let item = r.json()["id"].as_i64().unwrap();
    let shelf = c.created("/api/location", json!({"name": "Shelf"}));
    let r = c.post(
        "/api/stock",
        json!({"item_id": item as f64, "location_id": shelf as f64, "quantity": 4.0}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["quantity"], 4);
    // A real fraction is still refused, and so is a whole number past 2^53
    // written as a float (it may already be its neighbour); the same number
    // written as an integer is read exactly, and simply does not exist.
    for (body, field) in [
        (
            json!({"item_id": item, "location_id": shelf, "quantity": 1.5}),
            "quantity",
        ),
        (
            json!({"item_id": 9_007_199_254_740_994.0, "location_id": shelf, "quantity": 1}),
            "item_id",
        ),
    ] {
        let r = c.post("/api/stock/consume", body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}");
    }
    let r = c.post(
        "/api/stock/consume",
        json!({"item_id": 9_007_199_254_740_994_i64, "location_id": shelf, "quantity": 1}),
    );
    assert_eq!(r.status, 404, "{}", r.text);
}

#[test]
fn the_document_states_the_rules_the_server_checks() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let doc = document(&c);
    let schemas = &doc["components"]["schemas"];
    // Names, tags, barcodes: not blank, no control character.
    let name = &schemas["NewItemBody"]["properties"]["name"]["pattern"];
    assert_eq!(name, &json!(miauinv::rules::fields::NAME_PATTERN));
    for (schema, field) in [
        ("Rename", "from"),
        ("Rename", "to"),
        ("NewLocation", "name"),
    ] {
        assert_eq!(
            &schemas[schema]["properties"][field]["pattern"], name,
            "{schema}.{field}"
        );
    }
    for (body, field) in [
        (json!({"name": " \t "}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"name": "ok", "tags": ["  "]}), "tags"),
        (json!({"name": "ok", "barcodes": ["1\n2"]}), "barcodes"),
    ] {
        let r = c.post("/api/item", body.clone());
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json()["field"], field, "{body}");
    }
    // Around a name, whitespace (control whitespace too) is trimmed: the
    // pattern allows it there.
    let r = c.post("/api/item", json!({"name": "\t Bolt \n"}));
    assert_eq!((r.status, r.json()["name"].clone()), (201, json!("Bolt")));
    // Taking or moving units takes at least one.
    for schema in ["Consume", "Transfer"] {
        assert_eq!(
            schemas[schema]["properties"]["quantity"]["minimum"], 1,
            "{schema}"
        );
    }
    // A required text parameter is never empty (empty reads as absent);
    // the search must say something.
    let search = &doc["paths"]["/api/search"]["get"]["parameters"][0]["schema"];
    assert_eq!(search["minLength"], 1);
    assert_eq!(search["pattern"], miauinv::rules::fields::SEARCH_PATTERN);
    assert_eq!(c.get("/api/search?q=%20").status, 400);
    let account = &doc["paths"]["/api/admin/users"]["delete"]["parameters"][0]["schema"];
    assert_eq!(account["minLength"], 1);
    // A change must change something; a photo only becomes primary.
    assert_eq!(schemas["AccountChange"]["minProperties"], 1);
    assert_eq!(schemas["LocationChange"]["minProperties"], 1);
    assert_eq!(
        schemas["PhotoChanges"]["properties"]["primary"]["const"],
        true
    );
    let location = c.created("/api/location", json!({"name": "Shelf"}));
    let r = c.put(&format!("/api/location?id={location}"), json!({}));
    assert_eq!(r.status, 400, "{}", r.text);
    // A body of bytes is never empty.
    let photo = &doc["paths"]["/api/item/photo"]["post"]["requestBody"]["content"]["image/png"];
    assert_eq!(photo["schema"]["minLength"], 1);
    // A notification address is an email address, or blank to clear it.
    let email = &schemas["NotificationEmailChange"]["properties"]["email"];
    assert_eq!(email["anyOf"][0]["format"], "email");
    // Usernames: 3-32 of a-z 0-9 . _ - (any case, trimmed).
    let username = &schemas["NewAccount"]["properties"]["username"]["pattern"];
    assert_eq!(username, &json!(miauinv::rules::account::USERNAME_PATTERN));
}
