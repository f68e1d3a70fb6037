//! QR labels: the short URL a label encodes (`{public_url}/l/i/{id}`,
//! `{public_url}/l/l/{id}`), the sheet layouts MiauInv prints on, and one
//! label drawn as SVG (the QR code as a single path, the name, the sku or the
//! location's path, and the short id). Pure functions: no database, no HTTP;
//! `api/labels.rs` serves one label, `pages/labels.rs` whole sheets. Every text
//! is escaped, and the SVG carries only presentation attributes (no `style`,
//! no script), so the site's CSP needs no exception for it. Layer 1.

use std::fmt::Write;

/// What a label is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Item,
    Location,
}

impl Kind {
    /// The letter in the short URL (`/l/i/…`, `/l/l/…`).
    pub fn letter(self) -> char {
        match self {
            Kind::Item => 'i',
            Kind::Location => 'l',
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "item" | "i" => Some(Kind::Item),
            "location" | "l" => Some(Kind::Location),
            _ => None,
        }
    }
}

/// Where labels point: the configured `public_url` (or `rp_origin`), else the
/// address the request came to, which is the one the person's phone reached.
pub fn base_url(configured: Option<String>, secure: bool, host: Option<&str>) -> String {
    configured.unwrap_or_else(|| {
        format!(
            "{}://{}",
            if secure { "https" } else { "http" },
            host.unwrap_or("localhost")
        )
    })
}

/// The URL a label encodes: any phone camera opens it, no app needed.
pub fn short_url(public_url: &str, kind: Kind, id: i64) -> String {
    format!(
        "{}/l/{}/{id}",
        public_url.trim_end_matches('/'),
        kind.letter()
    )
}

/// One label's content.
#[derive(Debug, Clone)]
pub struct Label {
    pub kind: Kind,
    pub id: i64,
    pub name: String,
    /// The item's sku, or the location's path.
    pub detail: Option<String>,
    pub url: String,
}

/// A printed sheet: page and label sizes in millimetres, the grid, and the
/// margins and gaps between labels (from the label makers' templates).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Layout {
    pub id: &'static str,
    pub name: &'static str,
    /// The named `@page` in labels.css that sets the paper size.
    pub page: &'static str,
    pub page_w: f64,
    pub page_h: f64,
    pub label_w: f64,
    pub label_h: f64,
    pub cols: usize,
    pub rows: usize,
    pub top: f64,
    pub left: f64,
    pub gap_x: f64,
    pub gap_y: f64,
}

const IN: f64 = 25.4;

pub const LAYOUTS: &[Layout] = &[
    Layout {
        id: "a4-3x8",
        name: "A4, 3 × 8 (70 × 37 mm)",
        page: "a4",
        page_w: 210.0,
        page_h: 297.0,
        label_w: 70.0,
        label_h: 37.0,
        cols: 3,
        rows: 8,
        top: 0.5,
        left: 0.0,
        gap_x: 0.0,
        gap_y: 0.0,
    },
    // Avery L7160: 21 labels of 63.5 × 38.1 mm. Ten rows of 38.1 mm would be
    // 381 mm, taller than A4, so the sheet has the template's seven.
    Layout {
        id: "a4-l7160",
        name: "A4, 3 × 7 (Avery L7160, 63.5 × 38.1 mm)",
        page: "a4",
        page_w: 210.0,
        page_h: 297.0,
        label_w: 63.5,
        label_h: 38.1,
        cols: 3,
        rows: 7,
        top: 15.15,
        left: 7.21,
        gap_x: 2.54,
        gap_y: 0.0,
    },
    Layout {
        id: "letter-5160",
        name: "Letter, 3 × 10 (Avery 5160, 2⅝ × 1 in)",
        page: "letter",
        page_w: 8.5 * IN,
        page_h: 11.0 * IN,
        label_w: 2.625 * IN,
        label_h: 1.0 * IN,
        cols: 3,
        rows: 10,
        top: 0.5 * IN,
        left: 0.1875 * IN,
        gap_x: 0.125 * IN,
        gap_y: 0.0,
    },
    Layout {
        id: "single-62",
        name: "Label printer, 62 × 29 mm",
        page: "l62",
        page_w: 62.0,
        page_h: 29.0,
        label_w: 62.0,
        label_h: 29.0,
        cols: 1,
        rows: 1,
        top: 0.0,
        left: 0.0,
        gap_x: 0.0,
        gap_y: 0.0,
    },
    Layout {
        id: "single-50x30",
        name: "Label printer, 50 × 30 mm",
        page: "l50",
        page_w: 50.0,
        page_h: 30.0,
        label_w: 50.0,
        label_h: 30.0,
        cols: 1,
        rows: 1,
        top: 0.0,
        left: 0.0,
        gap_x: 0.0,
        gap_y: 0.0,
    },
];

pub fn layout(id: &str) -> Option<&'static Layout> {
    LAYOUTS.iter().find(|l| l.id == id)
}

impl Layout {
    pub fn per_sheet(&self) -> usize {
        self.cols * self.rows
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The QR code of `text` as one SVG path in module units (runs of dark
/// modules per row), and its width in modules.
fn qr_path(text: &str) -> Option<(String, usize)> {
    let qr = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let n = qr.width();
    let colors = qr.to_colors();
    let mut d = String::new();
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if colors[y * n + x] != qrcode::Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && colors[y * n + x] == qrcode::Color::Dark {
                x += 1;
            }
            let _ = write!(d, "M{start} {y}h{}v1h-{}z", x - start, x - start);
        }
    }
    Some((d, n))
}

/// Cuts `text` into at most `lines` lines of at most `width` characters at
/// spaces, ending with "…" when it does not fit.
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let width = width.max(4);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    let cut = out.len() > lines;
    out.truncate(lines);
    for l in out.iter_mut() {
        if l.chars().count() > width {
            *l = l.chars().take(width - 1).collect();
            l.push('…');
        }
    }
    if cut && let Some(last) = out.last_mut() {
        let keep: String = last.chars().take(width - 1).collect();
        *last = format!("{}…", keep.trim_end());
    }
    out
}

/// A length with at most two decimals and no trailing zeros ("70", "0.5").
fn n(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.into()
    }
}

/// One label of `w` × `h` millimetres as an `<svg>` element (with `xmlns`, so
/// it stands alone as a file or inline in a page). None only when the URL is
/// too long for a QR code, which a label's short URL never is.
pub fn svg(label: &Label, w: f64, h: f64) -> Option<String> {
    let (path, modules) = qr_path(&label.url)?;
    let pad = (h * 0.06).clamp(1.0, 3.0);
    // The QR code with a quiet zone of two modules, as tall as the label allows.
    let side = (h - 2.0 * pad).min(w * 0.55);
    let scale = side / (modules + 4) as f64;
    let text_x = pad + side + pad * 0.5;
    let text_w = (w - text_x - pad).max(1.0);
    let name_size = (h * 0.16).clamp(2.6, 5.0);
    let small = name_size * 0.72;
    let chars = |size: f64| (text_w / (size * 0.56)) as usize;
    let mut out = String::with_capacity(path.len() + 800);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}" role="img" aria-label="{aria}"><rect width="{w}" height="{h}" fill="#fff"/><path transform="translate({x} {y}) scale({s:.4})" d="{path}" fill="#000" shape-rendering="crispEdges"/><g font-family="Helvetica, Arial, sans-serif" fill="#000">"##,
        w = n(w),
        h = n(h),
        aria = escape(&format!("Label: {}", label.name)),
        x = n(pad + 2.0 * scale),
        y = n((h - side) / 2.0 + 2.0 * scale),
        s = scale,
    );
    let mut y = pad + name_size;
    for line in wrap(&label.name, chars(name_size), 2) {
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-size="{}" font-weight="bold">{}</text>"#,
            n(text_x),
            n(y),
            n(name_size),
            escape(&line)
        );
        y += name_size * 1.15;
    }
    if let Some(detail) = label.detail.as_deref().filter(|d| !d.is_empty()) {
        for line in wrap(detail, chars(small), 2) {
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" font-size="{}">{}</text>"#,
                n(text_x),
                n(y + small * 0.2),
                n(small),
                escape(&line)
            );
            y += small * 1.2;
        }
    }
    let short = format!(
        "{} #{}",
        match label.kind {
            Kind::Item => "ITEM",
            Kind::Location => "LOCATION",
        },
        label.id
    );
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="{}" font-family="monospace">{}</text></g></svg>"#,
        n(text_x),
        n(h - pad),
        n(small),
        escape(&short)
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(name: &str) -> Label {
        Label {
            kind: Kind::Item,
            id: 7,
            name: name.into(),
            detail: Some("SKU <1>".into()),
            url: short_url("https://inv.example.com/", Kind::Item, 7),
        }
    }

    #[test]
    fn short_urls_name_the_kind_and_id() {
        assert_eq!(
            short_url("https://inv.example.com/", Kind::Item, 7),
            "https://inv.example.com/l/i/7"
        );
        assert_eq!(
            short_url("http://x:8080", Kind::Location, 12),
            "http://x:8080/l/l/12"
        );
    }

    #[test]
    fn text_in_a_label_is_escaped() {
        let svg = svg(&label("<script>alert('x')</script> & co"), 70.0, 37.0).expect("svg");
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("SKU &lt;1&gt;"));
        assert!(!svg.contains("style"));
    }

    #[test]
    fn long_names_wrap_into_two_lines_and_end_with_an_ellipsis() {
        let lines = wrap("one two three four five six seven eight", 10, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert_eq!(wrap("short", 10, 2), vec!["short".to_string()]);
        let long = wrap("Supercalifragilistic", 8, 2);
        assert_eq!(long, vec!["Superca…".to_string()]);
    }

    #[test]
    fn lengths_are_short_and_never_empty() {
        assert_eq!(n(70.0), "70");
        assert_eq!(n(0.5), "0.5");
        assert_eq!(n(0.0), "0");
        assert_eq!(n(12.345678), "12.35");
    }

    #[test]
    fn every_layout_fits_its_page() {
        for l in LAYOUTS {
            let w = l.left + l.cols as f64 * l.label_w + (l.cols - 1) as f64 * l.gap_x;
            let h = l.top + l.rows as f64 * l.label_h + (l.rows - 1) as f64 * l.gap_y;
            assert!(w <= l.page_w + 0.01, "{} is {w} mm wide", l.id);
            assert!(h <= l.page_h + 0.01, "{} is {h} mm tall", l.id);
        }
    }
}
