//! Test images built in the tests themselves: plain JPEGs and PNGs from the
//! `image` crate, a JPEG carrying an EXIF block with a GPS position (written
//! byte by byte, as a phone would), and PNG "bombs" (a few hundred bytes
//! claiming billions of pixels).
#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, RgbImage, RgbaImage};
use std::io::Write;

/// A string hidden in the GPS block: it must never be served back.
pub const GPS_MARKER: &[u8] = b"MIAUHOMEGPS";

/// A colourful `w` × `h` JPEG.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode a JPEG");
    out
}

/// A `w` × `h` PNG, half transparent when `alpha`.
pub fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
    let a = if alpha { 128 } else { 255 };
    let img = RgbaImage::from_fn(w, h, |x, _| image::Rgba([(x % 256) as u8, 40, 200, a]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
        .expect("encode a PNG");
    out
}

/// `jpeg` with an EXIF APP1 segment right after its SOI marker, as cameras
/// write it: orientation `orientation` and a GPS block (latitude and a datum
/// string holding [`GPS_MARKER`]).
pub fn with_gps_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let tiff = gps_tiff(orientation);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A little-endian TIFF structure: IFD0 (orientation, GPS pointer), then the
/// GPS IFD (latitude reference, latitude, map datum) and its data.
fn gps_tiff(orientation: u16) -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let gps_ifd: u32 = 8 + 2 + 2 * 12 + 4; // 38
    let lat_data: u32 = gps_ifd + 2 + 3 * 12 + 4; // 80
    let datum_data: u32 = lat_data + 24; // 104
    let mut datum = GPS_MARKER.to_vec();
    datum.push(0);
    let mut t = b"II\x2A\x00".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    let o = orientation.to_le_bytes();
    entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len() as u32, gps_ifd);
    t.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, RATIONAL, 3, lat_data.to_le_bytes());
    entry(
        &mut t,
        0x0012,
        ASCII,
        datum.len() as u32,
        datum_data.to_le_bytes(),
    );
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len() as u32, lat_data);
    for (num, den) in [(52u32, 1u32), (31, 1), (1234, 100)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    t.extend_from_slice(&datum);
    t
}

/// A PNG of a few hundred bytes whose header claims `w` × `h` RGBA pixels.
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 1 << 20]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
