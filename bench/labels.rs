//! The label sheet row: `/labels` with 240 items (ten A4 3 × 8 sheets, each
//! label's QR code drawn by the server), which the issue wants in under a
//! second. Timed over a real connection, best of five, into the notes.

use crate::load::Proc;
use crate::report::Results;
use std::time::{Duration, Instant};

const LABELS: i64 = 240;

pub fn measure(
    server: &Proc,
    token: &str,
    items: i64,
    results: &mut Results,
) -> Result<(), String> {
    crate::step("a sheet of 240 QR labels");
    let n = LABELS.min(items);
    let ids: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let path = format!("/labels?items={}", ids.join(","));
    let (mut best, mut bytes) = (Duration::MAX, 0);
    for _ in 0..5 {
        let started = Instant::now();
        let mut resp = crate::call(server, token, &path)?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("GET /labels: {e}"))?;
        let took = started.elapsed();
        if status != 200 {
            return Err(format!("GET /labels answered {status}"));
        }
        let drawn = body.matches("<div class=\"label\">").count() as i64;
        if drawn != n {
            return Err(format!("GET /labels drew {drawn} labels, not {n}"));
        }
        bytes = body.len();
        best = best.min(took);
    }
    results.notes.push(format!(
        "Label sheet: `/labels` drew {n} QR labels (A4 3 × 8) in {:.0} ms, best of 5 ({} KiB of HTML); the issue asks for under 1 s.",
        best.as_secs_f64() * 1000.0,
        bytes / 1024
    ));
    Ok(())
}
