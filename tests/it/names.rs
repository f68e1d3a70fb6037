//! Names cannot hide what they are (issue 28): a name, a tag, a field name, a
//! sku, a barcode and a passkey name refuse control characters, the
//! bidirectional controls and the invisible ones with a 400 naming the field
//! and the code point, and nothing is written; the zero-width joiner and
//! non-joiner, which emoji, Persian and Indic names need, stay allowed.

use crate::common::{Client, TestServer};
use serde_json::json;

/// Each character that can hide what a name is, as the issue lists them.
const HIDING: [char; 16] = [
    '\u{0007}', '\u{0085}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}', '\u{200b}', '\u{2060}',
];

fn refused(c: &Client, path: &str, body: serde_json::Value, field: &str, hidden: char) {
    let r = c.post(path, body);
    assert_eq!(
        r.status, 400,
        "{path} with U+{:04X}: {}",
        hidden as u32, r.text
    );
    assert_eq!(r.json()["field"], field, "{}", r.text);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains(&format!("U+{:04X}", hidden as u32)),
        "{}",
        r.text
    );
}

#[test]
fn names_refuse_controls_direction_overrides_and_invisible_characters() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    let mut all = HIDING.to_vec();
    all.push('\u{feff}');
    for hidden in all {
        let name = format!("Kit{hidden}chen");
        refused(&c, "/api/item", json!({"name": name}), "name", hidden);
        refused(&c, "/api/location", json!({"name": name}), "name", hidden);
        refused(&c, "/api/project", json!({"name": name}), "name", hidden);
        refused(
            &c,
            "/api/item",
            json!({"name": "Box", "tags": [name]}),
            "tags",
            hidden,
        );
        refused(
            &c,
            "/api/item",
            json!({"name": "Box", "fields": {name.clone(): "1"}}),
            "fields",
            hidden,
        );
        refused(
            &c,
            "/api/item",
            json!({"name": "Box", "sku": name}),
            "sku",
            hidden,
        );
    }
    // A barcode is checked as strictly, with its own words.
    let r = c.post(
        "/api/item",
        json!({"name": "Box", "barcodes": ["4006\u{200b}381"]}),
    );
    assert_eq!(
        (r.status, r.json()["field"].as_str()),
        (400, Some("barcodes")),
        "{}",
        r.text
    );
    // Nothing was written by any refused request.
    for list in ["/api/item", "/api/location", "/api/project"] {
        assert_eq!(c.get(list).json().as_array().unwrap().len(), 0, "{list}");
    }
}

#[test]
fn joiners_that_emoji_and_scripts_need_stay_allowed() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    for name in [
        "Werkstatt 👩\u{200d}🔧", // a profession emoji: ZWJ sequence
        "می\u{200c}خواهم",        // Persian with a zero-width non-joiner
        "क्\u{200d}ष कपाट",        // Devanagari with a joiner
    ] {
        let r = c.post("/api/location", json!({"name": name}));
        assert_eq!(r.status, 201, "{name}: {}", r.text);
        assert_eq!(r.json()["name"], name);
        let r = c.post("/api/item", json!({"name": name, "tags": [name]}));
        assert_eq!(r.status, 201, "{name}: {}", r.text);
    }
}

#[test]
fn a_name_that_looks_like_a_siblings_is_saved_with_a_warning_naming_it() {
    let s = TestServer::start();
    let c = Client::signed_up(&s, "alice");
    // "Kitсhen" with a Cyrillic с looks exactly like "Kitchen".
    let (latin, cyrillic) = ("Kitchen", "Kit\u{0441}hen");
    for list in ["/api/location", "/api/project", "/api/item"] {
        let first = c.post(list, json!({"name": latin}));
        assert_eq!(first.status, 201, "{}", first.text);
        assert!(first.json().get("similar_to").is_none(), "{}", first.text);
        let first = first.json()["id"].as_i64().unwrap();
        let second = c.post(list, json!({"name": cyrillic}));
        assert_eq!(second.status, 201, "{list}: {}", second.text);
        assert_eq!(
            second.json()["similar_to"],
            first,
            "{list}: {}",
            second.text
        );
        // A name that does not look alike gets no warning; nor does a read.
        let other = c.post(list, json!({"name": "Kitten"}));
        assert!(other.json().get("similar_to").is_none(), "{}", other.text);
        let id = other.json()["id"].as_i64().unwrap();
        assert!(
            c.get(&format!("{list}?id={id}"))
                .json()
                .get("similar_to")
                .is_none()
        );
        // Renamed into a look-alike: warned too.
        let renamed = c.put(
            &format!("{list}?id={id}"),
            json!({"name": "KIT\u{0421}HEN"}),
        );
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        assert_eq!(
            renamed.json()["similar_to"],
            first,
            "{list}: {}",
            renamed.text
        );
    }
    // Locations are compared with their siblings only.
    let shed = c.created("/api/location", json!({"name": "Shed"}));
    let inside = c.post(
        "/api/location",
        json!({"name": cyrillic, "parent_id": shed}),
    );
    assert_eq!(inside.status, 201, "{}", inside.text);
    assert!(inside.json().get("similar_to").is_none(), "{}", inside.text);
    // An item may share its exact name with another: that is no look-alike.
    let same = c.post("/api/item", json!({"name": "Kitten"}));
    assert!(same.json().get("similar_to").is_none(), "{}", same.text);
}
