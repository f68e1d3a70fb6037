//! The front's own answers (layer: front): what a client gets when the front
//! refuses a request or a connection before tiny_http sees it. They are the
//! same `AppError` JSON as every other error (`http::Reply::error_json`),
//! rendered once into complete HTTP/1.1 responses that close the connection.

use super::framing::{MAX_HEAD, Refusal};
use crate::error::AppError;
use crate::http::body::too_large;
use crate::http::{MAX_BODY, Reply};
use std::borrow::Cow;
use std::sync::OnceLock;

/// Sent before reading the body of a request that asked for it.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What the front answers on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Refused(Refusal),
    /// The internal socket cannot be reached.
    Unavailable,
    /// The connection cap (global or per client) is reached.
    OverCapacity,
}

/// The bytes of `answer`, rendered on first use (a 413 names its route's
/// limit, so one for another limit than the default is rendered each time).
pub fn bytes(answer: Answer) -> Cow<'static, [u8]> {
    if let Answer::Refused(Refusal::BodyTooLarge(limit)) = answer
        && limit != MAX_BODY
    {
        return Cow::Owned(render(answer));
    }
    static RENDERED: OnceLock<Vec<(Answer, Vec<u8>)>> = OnceLock::new();
    let all = RENDERED.get_or_init(|| {
        [
            Answer::Refused(Refusal::Malformed),
            Answer::Refused(Refusal::NotAscii),
            Answer::Refused(Refusal::HeadTooLarge),
            Answer::Refused(Refusal::BodyTooLarge(MAX_BODY)),
            Answer::Refused(Refusal::Unauthenticated),
            Answer::Unavailable,
            Answer::OverCapacity,
        ]
        .into_iter()
        .map(|a| (a, render(a)))
        .collect()
    });
    all.iter()
        .find(|(a, _)| *a == answer)
        .map(|(_, bytes)| Cow::Borrowed(bytes.as_slice()))
        .expect("every answer is rendered above")
}

fn error(answer: Answer) -> AppError {
    use crate::api::words::{self, front};
    match answer {
        Answer::Refused(Refusal::Malformed) => front::malformed(),
        Answer::Refused(Refusal::NotAscii) => front::not_ascii(),
        Answer::Refused(Refusal::HeadTooLarge) => front::head_too_large(MAX_HEAD),
        Answer::Refused(Refusal::BodyTooLarge(limit)) => words::said(too_large(limit)),
        Answer::Refused(Refusal::Unauthenticated) => words::not_signed_in(),
        Answer::Unavailable => front::unavailable(),
        Answer::OverCapacity => front::too_many_connections(),
    }
}

fn render(answer: Answer) -> Vec<u8> {
    let error = error(answer);
    let reply = Reply::error_json(&error);
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, error.reason());
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
         Server: MiauInv\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_complete_json_responses() {
        let text = String::from_utf8(bytes(Answer::Refused(Refusal::HeadTooLarge)).to_vec())
            .expect("ASCII");
        assert!(text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["code"], "request_header_fields_too_large");
        let over = String::from_utf8(bytes(Answer::OverCapacity).to_vec()).unwrap();
        assert!(over.starts_with("HTTP/1.1 503 "), "{over}");
        assert!(over.contains("too_many_connections"), "{over}");
    }
}
