//! Natural order for names: "Part 2" before "Part 10", ignoring case. Each
//! named table keeps a `name_key` column (migration 0007) that sorts that way
//! byte by byte, so a sorted page is one index seek like any other. The key is
//! made by [`natural_key`], registered as the SQL function `natural_key` on
//! every connection so the schema's triggers keep the column current however
//! a row is written.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

/// The sort key of a name: lowercased, and every run of digits replaced by its
/// length (two digits) and then the digits without leading zeros, so numbers
/// compare by value ("2" → "012", "10" → "0210") and before letters. Runs of
/// more than 99 digits count as 99 long; they still sort after shorter ones.
pub fn natural_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 8);
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut digits = String::from(c);
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            let value = digits.trim_start_matches('0');
            let value = if value.is_empty() { "0" } else { value };
            key.push_str(&format!("{:02}", value.len().min(99)));
            key.push_str(value);
        } else {
            key.extend(c.to_lowercase());
        }
    }
    key
}

/// Makes `natural_key(text)` callable from SQL on this connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "natural_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let name: Option<String> = ctx.get(0)?;
            Ok(name.map(|n| natural_key(&n)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::natural_key;

    #[test]
    fn numbers_sort_by_value_and_case_is_ignored() {
        let mut names = vec![
            "Part 10",
            "part 2",
            "Part 1",
            "Part 100",
            "PART 1001",
            "Part 010b",
            "Bolt M4",
            "bolt m10",
            "Part",
            "Part 2a",
        ];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(
            names,
            [
                "Bolt M4",
                "bolt m10",
                "Part",
                "Part 1",
                "part 2",
                "Part 2a",
                "Part 10",
                "Part 010b",
                "Part 100",
                "PART 1001"
            ]
        );
    }

    #[test]
    fn leading_zeros_and_long_numbers_are_kept_in_order() {
        assert_eq!(natural_key("007"), natural_key("7"));
        assert!(natural_key("x9") < natural_key("x10"));
        let long = "9".repeat(120);
        assert!(natural_key(&format!("x{}", "1".repeat(30))) < natural_key(&format!("x{long}")));
    }
}
