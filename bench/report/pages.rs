//! The pages section of the report (bench/pages.rs measured it): one table of
//! pages by size, one of type-to-search fields by size, and the targets
//! for both.

use super::format::ms;
use super::targets::Target;
use super::{PageRow, Results};
use std::fmt::Write;

const HTML_MAX_BYTES: u64 = 300 * 1024;
const DOM_MAX_NODES: u64 = 5_000;
const LOAD_MAX_MS: f64 = 300.0;
const SUGGEST_MAX_MS: f64 = 150.0;

fn sizes<T>(rows: &[T], items: impl Fn(&T) -> i64) -> Vec<i64> {
    let mut s: Vec<i64> = rows.iter().map(items).collect();
    s.sort_unstable();
    s.dedup();
    s
}

pub fn render(o: &mut String, r: &Results) {
    if r.pages.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n## Pages in headless Chromium as the inventory grows\n\n\
         Each page opened logged in, the second time (assets cached). HTML is the decoded document; \
         nodes are counted once the page's own requests settled; `load` and \"data\" (the last request the \
         page's script made) are ms from navigation start.\n"
    );
    let _ = writeln!(
        o,
        "| Page | Items | HTML KB | DOM nodes | load ms | data ms |"
    );
    let _ = writeln!(o, "|---|--:|--:|--:|--:|--:|");
    let mut rows: Vec<&PageRow> = r.pages.iter().collect();
    rows.sort_by_key(|p| (r.pages.iter().position(|x| x.page == p.page), p.items));
    for p in rows {
        let _ = writeln!(
            o,
            "| {} (`{}`) | {} | {:.1} | {} | {} | {} |",
            p.page,
            p.path,
            p.items,
            p.html_bytes as f64 / 1024.0,
            p.dom_nodes,
            ms(p.load_ms),
            ms(p.data_ms)
        );
    }
    let _ = writeln!(
        o,
        "\nType-to-search fields: the field holds the first two letters (their suggestions shown), one more \
         letter is typed, and the clock runs until the new suggestions are in the DOM and painted.\n"
    );
    let sizes = sizes(&r.pickers, |p| p.items);
    let _ = write!(o, "| Page | Field | Typed |");
    for s in &sizes {
        let _ = write!(o, " {s} items ms |");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "|---|---|---|{}", "--:|".repeat(sizes.len()));
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for p in &r.pickers {
        let key = (p.page.as_str(), p.field.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let _ = write!(o, "| {} | {} | `{}` |", p.page, p.field, p.query);
        for s in &sizes {
            match r
                .pickers
                .iter()
                .find(|x| x.items == *s && x.page == p.page && x.field == p.field)
            {
                Some(x) => {
                    let _ = write!(o, " {} |", ms(x.ms));
                }
                None => {
                    let _ = write!(o, " – |");
                }
            }
        }
        let _ = writeln!(o);
    }
}

pub fn targets(r: &Results, t: &mut Vec<Target>) {
    let mut add = |goal: String, measured: String, met: Option<bool>| {
        t.push(Target {
            goal,
            measured,
            met,
        })
    };
    if r.pages.is_empty() {
        add(
            "Pages ≤ 300 KB of HTML and ≤ 5,000 DOM nodes at every size".into(),
            "not measured".into(),
            None,
        );
        return;
    }
    let biggest = r.pages.iter().max_by_key(|p| p.html_bytes);
    let fullest = r.pages.iter().max_by_key(|p| p.dom_nodes);
    if let (Some(b), Some(f)) = (biggest, fullest) {
        add(
            "Every page ≤ 300 KB of HTML at every size".into(),
            format!(
                "largest {:.1} KB ({} at {} items)",
                b.html_bytes as f64 / 1024.0,
                b.page,
                b.items
            ),
            Some(b.html_bytes <= HTML_MAX_BYTES),
        );
        add(
            "Every page ≤ 5,000 DOM nodes at every size".into(),
            format!("most {} ({} at {} items)", f.dom_nodes, f.page, f.items),
            Some(f.dom_nodes <= DOM_MAX_NODES),
        );
    }
    let large = sizes(&r.pages, |p| p.items).last().copied().unwrap_or(0);
    let slowest = r
        .pages
        .iter()
        .filter(|p| p.items == large)
        .max_by(|a, b| a.load_ms.total_cmp(&b.load_ms));
    if let Some(s) = slowest {
        add(
            format!("`load` ≤ 300 ms on every page at {large} items"),
            format!("slowest {} ms ({})", ms(s.load_ms), s.page),
            Some(s.load_ms <= LOAD_MAX_MS),
        );
    }
    let slowest = r
        .pickers
        .iter()
        .filter(|p| p.items == large)
        .max_by(|a, b| a.ms.total_cmp(&b.ms));
    match slowest {
        Some(s) => add(
            format!("Keystroke → suggestions ≤ 150 ms for every picker at {large} items"),
            format!(
                "slowest {} ms ({}, {}, `{}`)",
                ms(s.ms),
                s.page,
                s.field,
                s.query
            ),
            Some(s.ms <= SUGGEST_MAX_MS),
        ),
        None => add(
            format!("Keystroke → suggestions ≤ 150 ms for every picker at {large} items"),
            "not measured".into(),
            None,
        ),
    }
}
