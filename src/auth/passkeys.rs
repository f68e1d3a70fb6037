//! Passkeys (WebAuthn) plumbing: the relying party built from `rp_id`/`rp_origin`,
//! the WebAuthn user handle of an account, ceremony state kept in the database
//! behind an opaque one-time token, and the mapping of WebAuthn failures to clear
//! 4xx errors. The HTTP ceremonies themselves live in `api/passkeys.rs`.

use crate::config::Config;
use crate::db;
use crate::db::ceremonies::{self, Pending};
use crate::error::{AppError, AppResult};
use rusqlite::Connection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::time::Duration;
use uuid::Uuid;
use webauthn_rs::prelude::{Webauthn, WebauthnBuilder, WebauthnError};

/// How long a started ceremony can be finished: the authenticator prompt's
/// timeout and the ceremony row's expiry are the same five minutes.
pub const CEREMONY_TTL: i64 = 300;

/// Login ceremonies one client group may have in progress (login options are
/// public). With the passkey login rate limit of 20 a minute per address, an
/// honest client never comes near it.
const MAX_LOGINS_PER_CLIENT: i64 = 30;
/// Login ceremonies over all clients: a row is under 1 KiB, so only a flood
/// from thousands of networks that would exhaust the disk's patience reaches it.
const MAX_PENDING_LOGINS: i64 = 200_000;
/// Registrations one account may have in progress; older ones are dropped.
const MAX_REGISTRATIONS_PER_USER: i64 = 5;

/// Who starts a ceremony, and so whose budget it counts against.
#[derive(Debug, Clone, Copy)]
pub enum Starter<'a> {
    /// A logged-in account adding a passkey.
    Account(&'a str),
    /// A client asking for login options.
    Client(IpAddr),
}

/// The group of addresses one client can use at will: an IPv4 address, or an
/// IPv6 /64 (a single host is usually given a whole /64).
pub fn client_group(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The `Webauthn` instance for this server: one allowed origin, exact port, no
/// subdomains, and the ceremony timeout offered to the browser.
pub fn webauthn(config: &Config) -> Result<Webauthn, String> {
    let rp = crate::config::relying_party(config)?;
    WebauthnBuilder::new(&rp.id, &rp.origin)
        .map(|b| {
            b.rp_name("MiauInv")
                .timeout(Duration::from_secs(CEREMONY_TTL as u64))
        })
        .and_then(|b| b.build())
        .map_err(|e| {
            format!(
                "passkeys: rp_id '{}' and rp_origin '{}' are not accepted: {e}",
                rp.id, rp.origin
            )
        })
}

/// The WebAuthn user handle of an account. Account ids are UUIDs (so the handle
/// is the id itself); an id that is not one (an unusual upgraded database) gets a
/// stable handle derived from it, so the mapping never changes between starts.
pub fn user_handle(user_id: &str) -> Uuid {
    Uuid::parse_str(user_id).unwrap_or_else(|_| {
        let digest = Sha256::digest(format!("miauinv-user-handle:{user_id}").as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    })
}

// ── ceremonies ───────────────────────────────────────────────────────────────────────────

pub use crate::db::ceremonies::CeremonyKind;

/// A ceremony taken from the database (and thereby deleted).
pub struct Ceremony {
    pub user_id: Option<String>,
    pub name: Option<String>,
    state: String,
}

impl Ceremony {
    /// The webauthn-rs state stored when the ceremony started.
    pub fn state<T: DeserializeOwned>(&self) -> AppResult<T> {
        serde_json::from_str(&self.state)
            .map_err(|e| AppError::internal(format_args!("stored WebAuthn state unreadable: {e}")))
    }
}

/// Stores a started ceremony and returns the opaque token the client sends back.
/// Only the token's SHA-256 is stored. Call inside a write transaction; expired
/// rows of every user are swept here so the table stays small.
pub fn begin_ceremony(
    conn: &Connection,
    starter: Starter<'_>,
    name: Option<&str>,
    state: &impl Serialize,
) -> AppResult<String> {
    let now = db::now();
    ceremonies::sweep_expired(conn, now)?;
    let (kind, user_id, client) = match starter {
        Starter::Account(user_id) => {
            ceremonies::trim_registrations(conn, user_id, MAX_REGISTRATIONS_PER_USER - 1)?;
            (CeremonyKind::Register, Some(user_id), None)
        }
        Starter::Client(ip) => {
            // Login options are public: each client group has a budget of its
            // own, so a flood from some networks never blocks everyone's login.
            let group = client_group(ip);
            if ceremonies::pending(conn, Pending::LoginsFrom(&group))? >= MAX_LOGINS_PER_CLIENT {
                return Err(AppError::too_many_requests(CEREMONY_TTL as u64));
            }
            let pending = ceremonies::pending(conn, Pending::Logins)?;
            if pending >= MAX_PENDING_LOGINS {
                eprintln!("passkeys: {pending} logins in progress; refusing new ones for now");
                return Err(AppError::busy());
            }
            (CeremonyKind::Login, None, Some(group))
        }
    };
    let state = serde_json::to_string(state)
        .map_err(|e| AppError::internal(format_args!("WebAuthn state not serialisable: {e}")))?;
    let token = crate::crypto::random_token(32);
    ceremonies::insert(
        conn,
        &ceremonies::NewCeremony {
            token_hash: &crate::crypto::sha256_hex(&token),
            kind,
            user_id,
            client: client.as_deref(),
            name,
            state: &state,
            expires_at: now + CEREMONY_TTL,
        },
    )?;
    Ok(token)
}

/// Takes a ceremony: the row is deleted in the same write transaction that reads
/// it, so any worker can finish it and only once. A token of another kind or
/// (for registration) another user does not match and is left alone. An
/// expired row is deleted too, and refused.
pub fn take_ceremony(
    conn: &mut Connection,
    kind: CeremonyKind,
    token: &str,
    user_id: Option<&str>,
) -> AppResult<Ceremony> {
    let unknown = || AppError::from(super::Refused::UnknownCeremony);
    if token.is_empty() || token.len() > 128 {
        return Err(unknown());
    }
    let now = db::now();
    let row = db::write(conn, |tx| {
        let row = ceremonies::take(tx, &crate::crypto::sha256_hex(token), kind, user_id)?;
        ceremonies::sweep_expired(tx, now)?;
        Ok(row)
    })?;
    match row {
        None => Err(unknown()),
        Some(row) if row.expires_at <= now => Err(super::Refused::CeremonyExpired {
            minutes: CEREMONY_TTL / 60,
        }
        .into()),
        Some(row) => Ok(Ceremony {
            user_id: row.user_id,
            name: row.name,
            state: row.state,
        }),
    }
}

// ── failures ─────────────────────────────────────────────────────────────────────────────

/// Turns a WebAuthn verification failure into a clear client error: 400 for a
/// registration the server cannot accept, 401 for a login it cannot accept,
/// never a 500. The library's detail is logged for the administrator.
pub fn rejected(e: &WebauthnError, kind: CeremonyKind, webauthn: &Webauthn) -> AppError {
    use super::Refused as R;
    use WebauthnError as W;
    eprintln!("passkey {} refused: {e}", kind.as_str());
    let login = kind == CeremonyKind::Login;
    let origin = webauthn
        .get_allowed_origins()
        .first()
        .map(|o| o.origin().ascii_serialization())
        .unwrap_or_default();
    let refused = match e {
        W::InvalidRPOrigin | W::CredentialCrossOrigin => R::OriginMismatch { origin },
        W::InvalidRPIDHash => R::RpIdMismatch,
        W::MismatchedChallenge | W::InvalidClientDataType => R::ChallengeMismatch,
        W::UserNotVerified | W::InconsistentUserVerificationPolicy => R::UserNotVerified { login },
        W::UserNotPresent => R::UserNotPresent { login },
        W::CredentialExcludedFromRequest | W::CredentialAlreadyExists => {
            return crate::db::facts::Fact::PasskeyExists.into();
        }
        W::CredentialPossibleCompromise => R::CredentialCloned,
        W::CredentialNotFound => R::UnknownCredential,
        W::CredentialBackupEligibilityInconsistent => R::BackupEligibilityChanged { login },
        W::CredentialInsecureCryptography
        | W::CredentialAlteredAlgFromRequest
        | W::COSEKeyInvalidType
        | W::COSEKeyEDUnsupported
        | W::COSEKeyInvalidAlgorithm
        | W::COSEKeyECDSAInvalidCurve
        | W::COSEKeyEDDSAInvalidCurve => R::UnsupportedAlgorithm { login },
        _ => R::NotVerified { login },
    };
    refused.into()
}

/// A counter that went backwards: two copies of the private key may exist.
pub fn cloned() -> AppError {
    super::Refused::CredentialCloned.into()
}

pub fn unknown_credential() -> AppError {
    super::Refused::UnknownCredential.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::relying_party;

    fn config(rp_id: &str, rp_origin: &str, tls: bool, port: u16) -> Config {
        Config {
            port,
            tls,
            rp_id: rp_id.into(),
            rp_origin: rp_origin.into(),
            ..crate::config::defaults()
        }
    }

    #[test]
    fn empty_config_derives_localhost_from_tls_and_port() {
        let rp = relying_party(&config("", "", true, 8080)).unwrap();
        assert_eq!(rp.id, "localhost");
        assert_eq!(rp.origin.as_str(), "https://localhost:8080/");
        let rp = relying_party(&config("", "", false, 9090)).unwrap();
        assert_eq!(rp.origin.as_str(), "http://localhost:9090/");
        assert!(webauthn(&config("", "", false, 9090)).is_ok());
    }

    #[test]
    fn rp_id_defaults_to_the_origin_host_and_may_be_a_parent_domain() {
        let rp = relying_party(&config("", "https://inv.example.com", true, 1)).unwrap();
        assert_eq!(rp.id, "inv.example.com");
        let rp = relying_party(&config("Example.com", "https://inv.example.com", true, 1)).unwrap();
        assert_eq!(rp.id, "example.com");
        assert!(
            webauthn(&config(
                "example.com",
                "https://inv.example.com:8443",
                true,
                1
            ))
            .is_ok()
        );
    }

    #[test]
    fn bad_combinations_are_start_up_errors_naming_the_key() {
        for (id, origin, key) in [
            ("example.com", "https://inv.other.com", "'rp_id'"),
            ("ample.com", "https://example.com", "'rp_id'"),
            ("", "https://192.168.1.5:8080", "'rp_origin'"),
            ("", "http://inventory.lan", "'rp_origin'"),
            ("", "https://inv.example.com/app", "'rp_origin'"),
            ("", "ftp://inv.example.com", "'rp_origin'"),
            ("", "not a url", "'rp_origin'"),
        ] {
            let err = webauthn(&config(id, origin, true, 1)).unwrap_err();
            assert!(err.contains(key), "{id} {origin}: {err}");
        }
    }

    #[test]
    fn user_handles_are_the_uuid_or_a_stable_derivation() {
        let id = "6f1c1e0e-3b1a-4c55-9a57-1d1c8f9e2b10";
        assert_eq!(user_handle(id).to_string(), id);
        assert_eq!(user_handle("42"), user_handle("42"));
        assert_ne!(user_handle("42"), user_handle("43"));
    }
}
