//! The photos-and-attachments rows (issue 15): the server's peak resident
//! size while five 15 MiB photos are uploaded at once (the bodies are spooled
//! to files by the front and the adapter, one decode runs at a time, and a
//! baseline JPEG is decoded at a reduced DCT scale, so the peak is a few MiB
//! of pixels over the idle server), the peak while five
//! clients download a 25 MiB attachment at once (the worker sends it from a
//! temporary copy and the front spills it to a file), and the read cost of a
//! photo, its thumbnail and a 1 MiB attachment under keep-alive load.
//!
//! The photo is generated here: a 12-megapixel (4000 × 3000) camera-like
//! picture (gradients, edges and sensor noise) encoded as a JPEG at the
//! highest quality that stays under 15 MiB (13–15 MiB).

use super::{Bench, Results, bench_env, login, require_clean, step};
use crate::load::{Load, Proc};
use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
const PHOTO_LIMIT: u64 = 15 * MIB;
const ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;
const PARALLEL: usize = 5;
/// Target for the upload peak (issue 15).
pub const UPLOAD_RSS_TARGET_KIB: u64 = 64 * 1024;

pub struct UploadRow {
    pub photo: (u32, u32, u64),
    pub idle_kib: u64,
    pub upload_peak_kib: u64,
    pub upload_seconds: f64,
    pub download_peak_kib: u64,
    /// (label, load) of the read rows.
    pub reads: Vec<(String, Load)>,
}

/// A camera-like JPEG of `w` × `h` at the best quality under `max` bytes.
fn camera_jpeg(w: u32, h: u32, max: u64) -> Result<Vec<u8>, String> {
    let mut state: u32 = 0x9E37_79B9;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state % 48) as i32 - 24
    };
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let stripe = if (x / 37 + y / 53) % 2 == 0 { 40 } else { 0 };
            let base = [
                (x * 200 / w) as i32 + stripe,
                (y * 180 / h) as i32 + 30,
                ((x + y) * 120 / (w + h)) as i32 + 60,
            ];
            for c in base {
                pixels.push((c + noise()).clamp(0, 255) as u8);
            }
        }
    }
    for quality in [100u8, 99, 98, 97, 96, 94, 92, 90, 85, 80, 70] {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, quality)
            .write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
            .map_err(|e| format!("encoding the bench photo: {e}"))?;
        if out.len() as u64 <= max {
            return Ok(out);
        }
    }
    Err("the bench photo does not fit under the limit".into())
}

fn post(server: &Proc, token: &str, path: &str, ctype: &str, body: &[u8]) -> Result<u16, String> {
    let resp = crate::load::insecure_agent()
        .post(format!("{}{path}", server.base()))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", ctype)
        .send(body)
        .map_err(|e| format!("POST {path}: {e}"))?;
    Ok(resp.status().as_u16())
}

fn created_id(
    server: &Proc,
    token: &str,
    path: &str,
    ctype: &str,
    body: &[u8],
) -> Result<i64, String> {
    let mut resp = crate::load::insecure_agent()
        .post(format!("{}{path}", server.base()))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", ctype)
        .send(body)
        .map_err(|e| format!("POST {path}: {e}"))?;
    let json: serde_json::Value = resp
        .body_mut()
        .read_json()
        .map_err(|e| format!("POST {path} answered no JSON: {e}"))?;
    json["id"]
        .as_i64()
        .ok_or_else(|| format!("POST {path} answered {json}"))
}

/// Resets the process's peak resident size (VmHWM) to its current size.
fn reset_peak(server: &Proc) -> Result<(), String> {
    std::fs::write(format!("/proc/{}/clear_refs", server.pid()), "5")
        .map_err(|e| format!("cannot reset the peak resident size: {e}"))
}

pub fn run(bench: &mut Bench<'_>, results: &mut Results) -> Result<(), String> {
    let smoke = bench.opts.smoke;
    let (w, h) = if smoke { (1600, 1200) } else { (4000, 3000) };
    step(&format!("generating a {w}×{h} camera JPEG under 15 MiB"));
    let photo = camera_jpeg(w, h, PHOTO_LIMIT - 64 * 1024)?;
    let server = bench.start(false)?;
    let token = login(&server)?;
    std::thread::sleep(Duration::from_millis(300));
    let idle_kib = server.memory_kib()?.0;
    reset_peak(&server)?;

    step(&format!(
        "{PARALLEL} parallel photo uploads of {} MiB",
        photo.len() as u64 / MIB
    ));
    let started = Instant::now();
    let statuses: Vec<Result<u16, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PARALLEL)
            .map(|_| {
                s.spawn(|| {
                    post(
                        &server,
                        &token,
                        "/api/item/photo?id=1",
                        "image/jpeg",
                        &photo,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("upload thread panicked".into()))
            })
            .collect()
    });
    let upload_seconds = started.elapsed().as_secs_f64();
    for s in statuses {
        match s? {
            201 => {}
            other => {
                return Err(format!(
                    "a photo upload answered {other}:\n{}",
                    server.log_tail()
                ));
            }
        }
    }
    let upload_peak_kib = server.memory_kib()?.1;

    step("a 25 MiB attachment, then downloaded by five clients at once");
    let file: Vec<u8> = (0..ATTACHMENT_BYTES).map(|i| (i % 251) as u8).collect();
    let big = created_id(
        &server,
        &token,
        "/api/item/attachment?id=1&filename=big.bin",
        "application/octet-stream",
        &file,
    )?;
    drop(file);
    std::thread::sleep(Duration::from_millis(300));
    reset_peak(&server)?;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..PARALLEL)
            .map(|_| {
                s.spawn(|| {
                    let mut resp =
                        super::call(&server, &token, &format!("/api/item/attachment?id={big}"))?;
                    let n = std::io::copy(&mut resp.body_mut().as_reader(), &mut std::io::sink())
                        .map_err(|e| format!("download: {e}"))?;
                    match n as usize == ATTACHMENT_BYTES {
                        true => Ok(()),
                        false => Err(format!("download ended after {n} bytes")),
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err("download thread panicked".into()))
        })
    })?;
    let download_peak_kib = server.memory_kib()?.1;

    let photo_id = created_id(
        &server,
        &token,
        "/api/item/photo?id=2",
        "image/jpeg",
        &photo,
    )?;
    let small: Vec<u8> = (0..MIB as usize).map(|i| (i % 241) as u8).collect();
    let sheet = created_id(
        &server,
        &token,
        "/api/item/attachment?id=2&filename=sheet.pdf",
        "application/pdf",
        &small,
    )?;
    let c = if smoke { 4 } else { 16 };
    let mut reads = Vec::new();
    for (label, path) in [
        (
            "GET /api/item/photo (2,048 px)",
            format!("/api/item/photo?id={photo_id}"),
        ),
        (
            "GET /api/item/photo&size=thumb",
            format!("/api/item/photo?id={photo_id}&size=thumb"),
        ),
        (
            "GET /api/item/attachment (1 MiB)",
            format!("/api/item/attachment?id={sheet}"),
        ),
    ] {
        step(&format!("{label} at {c} connections"));
        let mut w = bench.wrk("get.lua", format!("{}{path}", server.base()), c);
        w.env = bench_env(&token, 0, true);
        let l = w.run()?;
        require_clean(label, &l)?;
        reads.push((label.to_string(), l));
    }
    server.stop()?;
    step(&format!(
        "uploads: idle {idle_kib} KiB, upload peak {upload_peak_kib} KiB, download peak {download_peak_kib} KiB"
    ));
    results.uploads = Some(UploadRow {
        photo: (w, h, photo.len() as u64),
        idle_kib,
        upload_peak_kib,
        upload_seconds,
        download_peak_kib,
        reads,
    });
    Ok(())
}

/// The rows of the targets table: (goal, measured, met).
pub fn targets(row: Option<&UploadRow>) -> Vec<(String, String, Option<bool>)> {
    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    let Some(r) = row else {
        return vec![(
            "Peak resident size ≤ 64 MiB during five parallel 15 MiB photo uploads".into(),
            "not measured".into(),
            None,
        )];
    };
    let mut rows = vec![
        (
            "Peak resident size ≤ 64 MiB during five parallel 15 MiB photo uploads".into(),
            format!(
                "peak {} (idle {}); {}×{} JPEG of {:.1} MiB, five 201s in {:.1} s",
                mib(r.upload_peak_kib),
                mib(r.idle_kib),
                r.photo.0,
                r.photo.1,
                r.photo.2 as f64 / MIB as f64,
                r.upload_seconds
            ),
            Some(r.upload_peak_kib <= UPLOAD_RSS_TARGET_KIB),
        ),
        (
            "Peak resident size ≤ 64 MiB during five parallel downloads of a 25 MiB attachment (sent from a temporary copy; the front spills answers over 1 MiB to a file)".into(),
            format!("peak {}", mib(r.download_peak_kib)),
            Some(r.download_peak_kib <= UPLOAD_RSS_TARGET_KIB),
        ),
    ];
    for (label, l) in &r.reads {
        let (goal, met) = match label.contains("thumb") {
            true => (
                format!("`{label}` p99 ≤ 10 ms (16 connections)"),
                l.p99_ms <= 10.0,
            ),
            false => (
                format!("`{label}` p99 ≤ 100 ms (16 connections)"),
                l.p99_ms <= 100.0,
            ),
        };
        rows.push((
            goal,
            format!(
                "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                l.rps(),
                l.p50_ms,
                l.p99_ms
            ),
            Some(met),
        ));
    }
    rows
}
