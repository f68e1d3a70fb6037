//! A notice in words (layer: notify), as every channel sends it: the type
//! `channels.rs` writes and `email.rs` sends, in a file of its own so that
//! neither imports the other both ways.

/// A notice in words: ntfy's title and message, an email's subject and body.
pub struct Message {
    pub subject: String,
    pub body: String,
    pub event_id: String,
    /// Instead of the channel's recipients, this one address only.
    pub recipient: Option<String>,
}
