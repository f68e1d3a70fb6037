//! The passkey relying party as the config names it (`rp_origin`, `rp_id`),
//! resolved and checked at start-up: a bad combination stops the server with
//! a message naming the key, instead of failing every ceremony later.

use super::Config;
use url::{Host, Url};

/// The relying party's origin and id as resolved from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: Url,
}

/// Resolves `rp_origin`/`rp_id` (empty = derived from `tls` and `port` for
/// `localhost`) and checks them the way browsers will: a host name (never an IP
/// address), HTTPS unless the host is localhost, and an rp_id that is the origin's
/// host or a parent domain of it. A bad combination stops the server at start-up
/// with a message naming the key, instead of failing every ceremony later.
pub fn relying_party(config: &Config) -> Result<RelyingParty, String> {
    let origin_text = match config.rp_origin.trim() {
        "" => format!(
            "{}://localhost:{}",
            if config.tls { "https" } else { "http" },
            config.port
        ),
        set => set.to_string(),
    };
    let bad_origin =
        |why: &str| format!("config key 'rp_origin' has invalid value '{origin_text}': {why}");
    let origin = Url::parse(&origin_text).map_err(|e| {
        bad_origin(&format!(
            "{e}; expected the address users open, e.g. https://inventory.example.com"
        ))
    })?;
    if !matches!(origin.scheme(), "https" | "http") {
        return Err(bad_origin(
            "the scheme must be https:// (or http:// for localhost)",
        ));
    }
    if origin.path() != "/"
        || origin.query().is_some()
        || origin.fragment().is_some()
        || !origin.username().is_empty()
    {
        return Err(bad_origin(
            "give only scheme://host[:port], without a path, query or user name",
        ));
    }
    let host = match origin.host() {
        Some(Host::Domain(d)) => d.to_string(),
        Some(_) => {
            return Err(bad_origin(
                "WebAuthn does not allow IP addresses; use a host name (e.g. localhost or inventory.lan)",
            ));
        }
        None => return Err(bad_origin("the host name is missing")),
    };
    let localhost = host == "localhost" || host.ends_with(".localhost");
    if origin.scheme() == "http" && !localhost {
        return Err(bad_origin(
            "browsers only offer passkeys on https:// origins (http:// works for localhost only)",
        ));
    }
    let id = match config.rp_id.trim() {
        "" => host.clone(),
        set => set.trim_end_matches('.').to_ascii_lowercase(),
    };
    if !(host == id || host.ends_with(&format!(".{id}"))) {
        return Err(format!(
            "config key 'rp_id' has invalid value '{id}': it must be the host of rp_origin ('{host}') or a parent domain of it"
        ));
    }
    Ok(RelyingParty { id, origin })
}
