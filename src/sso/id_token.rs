//! The ID token check: the policy on top of `jsonwebtoken`. Which algorithms
//! (asymmetric ones only: `none` and the HMAC family, whose key would be the
//! client secret, are refused), which key (the provider's published key named
//! by `kid`, of the token's algorithm, not an encryption key), and which
//! claims (issuer, audience and authorized party, expiry with a minute of
//! clock skew, and this flow's nonce).

use super::Failure;
use super::discovery::Metadata;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

const ALLOWED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Seconds a provider's clock may be off from ours.
pub const SKEW: u64 = 60;

/// The claims of a checked ID token (merged with the user info, see
/// `Claims::merge`).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    aud: Audience,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nonce: Option<String>,
    /// Every claim, for the configured groups claim and the optional ones.
    #[serde(flatten)]
    pub all: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    // Only how many audiences there are is read (the value is checked by
    // jsonwebtoken's validation).
    One(#[allow(dead_code)] String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    fn len(&self) -> usize {
        match self {
            Audience::One(_) => 1,
            Audience::Many(v) => v.len(),
            Audience::None => 0,
        }
    }
}

impl Claims {
    fn text(&self, name: &str) -> Option<&str> {
        self.all
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub fn email(&self) -> Option<&str> {
        self.text("email")
    }

    /// `email_verified` as a boolean, or as the string some providers send.
    pub fn email_verified(&self) -> bool {
        match self.all.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn preferred_username(&self) -> Option<&str> {
        self.text("preferred_username")
    }

    pub fn name(&self) -> Option<&str> {
        self.text("name")
    }

    /// The authentication methods (`amr`, RFC 8176) the provider says it used.
    pub fn amr(&self) -> Vec<&str> {
        match self.all.get("amr") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The person's groups from `claim`: a list of names or one name, under
    /// the claim's whole name or, failing that, a dotted path into nested
    /// objects (Keycloak's `realm_access.roles`).
    pub fn groups(&self, claim: &str) -> Vec<String> {
        let found = self.all.get(claim).or_else(|| {
            let mut parts = claim.split('.');
            let first = self.all.get(parts.next()?)?;
            parts.try_fold(first, |v, p| v.get(p))
        });
        match found {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Adds the user-info endpoint's claims the ID token lacks (Authelia,
    /// for one, puts the groups only there). Its `sub` must be the token's
    /// (OpenID Connect Core §5.3.2), or the answer is someone else's.
    pub fn merge(&mut self, info: Map<String, Value>) -> Result<(), Failure> {
        if info.get("sub").and_then(Value::as_str) != Some(self.sub.as_str()) {
            return Err(Failure::token(
                "sub_mismatch",
                "the user info names another subject than the ID token".into(),
            ));
        }
        for (k, v) in info {
            self.all.entry(k).or_insert(v);
        }
        Ok(())
    }
}

/// The key that signed a token: the one its `kid` names or, with no `kid`,
/// the only signing key of its algorithm.
fn key_for<'a>(set: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
    let usable = |k: &&Jwk| {
        !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption))
            && k.common
                .key_algorithm
                .is_none_or(|a| a == KeyAlgorithm::from(alg))
    };
    match kid {
        Some(kid) => set.find(kid).filter(usable),
        None => {
            let mut fits = set
                .keys
                .iter()
                .filter(usable)
                .filter(|k| DecodingKey::from_jwk(k).is_ok());
            let one = fits.next()?;
            fits.next().is_none().then_some(one)
        }
    }
}

/// The token's `alg` and `kid`, if its header parses to an allowed
/// algorithm the provider says it signs with.
pub fn header(token: &str, meta: &Metadata) -> Result<(Algorithm, Option<String>), Failure> {
    // `alg: none` and unknown algorithms do not parse at all.
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| Failure::token("malformed", format!("the ID token's header: {e}")))?;
    let advertised = &meta.id_token_signing_alg_values_supported;
    let name = format!("{:?}", header.alg);
    if !ALLOWED.contains(&header.alg) || (!advertised.is_empty() && !advertised.contains(&name)) {
        return Err(Failure::token(
            "algorithm",
            format!("the ID token is signed with {name}, which is not allowed"),
        ));
    }
    Ok((header.alg, header.kid))
}

/// Checks `token` against the key set, the configured issuer and client,
/// and the flow's `nonce`.
pub fn verify(
    token: &str,
    alg: Algorithm,
    kid: Option<&str>,
    keys: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Claims, Failure> {
    let jwk = key_for(keys, kid, alg).ok_or_else(|| {
        Failure::token(
            "unknown_key",
            format!("the ID token names a key the provider does not publish ({kid:?})"),
        )
    })?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|e| Failure::token("unknown_key", format!("the provider's key: {e}")))?;
    let mut v = Validation::new(alg);
    v.set_issuer(&[issuer]);
    v.set_audience(&[client_id]);
    v.leeway = SKEW;
    v.validate_nbf = true;
    v.required_spec_claims = ["exp", "iat", "iss", "aud", "sub"]
        .into_iter()
        .map(String::from)
        .collect();
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &v)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind::*;
            let reason = match e.kind() {
                ExpiredSignature => "expired",
                InvalidIssuer => "issuer",
                InvalidAudience => "audience",
                InvalidSignature => "signature",
                ImmatureSignature => "not_yet_valid",
                _ => "malformed",
            };
            Failure::token(reason, format!("the ID token: {e}"))
        })?
        .claims;
    // Core §3.1.3.7: with several audiences the token must name us as the
    // party it was issued to; when it names one, that is us.
    let azp_ok = match &claims.azp {
        Some(azp) => azp == client_id,
        None => claims.aud.len() == 1,
    };
    if !azp_ok {
        return Err(Failure::token(
            "audience",
            "the ID token was issued to another client (azp)".into(),
        ));
    }
    if claims
        .iat
        .is_some_and(|iat| iat > crate::db::now() + SKEW as i64)
    {
        return Err(Failure::token(
            "not_yet_valid",
            "the ID token was issued in the future".into(),
        ));
    }
    let sent = claims.nonce.as_deref().unwrap_or("");
    if !crate::crypto::constant_time_eq(sent.as_bytes(), nonce.as_bytes()) {
        return Err(Failure::token(
            "nonce",
            "the ID token's nonce is not this sign-in's".into(),
        ));
    }
    Ok(claims)
}
