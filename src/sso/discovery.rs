//! The provider's discovery document (OpenID Connect Discovery 1.0) and its
//! key set: fetched when first needed, kept, and fetched again when they are
//! old (an hour) or when a token names a key the set does not hold, at most
//! once a minute so a stream of forged `kid`s cannot make us hammer the
//! provider.

use super::Failure;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What MiauInv uses of the discovery document.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// How long a fetched document or key set is used before it is fetched again.
const KEEP: Duration = Duration::from_secs(3600);
/// The least time between two fetches of the key set for an unknown key.
const REFETCH_GAP: Duration = Duration::from_secs(60);
/// The largest document or key set read.
const MAX_DOCUMENT: u64 = 256 * 1024;

#[derive(Default)]
pub(super) struct Cache {
    metadata: Mutex<Option<(Arc<Metadata>, Instant)>>,
    keys: Mutex<Option<(Arc<JwkSet>, Instant)>>,
}

/// GETs `url` (with the `bearer` access token, for the user info) and
/// parses its JSON body.
pub(super) fn get_json<T: serde::de::DeserializeOwned>(
    agent: &ureq::Agent,
    url: &str,
    what: &'static str,
    bearer: Option<&str>,
) -> Result<T, Failure> {
    let mut request = agent.get(url).header("Accept", "application/json");
    if let Some(token) = bearer {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let answer = request
        .call()
        .map_err(|e| Failure::unreachable(format!("{what}: {e}")))?;
    let status = answer.status().as_u16();
    if status != 200 {
        return Err(Failure::unreachable(format!(
            "{what}: {url} answered {status}"
        )));
    }
    let mut body = Vec::new();
    answer
        .into_body()
        .into_reader()
        .take(MAX_DOCUMENT)
        .read_to_end(&mut body)
        .map_err(|e| Failure::unreachable(format!("{what}: {e}")))?;
    serde_json::from_slice(&body).map_err(|e| {
        Failure::provider(format!(
            "{what} from {url} is not what OpenID Connect says: {e}"
        ))
    })
}

impl Cache {
    /// The discovery document of `issuer`, checked to be that issuer's.
    pub(super) fn metadata(
        &self,
        agent: &ureq::Agent,
        issuer: &str,
    ) -> Result<Arc<Metadata>, Failure> {
        let mut kept = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((m, at)) = kept.as_ref()
            && at.elapsed() < KEEP
        {
            return Ok(m.clone());
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let m: Metadata = get_json(agent, &url, "the discovery document", None)?;
        // OpenID Connect Discovery §4.3: the document must name the issuer
        // it was fetched for, exactly, or its endpoints are not that issuer's.
        if m.issuer != issuer {
            return Err(Failure::provider(format!(
                "the discovery document names the issuer '{}', not '{issuer}' as configured",
                m.issuer
            )));
        }
        let m = Arc::new(m);
        *kept = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    /// The discovery document if it was fetched already, however old.
    pub(super) fn known_metadata(&self) -> Option<Arc<Metadata>> {
        let kept = self.metadata.lock().unwrap_or_else(|p| p.into_inner());
        kept.as_ref().map(|(m, _)| m.clone())
    }

    /// The key set, fetched again when `kid` is not in it (the provider
    /// rotated its keys) and the last fetch is more than a minute old.
    pub(super) fn keys(
        &self,
        agent: &ureq::Agent,
        jwks_uri: &str,
        kid: Option<&str>,
    ) -> Result<Arc<JwkSet>, Failure> {
        let mut kept = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((set, at)) = kept.as_ref() {
            let knows = kid.is_none_or(|k| set.find(k).is_some());
            if (knows && at.elapsed() < KEEP) || (!knows && at.elapsed() < REFETCH_GAP) {
                return Ok(set.clone());
            }
        }
        // Keys of a kind this server does not verify with (an encryption
        // key beside the signing keys, a new curve) are left out, not fatal.
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw: Raw = get_json(agent, jwks_uri, "the key set", None)?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value(k).ok())
            .collect();
        let set = Arc::new(JwkSet { keys });
        *kept = Some((set.clone(), Instant::now()));
        Ok(set)
    }
}
