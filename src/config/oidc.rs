//! Single sign-on as the config names it: the `oidc_providers` list, each
//! provider's `MIAUINV_OIDC_<ID>_<FIELD>` environment overrides, and the
//! password switch with its break-glass accounts. Checked once at start-up: a
//! bad provider stops the server with the key named. Whether the issuer
//! answers is not checked here: an identity provider that is down while
//! MiauInv starts is asked again when someone clicks its button.

use super::Env;
use serde::Deserialize;
use std::collections::BTreeMap;
use url::{Host, Url};

/// One identity provider, resolved. Its `Debug` leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// `a-z 0-9 _ -`, at most 32: in addresses, the security log and the
    /// environment keys.
    pub id: String,
    /// What the login button says ("Sign in with {name}").
    pub name: String,
    /// Compared byte for byte with the discovery document's and the ID
    /// token's `iss`.
    pub issuer: String,
    pub client_id: String,
    /// Empty for a public client (PKCE alone).
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// A claim name, or a dotted path into nested claims
    /// (`realm_access.roles`); a name holding dots is tried whole first.
    pub groups_claim: String,
    /// Group → role ("viewer", "editor" or "admin"), in order: the first
    /// group the person is in decides.
    pub role_map: Vec<(String, String)>,
    /// The role when no group matches; `None` refuses such a person.
    pub default_role: Option<String>,
    pub auto_create: bool,
    pub link_by_verified_email: bool,
    pub sync_role_on_login: bool,
    /// The provider's `amr` claim is believed to say that a second factor
    /// was used, so a MiauInv code step is not asked again.
    pub trusted_mfa: bool,
    /// PEM certificates of a private CA the issuer's TLS chain ends in;
    /// empty = the public web roots.
    pub ca_pem: Vec<u8>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .finish_non_exhaustive()
    }
}

/// The fields a provider may have in the file.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct FileProvider {
    id: Option<String>,
    name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_secret_file: Option<String>,
    scopes: Option<Vec<String>>,
    groups_claim: Option<String>,
    role_map: Option<Vec<BTreeMap<String, String>>>,
    default_role: Option<String>,
    auto_create: Option<bool>,
    link_by_verified_email: Option<bool>,
    sync_role_on_login: Option<bool>,
    trusted_mfa: Option<bool>,
    ca_file: Option<String>,
}

const ROLES: [&str; 3] = ["viewer", "editor", "admin"];

/// Resolves and checks every provider, with the environment over the file.
pub(super) fn providers(
    file: Vec<FileProvider>,
    env: &dyn Env,
) -> Result<Vec<OidcProvider>, String> {
    let mut out: Vec<OidcProvider> = Vec::new();
    for (i, p) in file.into_iter().enumerate() {
        let id = p.id.clone().unwrap_or_default();
        let id = id.trim();
        if id.is_empty()
            || id.len() > 32
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(format!(
                "config key 'oidc_providers[{i}].id' has invalid value '{id}': expected 1 to 32 of a-z 0-9 _ -"
            ));
        }
        let provider = one(id, p, env)?;
        let env_key = env_id(id);
        if let Some(twin) = out.iter().find(|o| env_id(&o.id) == env_key) {
            return Err(format!(
                "config key 'oidc_providers[{i}].id': '{id}' and '{}' are the same provider (their environment keys are both MIAUINV_OIDC_{env_key}_…)",
                twin.id
            ));
        }
        out.push(provider);
    }
    Ok(out)
}

/// The provider id as its environment keys spell it.
fn env_id(id: &str) -> String {
    id.to_ascii_uppercase().replace('-', "_")
}

fn one(id: &str, p: FileProvider, env: &dyn Env) -> Result<OidcProvider, String> {
    let key = |field: &str| format!("oidc_providers.{id}.{field}");
    let env_key =
        |field: &str| format!("MIAUINV_OIDC_{}_{}", env_id(id), field.to_ascii_uppercase());
    // The environment's value, or the file's; with where it came from.
    let get = |field: &str, file: Option<String>| -> Option<(String, String)> {
        match env.var(&env_key(field)) {
            Some(v) => Some((v, env_key(field))),
            None => file.map(|v| (v, key(field))),
        }
    };
    let bad = |source: &str, value: &str, why: &str| {
        format!("config key '{source}' has invalid value '{value}': {why}")
    };
    let missing = |field: &str| {
        format!(
            "config key '{}' is missing (or set {})",
            key(field),
            env_key(field)
        )
    };
    let boolean = |field: &str, file: Option<bool>| -> Result<bool, String> {
        match get(field, file.map(|b| b.to_string())) {
            None => Ok(false),
            Some((v, src)) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(bad(&src, &v, "expected true or false")),
            },
        }
    };

    let name = match get("name", p.name) {
        None => id.to_string(),
        Some((v, src)) => {
            let v = v.trim().to_string();
            if v.is_empty() || v.chars().count() > 64 || v.chars().any(char::is_control) {
                return Err(bad(
                    &src,
                    &v,
                    "expected a display name of 1 to 64 characters",
                ));
            }
            v
        }
    };
    let (issuer, src) = get("issuer", p.issuer).ok_or_else(|| missing("issuer"))?;
    let issuer = issuer.trim().to_string();
    check_issuer(&issuer).map_err(|why| bad(&src, &issuer, why))?;
    let (client_id, _) = get("client_id", p.client_id)
        .filter(|(v, _)| !v.trim().is_empty())
        .ok_or_else(|| missing("client_id"))?;
    let client_id = client_id.trim().to_string();

    let secret = get("client_secret", p.client_secret);
    let secret_file = get("client_secret_file", p.client_secret_file);
    let client_secret = match (secret, secret_file) {
        (Some(_), Some((_, src))) => {
            return Err(format!(
                "config key '{src}': give client_secret or client_secret_file, not both"
            ));
        }
        (Some((v, _)), None) => v.trim().to_string(),
        (None, Some((path, src))) => {
            // The value is the path: it is safe to name in the message.
            let text = std::fs::read_to_string(path.trim())
                .map_err(|e| bad(&src, &path, &format!("cannot read the file: {e}")))?;
            let text = text.trim().to_string();
            if text.is_empty() {
                return Err(bad(&src, &path, "the file is empty"));
            }
            text
        }
        (None, None) => String::new(),
    };

    let scopes = match get("scopes", p.scopes.map(|s| s.join(" "))) {
        None => vec!["openid".into(), "profile".into(), "email".into()],
        Some((v, src)) => {
            let scopes: Vec<String> = v
                .split([' ', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            // RFC 6749 §3.3: a scope token is printable ASCII without space,
            // '"' or '\'.
            let printable = |s: &String| {
                s.bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            };
            if !scopes.iter().all(printable) {
                return Err(bad(&src, &v, "scopes are words of printable ASCII"));
            }
            if !scopes.iter().any(|s| s == "openid") {
                return Err(bad(&src, &v, "the scopes must include openid"));
            }
            scopes
        }
    };
    let groups_claim = match get("groups_claim", p.groups_claim) {
        None => "groups".to_string(),
        Some((v, src)) => {
            let v = v.trim().to_string();
            if v.is_empty() {
                return Err(bad(&src, &v, "expected a claim name"));
            }
            v
        }
    };

    // The file's list as is (an LDAP group's name may hold ',' and '='); the
    // environment's as "group=role,group=role".
    let listed: Vec<(String, String, String)> = match env.var(&env_key("role_map")) {
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|pair| {
                let (g, r) = pair.rsplit_once('=').unwrap_or((pair, ""));
                (g.to_string(), r.to_string(), env_key("role_map"))
            })
            .collect(),
        None => p
            .role_map
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .flat_map(|(i, entry)| {
                let src = format!("{}[{i}]", key("role_map"));
                let many = entry.len() != 1;
                entry.into_iter().map(move |(g, r)| {
                    // One group per list entry: a map of two would lose its order.
                    let r = if many { String::new() } else { r };
                    (g, r, src.clone())
                })
            })
            .collect(),
    };
    let mut role_map = Vec::new();
    for (group, role, src) in listed {
        let (group, role) = (group.trim(), role.trim());
        if group.is_empty() || !ROLES.contains(&role) {
            return Err(bad(
                &src,
                &format!("{group}: {role}"),
                "expected one '- group: role' per entry, with role viewer, editor or admin",
            ));
        }
        role_map.push((group.to_string(), role.to_string()));
    }
    let default_role = match get("default_role", p.default_role) {
        None => None,
        Some((v, src)) => match v.trim() {
            "deny" => None,
            r if ROLES.contains(&r) => Some(r.to_string()),
            _ => return Err(bad(&src, &v, "expected viewer, editor, admin or deny")),
        },
    };
    let ca_pem = match get("ca_file", p.ca_file) {
        None => Vec::new(),
        Some((path, src)) => {
            let pem = std::fs::read(path.trim())
                .map_err(|e| bad(&src, &path, &format!("cannot read the file: {e}")))?;
            if !pem
                .windows(b"-----BEGIN CERTIFICATE-----".len())
                .any(|w| w == b"-----BEGIN CERTIFICATE-----")
            {
                return Err(bad(&src, &path, "expected PEM certificates"));
            }
            pem
        }
    };
    Ok(OidcProvider {
        id: id.to_string(),
        name,
        issuer,
        client_id,
        client_secret,
        scopes,
        groups_claim,
        role_map,
        default_role,
        auto_create: boolean("auto_create", p.auto_create)?,
        link_by_verified_email: boolean("link_by_verified_email", p.link_by_verified_email)?,
        sync_role_on_login: boolean("sync_role_on_login", p.sync_role_on_login)?,
        trusted_mfa: boolean("trusted_mfa", p.trusted_mfa)?,
        ca_pem,
    })
}

/// An issuer is an https address without query or fragment; plain http only
/// on this machine (a provider started beside MiauInv for a trial or a test),
/// since the client secret and the tokens would cross the network readable.
fn check_issuer(issuer: &str) -> Result<(), &'static str> {
    let url = Url::parse(issuer).map_err(|_| "expected the issuer's https:// address")?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("an issuer has no query, fragment or user name");
    }
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d == "localhost",
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("the host name is missing"),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("expected https:// (http:// only for a provider on this machine)"),
    }
}

/// `password_login` and `break_glass_accounts`, resolved.
pub(super) fn break_glass(file: Option<Vec<String>>, env: &dyn Env) -> Vec<String> {
    let listed = match env.var("MIAUINV_BREAK_GLASS_ACCOUNTS") {
        Some(v) => v.split(',').map(String::from).collect(),
        None => file.unwrap_or_default(),
    };
    let mut names: Vec<String> = listed
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}
