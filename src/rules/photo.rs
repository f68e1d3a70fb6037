//! Turning an uploaded photo into what we store (layer: rules; the upload
//! route and the ZIP import both go through it): decode it under
//! hard limits, turn it upright (EXIF orientation), scale it to at most
//! 2,048 px on its long side plus a 256 px thumbnail, and re-encode both with
//! the `image` crate. Re-encoding writes pixels only: EXIF (GPS position,
//! camera serial), XMP and ICC data of the upload never reach the database.
//!
//! Decoding is the memory-heavy step (a 12 MP photo is 36 MB of pixels).
//! Baseline JPEGs, what cameras and phones write, are decoded at a reduced
//! size straight from the DCT (`decode_jpeg_scaled`); everything else is
//! decoded whole by the `image` crate. One decode runs at a time in the
//! server (`App::photo_decodes`), whatever the number of workers; others wait
//! their turn, and beyond half the workers in line an upload is refused with
//! 503 and `Retry-After`. Nothing here touches the database: the handler
//! stores the result afterwards, never decoding inside a write.

use crate::app::Gate;
use crate::error::{AppError, AppResult, Kind};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage,
};
use jpeg_decoder::{CodingProcess, PixelFormat};
use std::io::{self, BufRead, Read, Seek, SeekFrom};

/// Longest side of a stored photo.
pub const MAX_SIDE: u32 = 2048;
/// Longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 256;
/// The pixel memory one decode may take: 24 megapixels of 8-bit RGB.
pub const MAX_DECODE_BYTES: u64 = 72 * 1000 * 1000;
/// Longest side an upload may have, whatever its memory.
pub const MAX_INPUT_SIDE: u32 = 16_384;
const JPEG_QUALITY: u8 = 85;
/// The long side a large baseline JPEG is decoded to at least before the
/// final scaling to [`MAX_SIDE`]: the DCT scales by halves, so a 4,000 px
/// photo is decoded at 2,000 px (and stored so) rather than at full size.
const JPEG_DECODE_FLOOR: u32 = 1600;

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
pub fn process(
    gate: &Gate,
    mut body: impl BufRead + Seek,
    format: ImageFormat,
) -> AppResult<Processed> {
    // zune-jpeg decodes a truncated file as far as it goes and fills the rest
    // with grey: a half-uploaded photo would be stored as if it were whole.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(&mut body)? {
        return Err(invalid_image());
    }
    body.seek(SeekFrom::Start(0))?;
    let _turn = gate.enter().ok_or_else(AppError::busy)?;
    let (decoded, orientation) = match format {
        ImageFormat::Jpeg => match decode_jpeg_scaled(&mut body)? {
            Some(decoded) => decoded,
            None => {
                body.seek(SeekFrom::Start(0))?;
                decode_whole(body, format)?
            }
        },
        _ => decode_whole(body, format)?,
    };
    // Scaled first, turned after: the box is square, so the order does not
    // change the result, and turning the small copy costs little memory.
    let mut full = fit(decoded, MAX_SIDE);
    full.apply_orientation(orientation);
    let keeps_alpha = is_transparent(&full);
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

/// A baseline JPEG (what cameras and phones write) decoded by `jpeg-decoder`
/// straight from its stream at the smallest DCT scale (1/1, 1/2, 1/4, 1/8)
/// whose long side still reaches [`JPEG_DECODE_FLOOR`]: a 12 MP photo
/// becomes 3 MP of pixels, a 24 MP one 6 MP, and the compressed file is
/// never held in memory. `None` for the JPEGs it leaves to the `image`
/// crate (progressive, CMYK, 16-bit), which decode at full size.
fn decode_jpeg_scaled(
    body: &mut (impl BufRead + Seek),
) -> AppResult<Option<(DynamicImage, Orientation)>> {
    let mut decoder = jpeg_decoder::Decoder::new(&mut *body);
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder.info().ok_or_else(invalid_image)?;
    let supported = matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8)
        && info.coding_process == CodingProcess::DctSequential;
    if !supported {
        return Ok(None);
    }
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w == 0 || h == 0 {
        return Err(invalid_image());
    }
    if w.max(h) > MAX_INPUT_SIDE {
        return Err(too_large());
    }
    let (mut out_w, mut out_h) = (w, h);
    if w.max(h) > MAX_SIDE {
        let shrink = |side: u32| (side * JPEG_DECODE_FLOOR).div_ceil(w.max(h)).max(1) as u16;
        let (sw, sh) = decoder.scale(shrink(w), shrink(h)).map_err(jpeg_error)?;
        (out_w, out_h) = (u32::from(sw), u32::from(sh));
    }
    let channels: u64 = match info.pixel_format {
        PixelFormat::L8 => 1,
        _ => 3,
    };
    if u64::from(out_w) * u64::from(out_h) * channels > MAX_DECODE_BYTES {
        return Err(too_large());
    }
    decoder.set_max_decoding_buffer_size(MAX_DECODE_BYTES as usize);
    let pixels = decoder.decode().map_err(jpeg_error)?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let image = match info.pixel_format {
        PixelFormat::L8 => GrayImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(out_w, out_h, pixels).map(DynamicImage::ImageRgb8),
    };
    Ok(Some((image.ok_or_else(invalid_image)?, orientation)))
}

fn jpeg_error(e: jpeg_decoder::Error) -> AppError {
    match e {
        jpeg_decoder::Error::Unsupported(_) => unsupported_image(),
        jpeg_decoder::Error::Io(e) if e.kind() != io::ErrorKind::UnexpectedEof => {
            AppError::internal(format_args!("reading an upload: {e}"))
        }
        _ => invalid_image(),
    }
}

/// Any other photo, decoded whole by the `image` crate under its limits.
fn decode_whole(
    body: impl BufRead + Seek,
    format: ImageFormat,
) -> AppResult<(DynamicImage, Orientation)> {
    let mut reader = ImageReader::with_format(body, format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_INPUT_SIDE);
    limits.max_image_height = Some(MAX_INPUT_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut budget = limits.clone();
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    // The decoders check the dimensions only; `from_decoder` allocates the
    // whole picture without asking (image's own `decode` reserves it first,
    // as we do here), so a small file claiming billions of pixels stops now.
    budget.reserve(decoder.total_bytes()).map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let decoded = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    Ok((decoded, orientation))
}

/// `image` scaled to fit a `side` × `side` box (area averaging, which needs
/// no buffer beyond its result); a smaller image is kept as it is.
fn fit(image: DynamicImage, side: u32) -> DynamicImage {
    match image.width().max(image.height()) > side {
        true => image.thumbnail(side, side),
        false => image,
    }
}

/// Whether any pixel is not fully opaque (a PNG often carries an alpha
/// channel it does not use: that one can become a JPEG).
fn is_transparent(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(buf) => buf.pixels().any(|p| p[3] < u8::MAX),
        DynamicImage::ImageLumaA8(buf) => buf.pixels().any(|p| p[1] < u8::MAX),
        other => other.color().has_alpha(),
    }
}

fn jpeg(image: &DynamicImage) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    // An RGB picture (every JPEG upload) is encoded without a copy.
    let encoded = match image.as_rgb8() {
        Some(rgb) => encoder.encode_image(rgb),
        None => encoder.encode_image(&image.to_rgb8()),
    };
    encoded.map_err(|e| AppError::internal(format_args!("jpeg encoding: {e}")))?;
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
        ImageError::Limits(_) => too_large(),
        ImageError::Unsupported(_) => unsupported_image(),
        ImageError::IoError(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            AppError::internal(format_args!("reading an upload: {e}"))
        }
        _ => invalid_image(),
    }
}

fn too_large() -> AppError {
    AppError::bad_request(
        "image_too_large",
        format!(
            "The image is too large to process: at most {MAX_INPUT_SIDE} px on a side and about {} megapixels (baseline JPEGs of any size up to that side are fine).",
            MAX_DECODE_BYTES / 3 / 1_000_000
        ),
    )
}

fn unsupported_image() -> AppError {
    AppError::new(
        Kind::UnsupportedMediaType,
        "unsupported_image",
        "This kind of image is not supported; send a JPEG, PNG or WebP photo.",
    )
}

fn invalid_image() -> AppError {
    AppError::bad_request(
        "invalid_image",
        "The photo could not be read: the file is damaged, truncated or not the type its Content-Type says.",
    )
}

/// Refuses, from its header alone, a photo no upload could be: longer than
/// [`MAX_INPUT_SIDE`] on a side (a 30,000 px square PNG is a few KiB).
pub fn within_input_side(width: u32, height: u32) -> AppResult<()> {
    match width.max(height) > MAX_INPUT_SIDE {
        true => Err(too_large()),
        false => Ok(()),
    }
}

/// Whether a stored photo from a file (a ZIP export) may keep its bytes: it
/// decodes whole as the `format` it claims, at `width`×`height` within
/// `max_side`, and holds nothing but pixels (what our own encoder writes: no
/// EXIF, XMP, ICC, comments or text chunks, nothing after its end). A genuine
/// export's photos, re-encoded at upload, pass and round-trip byte for byte;
/// anything else goes through [`process`] like an upload.
pub fn is_clean(bytes: &[u8], format: ImageFormat, size: (u32, u32), max_side: u32) -> bool {
    let bare = match format {
        ImageFormat::Jpeg => jpeg_is_bare(bytes),
        ImageFormat::Png => png_is_bare(bytes),
        _ => false,
    };
    if !bare || size.0.max(size.1) > max_side || size.0 == 0 || size.1 == 0 {
        return false;
    }
    let mut reader = ImageReader::with_format(io::Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    matches!(reader.decode(), Ok(image) if (image.width(), image.height()) == size)
}

/// A JPEG of only the segments our encoder writes (JFIF, tables, frame,
/// scans), ending at its end-of-image marker.
fn jpeg_is_bare(b: &[u8]) -> bool {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            return false;
        }
        let marker = b[i + 1];
        i += 2;
        match marker {
            0xD9 => return i == b.len(),
            0xE0 | 0xDB | 0xC0 | 0xC1 | 0xC2 | 0xC4 | 0xDD | 0xDA => {}
            _ => return false,
        }
        let Some(len) = b
            .get(i..i + 2)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize)
        else {
            return false;
        };
        i += len;
        if marker == 0xDA {
            // Entropy-coded data: a data byte FF is followed by 00 or a
            // restart marker; anything else is the next marker.
            while i + 1 < b.len() && (b[i] != 0xFF || matches!(b[i + 1], 0x00 | 0xD0..=0xD7)) {
                i += 1;
            }
        }
    }
    false
}

/// A PNG of only the chunks our encoder writes (header, palette,
/// transparency, data, end), ending at its end chunk.
fn png_is_bare(b: &[u8]) -> bool {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return false;
    }
    let mut i = 8;
    while let Some(head) = b.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        i += 12 + len;
        match kind {
            b"IEND" => return i == b.len(),
            b"IHDR" | b"PLTE" | b"tRNS" | b"IDAT" => {}
            _ => return false,
        }
    }
    false
}

/// Whether a JPEG stream reaches its end-of-image marker: its segments are
/// walked by their lengths up to the first scan (so an EXIF thumbnail's own
/// markers are skipped), then the entropy-coded data is searched for EOI
/// (`FF D9` cannot occur inside it: a data byte `FF` is always followed by
/// `00` or a restart marker). Data a camera appends after EOI is fine.
fn jpeg_is_complete(body: &mut impl BufRead) -> io::Result<bool> {
    let mut two = [0u8; 2];
    if body.read_exact(&mut two).is_err() || two != [0xFF, 0xD8] {
        // Not a JPEG at all: the decoder says so.
        return Ok(true);
    }
    loop {
        let mut marker = [0u8; 1];
        // Fill bytes (FF FF …) may precede a marker.
        loop {
            if body.read(&mut marker)? == 0 {
                return Ok(false);
            }
            if marker[0] != 0xFF {
                break;
            }
        }
        match marker[0] {
            0xD9 => return Ok(true),
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        if body.read_exact(&mut two).is_err() {
            return Ok(false);
        }
        let length = u16::from_be_bytes(two).saturating_sub(2) as u64;
        let skipped = io::copy(&mut body.take(length), &mut io::sink())?;
        if skipped < length {
            return Ok(false);
        }
        if marker[0] == 0xDA {
            return reaches_eoi(body);
        }
    }
}

fn reaches_eoi(body: &mut impl BufRead) -> io::Result<bool> {
    let mut after_ff = false;
    loop {
        let buf = body.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        for &b in buf {
            if after_ff && b == 0xD9 {
                return Ok(true);
            }
            after_ff = b == 0xFF;
        }
        let n = buf.len();
        body.consume(n);
    }
}
