//! The rules for names, texts, quantities and ids (layer: rules), and the
//! body fields of the inventory handlers: the checks on names, texts,
//! quantities and ids after `Request::json` has read them into typed structs,
//! and the serde helpers those structs need (whole numbers, present-or-absent
//! and nullable fields). List parameters are in `list.rs`.

use crate::error::{AppError, AppResult};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Longest accepted name (items, locations, projects) in characters.
pub const MAX_NAME: usize = 200;
/// Longest accepted category.
pub const MAX_CATEGORY: usize = 200;
/// Longest accepted description or note.
pub const MAX_TEXT: usize = 10_000;
/// Largest accepted quantity: far beyond any real stock, and small enough that
/// sums over every item can never overflow a 64-bit integer.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;

/// A JSON integer in a request body. A whole number written with a fraction
/// (`2.0`, `1e3`) is the same integer to JSON Schema, which the API document
/// speaks, so it is taken too, as long as a float holds it exactly (up to
/// 2^53). Other floats, strings and null are refused with the field named;
/// [`quantity`] and [`id`] check the range.
#[derive(Debug, Clone, Copy)]
pub struct Whole(i128);

/// The largest magnitude up to which every whole number is exactly a float:
/// beyond it `9007199254740993.0` would already have been read as its
/// neighbour, so such a spelling is refused rather than taken as another number.
const EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        struct WholeVisitor;
        impl Visitor<'_> for WholeVisitor {
            type Value = Whole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
            // Kept beyond i64 so the range checks, not serde, refuse it.
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Whole, E> {
                Ok(Whole(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Whole, E> {
                if n.fract() == 0.0 && n.abs() <= EXACT_FLOAT {
                    // Exact: whole and within ±2^53, so the cast loses nothing.
                    Ok(Whole(n as i128))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(n), &self))
                }
            }
        }
        d.deserialize_i64(WholeVisitor)
    }
}

/// A [`Whole`] field the document says no more of: a whole number (its
/// range is its handler's; fields with a known range say it with
/// [`WholeIn`]).
impl JsonSchema for Whole {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Whole".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer"})
    }
}

/// How the API document describes a [`Whole`] field: a whole number from
/// `MIN` to `MAX` (`#[schemars(with = "Quantity")]`), the range its handler checks.
pub struct WholeIn<const MIN: i64, const MAX: i64>;

impl<const MIN: i64, const MAX: i64> JsonSchema for WholeIn<MIN, MAX> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Whole{MIN}To{MAX}").into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "integer", "minimum": MIN, "maximum": MAX})
    }
}

/// A quantity field ([`quantity`]).
pub type Quantity = WholeIn<0, MAX_QUANTITY>;
/// A quantity that must move something: what a consume or transfer takes.
pub type Taken = WholeIn<1, MAX_QUANTITY>;
/// An id field ([`id`]).
pub type IdNumber = WholeIn<1, { i64::MAX }>;

// The character classes of the API document's patterns, spelled out once
// (Rust's `char::is_whitespace` and `char::is_control`) because `\s` means a
// different set in each language a client may check a pattern with. Macros,
// not consts, so that `concat!` can build each pattern from them.
/// Whitespace as `char::is_whitespace`.
macro_rules! space {
    () => {
        r"[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}
/// Anything but a control character (`char::is_control`).
macro_rules! not_control {
    () => {
        r"[^\u0000-\u001f\u007f-\u009f]"
    };
}
/// What a name may hold: anything but a control character and the
/// characters [`hides`] names (the bidirectional controls and the invisible
/// ones; the zero-width joiner and non-joiner stay).
macro_rules! name_char {
    () => {
        r"[^\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
    };
}
/// A [`name_char!`] that is not whitespace either.
macro_rules! name_visible {
    () => {
        r"[^\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}
/// Neither a control character nor whitespace.
macro_rules! visible {
    () => {
        r"[^\u0000-\u001f\u007f-\u009f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}
/// Text that is not blank once trimmed and holds no control, bidirectional
/// or invisible character inside ([`hides`]).
macro_rules! trimmed_text {
    () => {
        concat!(
            name_visible!(),
            "(?:",
            name_char!(),
            "*",
            name_visible!(),
            ")?"
        )
    };
}
pub(crate) use space;

/// The API document's pattern for a name (and a tag): what [`name`] accepts.
/// Whitespace around it is trimmed (control whitespace too: `\t` and `\n`
/// around a name are dropped, inside it they are refused); what is left is not
/// empty and holds no character that [`hides`] what the name is.
pub const NAME_PATTERN: &str = concat!("^", space!(), "*", trimmed_text!(), space!(), "*$");

/// [`NAME_PATTERN`], or only whitespace: an optional text (a sku) where blank
/// means none.
pub const BLANK_OR_NAME_PATTERN: &str =
    concat!("^", space!(), "*(?:", trimmed_text!(), ")?", space!(), "*$");

/// Only whitespace: an optional text left blank.
pub const BLANK_PATTERN: &str = concat!("^", space!(), "*$");

/// The API document's pattern for a search text ([`search_text`]): no
/// control character anywhere.
pub const NO_CONTROL_PATTERN: &str = concat!("^", not_control!(), "*$");
/// A search text that must not be blank (`GET /api/search`): no control
/// character, and something besides whitespace.
pub const SEARCH_PATTERN: &str =
    concat!("^", not_control!(), "*", visible!(), not_control!(), "*$");

/// For `#[serde(default, deserialize_with = "input::present")]` on an optional
/// field: absent is `None`, but an explicit `null` is refused like any other
/// value of the wrong type (plain `Option` would take it as absent).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// For `#[serde(default, deserialize_with = "input::nullable")]` on a field a
/// partial update may clear: absent is `None` (unchanged), `null` is
/// `Some(None)` (cleared), a value is `Some(Some(value))`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Whether `raw` is over `max` characters as given, before trimming: the
/// limits the API document states are on the text as sent, so a text the
/// document calls too long is refused even when trimming would shorten it.
pub fn over(raw: &str, max: usize) -> bool {
    raw.chars().count() > max
}

/// A search text (`?q=`): at most `max` characters as given, no control
/// characters (no name holds one, and the full-text index refuses a NUL);
/// trimmed, and `None` when blank.
pub fn search_text(raw: Option<&str>, max: usize) -> AppResult<Option<&str>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if over(raw, max) {
        return Err(AppError::invalid_field(
            "q",
            format!("The search text must be at most {max} characters long."),
        ));
    }
    if raw.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            "q",
            "The search text must not contain control characters.",
        ));
    }
    let text = raw.trim();
    Ok((!text.is_empty()).then_some(text))
}

/// Whether a character can hide what a name is: a control character (C0,
/// C1), a bidirectional control that reorders what follows (U+202A–U+202E,
/// U+2066–U+2069, U+200E, U+200F, U+061C), or an invisible one (zero-width
/// space U+200B, word joiner U+2060, byte order mark U+FEFF). The zero-width
/// joiner and non-joiner are not among them: emoji, Persian and Indic names
/// need them.
pub fn hides(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{2060}' | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// 400 naming `field` when `text` holds a character that [`hides`] what it
/// is; the character is named by its code point, since it cannot be seen.
pub fn nothing_hidden(field: &str, what: &str, text: &str) -> AppResult<()> {
    match text.chars().find(|c| hides(*c)) {
        None => Ok(()),
        Some(c) => Err(AppError::invalid_field(
            field,
            format!(
                "{what} must not contain control, direction or invisible characters (it holds U+{:04X}).",
                c as u32
            ),
        )),
    }
}

/// A name: at most 200 characters as given, then trimmed, not empty, no
/// character that [`hides`] what it is.
pub fn name(field: &str, name: &str) -> AppResult<String> {
    let too_long = over(name, MAX_NAME);
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 && !too_long {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must not be empty."),
        ));
    }
    if too_long {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {MAX_NAME} characters long."),
        ));
    }
    nothing_hidden(field, &format!("The {field}"), name)?;
    Ok(name.to_string())
}

/// Optional free text: at most `max` characters as given, then trimmed;
/// blank is `None`.
pub fn text(field: &str, text: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(raw) = text else {
        return Ok(None);
    };
    let text = raw.trim();
    if over(raw, max) {
        return Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {max} characters long."),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

/// A partial update's name: `None` when left out.
pub fn name_change(field: &str, name: Option<String>) -> AppResult<Option<String>> {
    name.map(|n| self::name(field, &n)).transpose()
}

/// A partial update's free text: `None` when left out, `Some(None)` when
/// cleared (null or blank).
pub fn text_change(
    field: &str,
    text: Option<Option<String>>,
    max: usize,
) -> AppResult<Option<Option<String>>> {
    text.map(|t| self::text(field, t.as_deref(), max))
        .transpose()
}

/// The optional note of a change.
pub fn note(note: Option<&str>) -> AppResult<Option<String>> {
    text("note", note, MAX_TEXT)
}

/// A quantity: from 0 to [`MAX_QUANTITY`].
pub fn quantity(field: &str, n: Whole) -> AppResult<i64> {
    quantity_in(field, n.0)
}

/// A quantity however it was read (a body, a CSV cell, a document): from 0
/// to [`MAX_QUANTITY`].
pub fn quantity_in(field: &str, n: impl Into<i128>) -> AppResult<i64> {
    match i64::try_from(n.into()) {
        Ok(n) if n < 0 => Err(AppError::invalid_field(
            field,
            format!("The {field} must not be negative."),
        )),
        Ok(n) if n <= MAX_QUANTITY => Ok(n),
        _ => Err(AppError::invalid_field(
            field,
            format!("The {field} must be at most {MAX_QUANTITY}."),
        )),
    }
}

/// An id: a positive whole number.
pub fn id(field: &str, n: Whole) -> AppResult<i64> {
    match i64::try_from(n.0) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(AppError::invalid_field(
            field,
            format!("The {field} must be a positive whole number."),
        )),
    }
}
