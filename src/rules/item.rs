//! The rules for what an item carries besides its stock: tags, custom fields,
//! sku and barcodes, as the item bodies and the list parameters give them.
//! Bodies read them as raw JSON so that any wrong shape is refused naming the
//! whole field (`tags`, `fields`, `barcodes`), not a position inside it.

use crate::db::item_details::Fields;
use crate::error::{AppError, AppResult};
use crate::rules::fields;
use schemars::JsonSchema;
use serde_json::Value;

/// Longest tag, in characters.
pub const MAX_TAG: usize = 40;
/// Most tags on one item.
pub const MAX_TAGS: usize = 32;
/// Longest custom field name and value, in characters.
pub const MAX_FIELD_NAME: usize = 60;
pub const MAX_FIELD_VALUE: usize = 2_000;
/// Most custom fields on one item.
pub const MAX_FIELDS: usize = 50;
/// Longest sku, in characters.
pub const MAX_SKU: usize = 100;
/// Longest barcode, in characters (Code 128 and QR contents of labels fit).
pub const MAX_BARCODE: usize = 128;
/// Most barcodes on one item.
pub const MAX_BARCODES: usize = 20;

/// One tag: trimmed and lowercased, 1–40 characters, no control characters.
pub fn tag(field: &str, raw: &str) -> AppResult<String> {
    let tag = raw.trim().to_lowercase();
    let len = tag.chars().count();
    if len == 0 || len > MAX_TAG || fields::over(raw, MAX_TAG) {
        return Err(AppError::invalid_field(
            field,
            format!(
                "A tag must be 1 to {MAX_TAG} characters long ('{}' is not).",
                raw.trim()
            ),
        ));
    }
    fields::nothing_hidden(field, "A tag", &tag)?;
    Ok(tag)
}

/// The strings of a JSON list, or 400 naming `field`.
fn strings<'a>(field: &str, value: &'a Value, what: &str) -> AppResult<Vec<&'a str>> {
    let wrong = || AppError::invalid_field(field, format!("The {field} must be a list of {what}."));
    value
        .as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|v| v.as_str().ok_or_else(wrong))
        .collect()
}

/// An item's tags: each as [`tag`], duplicates collapsed, at most 32, in name
/// order (as they are read back).
pub fn tags(value: &Value) -> AppResult<Vec<String>> {
    // Counted once duplicates collapse: ["bolt", "Bolt"] is one tag.
    tag_list(strings("tags", value, "texts (tags)")?)
}

/// An item's custom fields: an object of name → text. Names are trimmed,
/// 1–60 characters, no control characters, distinct; values are trimmed, at
/// most 2,000 characters; at most 50 fields.
pub fn fields(value: &Value) -> AppResult<Fields> {
    let object = value.as_object().ok_or_else(|| {
        AppError::invalid_field(
            "fields",
            "The fields must be an object of names and texts, like {\"Voltage\": \"5 V\"}.",
        )
    })?;
    let mut pairs = Vec::with_capacity(object.len());
    for (name, value) in object {
        let Some(value) = value.as_str() else {
            return Err(AppError::invalid_field(
                "fields",
                format!("The value of field '{}' must be a text.", name.trim()),
            ));
        };
        pairs.push((name.as_str(), value));
    }
    field_pairs(pairs)
}

/// Custom fields as (name, value) pairs, from a body or a file: the rules of
/// [`fields`].
pub fn field_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> AppResult<Fields> {
    let bad = |message: String| AppError::invalid_field("fields", message);
    let mut out = Fields::new();
    for (raw_name, value) in pairs {
        if out.len() == MAX_FIELDS {
            return Err(bad(format!("An item has at most {MAX_FIELDS} fields.")));
        }
        let name = raw_name.trim();
        let len = name.chars().count();
        if len == 0 || len > MAX_FIELD_NAME || fields::over(raw_name, MAX_FIELD_NAME) {
            return Err(bad(format!(
                "A field name must be 1 to {MAX_FIELD_NAME} characters long."
            )));
        }
        if let Err(e) = fields::nothing_hidden("fields", "A field name", name) {
            return Err(bad(e.message.into()));
        }
        if fields::over(value, MAX_FIELD_VALUE) {
            return Err(bad(format!(
                "The value of field '{name}' must be at most {MAX_FIELD_VALUE} characters long."
            )));
        }
        if value.contains('\0') {
            return Err(bad(format!(
                "The value of field '{name}' must not contain a NUL character."
            )));
        }
        if out
            .insert(name.to_string(), value.trim().to_string())
            .is_some()
        {
            return Err(bad(format!("The field name '{name}' is given twice.")));
        }
    }
    Ok(out)
}

/// An item's tags from a file: each as [`tag`], duplicates collapsed, at most
/// 32, in name order.
pub fn tag_list<'a>(raw: impl IntoIterator<Item = &'a str>) -> AppResult<Vec<String>> {
    let mut tags = raw
        .into_iter()
        .map(|t| tag("tags", t))
        .collect::<AppResult<Vec<_>>>()?;
    tags.sort();
    tags.dedup();
    too_many("tags", tags.len(), MAX_TAGS, "tags")?;
    Ok(tags)
}

/// An item's barcodes from a file: each as [`barcode`], duplicates collapsed,
/// at most 20.
pub fn barcode_list<'a>(raw: impl IntoIterator<Item = &'a str>) -> AppResult<Vec<String>> {
    let mut codes = raw
        .into_iter()
        .map(|c| barcode("barcodes", c))
        .collect::<AppResult<Vec<_>>>()?;
    codes.sort();
    codes.dedup();
    too_many("barcodes", codes.len(), MAX_BARCODES, "barcodes")?;
    Ok(codes)
}

/// A sku: trimmed, at most 100 characters, no control characters; blank is
/// none.
pub fn sku(raw: Option<&str>) -> AppResult<Option<String>> {
    // The limit is on the text as sent: 101 spaces are too long, not blank.
    if raw.is_some_and(|r| fields::over(r, MAX_SKU)) {
        return Err(AppError::invalid_field(
            "sku",
            format!("The sku must be at most {MAX_SKU} characters long."),
        ));
    }
    let Some(sku) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    fields::nothing_hidden("sku", "The sku", sku)?;
    Ok(Some(sku.to_string()))
}

/// One barcode as a list parameter or body element: trimmed, 1–128
/// characters, none that hides what it is ([`fields::hides`]). Codes are
/// kept as scanned (case and leading zeros matter).
pub fn barcode(field: &str, raw: &str) -> AppResult<String> {
    let code = raw.trim();
    let len = code.chars().count();
    if len == 0 || fields::over(raw, MAX_BARCODE) || code.chars().any(fields::hides) {
        return Err(AppError::invalid_field(
            field,
            format!("A barcode must be 1 to {MAX_BARCODE} printable characters."),
        ));
    }
    Ok(code.to_string())
}

/// An item's barcodes: each as [`barcode`], duplicates collapsed, at most 20.
pub fn barcodes(value: &Value) -> AppResult<Vec<String>> {
    barcode_list(strings("barcodes", value, "texts (codes)")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_trimmed_lowercased_and_collapsed() {
        assert_eq!(
            tags(&json!([" SMD ", "0805", "smd"])).unwrap(),
            ["0805", "smd"]
        );
        assert!(tags(&json!([""])).is_err());
        assert!(tags(&json!(["x".repeat(41)])).is_err());
        assert!(tags(&json!([1])).is_err());
        assert!(tags(&json!("smd")).is_err());
        let many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
        assert!(tags(&json!(many)).is_err());
    }

    #[test]
    fn fields_take_texts_only() {
        let f = fields(&json!({" Voltage ": " 5 V "})).unwrap();
        assert_eq!(f.get("Voltage").map(String::as_str), Some("5 V"));
        assert!(fields(&json!({"Voltage": 5})).is_err());
        assert!(fields(&json!({"a": "x", " a": "y"})).is_err());
        assert!(fields(&json!(["a"])).is_err());
    }
}

/// More than `max` distinct elements. (The API document states no
/// `maxItems`: it would count duplicates, which collapse.)
fn too_many(field: &str, given: usize, max: usize, what: &str) -> AppResult<()> {
    if given > max {
        return Err(AppError::invalid_field(
            field,
            format!("An item has at most {max} {what}; {given} were given."),
        ));
    }
    Ok(())
}

// How the API document describes the tags, fields and barcodes of an item
// body (the bodies hold them as JSON values, checked above).

/// Tags: texts, lowercased and trimmed; duplicates collapse; at most 32
/// distinct ones.
#[derive(JsonSchema)]
#[allow(dead_code)] // never built: it only describes the JSON
pub(crate) struct TagList(
    #[schemars(inner(length(max = MAX_TAG), regex(pattern = fields::NAME_PATTERN)))] Vec<String>,
);

/// Custom fields: name → text.
#[derive(JsonSchema)]
#[allow(dead_code)] // never built: it only describes the JSON
pub(crate) struct FieldMap(
    #[schemars(extend("maxProperties" = MAX_FIELDS, "propertyNames" = {"maxLength": MAX_FIELD_NAME, "pattern": fields::NAME_PATTERN}, "additionalProperties" = {"type": "string", "maxLength": MAX_FIELD_VALUE}))]
     std::collections::BTreeMap<String, String>,
);

/// Barcodes, kept as scanned; duplicates collapse; at most 20 distinct ones.
#[derive(JsonSchema)]
#[allow(dead_code)] // never built: it only describes the JSON
pub(crate) struct BarcodeList(
    #[schemars(inner(length(max = MAX_BARCODE), regex(pattern = fields::NAME_PATTERN)))]
    Vec<String>,
);
