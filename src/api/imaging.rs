//! Turning an uploaded photo into what we store (layer: api): decode it with
//! the `image` crate under hard limits, turn it upright (EXIF orientation),
//! scale it to at most 2,048 px on its long side plus a 256 px thumbnail, and
//! re-encode both. Re-encoding writes pixels only: EXIF (GPS position, camera
//! serial), XMP and ICC data of the upload never reach the database.
//!
//! Decoding is the memory-heavy step (a 12 MP photo is 36 MB of pixels), so
//! at most [`DECODES`] run at once in the process, whatever the number of
//! workers; others wait their turn. Nothing here touches the database: the
//! handler stores the result afterwards, never decoding inside a write.

use crate::error::{AppError, AppResult, Kind};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use std::io::{BufRead, Seek};
use std::sync::{Condvar, Mutex};

/// Longest side of a stored photo.
pub const MAX_SIDE: u32 = 2048;
/// Longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 256;
/// Decodes running at once in the process: each may hold up to
/// [`MAX_DECODE_BYTES`] of pixels.
pub const DECODES: usize = 1;
/// The pixel memory one decode may take: 24 megapixels of 8-bit RGB.
pub const MAX_DECODE_BYTES: u64 = 72 * 1000 * 1000;
/// Longest side an upload may have, whatever its memory.
pub const MAX_INPUT_SIDE: u32 = 16_384;
const JPEG_QUALITY: u8 = 85;

/// The photo as stored.
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    pub data: Vec<u8>,
    pub thumb: Vec<u8>,
}

/// The image format a photo upload declares (`Content-Type`).
pub fn declared_format(content_type: &str) -> AppResult<ImageFormat> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    match mime.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => Ok(ImageFormat::Jpeg),
        "image/png" => Ok(ImageFormat::Png),
        "image/webp" => Ok(ImageFormat::WebP),
        _ => Err(AppError::new(
            Kind::UnsupportedMediaType,
            "unsupported_media_type",
            "Send a photo as the raw body with 'Content-Type: image/jpeg', 'image/png' or 'image/webp'.",
        )),
    }
}

/// Decodes, orients, scales and re-encodes a photo of `format` from `body`.
pub fn process(body: impl BufRead + Seek, format: ImageFormat) -> AppResult<Processed> {
    let _turn = DecodeTurn::take();
    let mut reader = ImageReader::with_format(body, format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let decoded = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    let keeps_alpha = decoded.color().has_alpha();
    // Scaled first, turned after: the box is square, so the order does not
    // change the result, and turning the small copy costs little memory.
    let mut full = fit(decoded, MAX_SIDE);
    full.apply_orientation(orientation);
    let thumb = full.thumbnail(THUMB_SIDE, THUMB_SIDE);
    let (content_type, data, thumb) = match keeps_alpha {
        true => ("image/png", png(&full)?, png(&thumb)?),
        false => ("image/jpeg", jpeg(&full)?, jpeg(&thumb)?),
    };
    Ok(Processed {
        width: full.width(),
        height: full.height(),
        content_type,
        data,
        thumb,
    })
}

/// `image` scaled to fit a `side` × `side` box (area averaging, which needs
/// no buffer beyond its result); a smaller image is kept as it is.
fn fit(image: DynamicImage, side: u32) -> DynamicImage {
    match image.width().max(image.height()) > side {
        true => image.thumbnail(side, side),
        false => image,
    }
}

fn jpeg(image: &DynamicImage) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let rgb = image.to_rgb8();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| AppError::internal(format_args!("jpeg encoding: {e}")))?;
    Ok(out)
}

fn png(image: &DynamicImage) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let rgba = image.to_rgba8();
    rgba.write_with_encoder(PngEncoder::new(&mut out))
        .map_err(|e| AppError::internal(format_args!("png encoding: {e}")))?;
    Ok(out)
}

/// Why an upload is not a photo we take, in words for the client.
fn undecodable(e: ImageError) -> AppError {
    match e {
        ImageError::Limits(_) => AppError::bad_request(
            "image_too_large",
            format!(
                "The image is too large to process: at most {MAX_INPUT_SIDE} px on a side and about {} megapixels.",
                MAX_DECODE_BYTES / 3 / 1_000_000
            ),
        ),
        ImageError::Unsupported(_) => AppError::new(
            Kind::UnsupportedMediaType,
            "unsupported_image",
            "This kind of image is not supported; send a JPEG, PNG or WebP photo.",
        ),
        ImageError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            AppError::internal(format_args!("reading an upload: {e}"))
        }
        _ => AppError::bad_request(
            "invalid_image",
            "The photo could not be read: the file is damaged, truncated or not the type its Content-Type says.",
        ),
    }
}

/// A place among the [`DECODES`] that may run at once; given back on drop
/// (also when decoding fails or panics).
struct DecodeTurn;

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl DecodeTurn {
    fn take() -> DecodeTurn {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= DECODES {
            running = FREED.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        DecodeTurn
    }
}

impl Drop for DecodeTurn {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        *running -= 1;
        FREED.notify_one();
    }
}
