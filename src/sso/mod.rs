//! Single sign-on with the identity providers the config names (OpenID
//! Connect, layer: beside `auth`): discovery, the authorization code flow
//! with PKCE, and the ID token check. Who the checked identity is in
//! MiauInv (linking, creating, roles) is decided by `rules::sso`; flows and
//! identities are stored by `db::sso`.

mod discovery;
mod flow;
mod id_token;

pub use discovery::Metadata;
pub use flow::Started;
pub use id_token::Claims;

use crate::config::OidcProvider;
use discovery::Cache;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Why a sign-in through a provider failed: a short reason for the
/// security log and the person's page, and the detail for the admin (the
/// provider's own words; never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
}

impl Failure {
    /// The provider could not be reached (down, a wrong address, TLS).
    pub fn unreachable(detail: String) -> Failure {
        Failure {
            reason: "unreachable",
            detail,
        }
    }
    /// The provider answered something OpenID Connect does not allow.
    pub fn provider(detail: String) -> Failure {
        Failure {
            reason: "provider_error",
            detail,
        }
    }
    /// The token endpoint refused the code (used, wrong verifier, wrong
    /// client secret).
    pub fn exchange(detail: String) -> Failure {
        Failure {
            reason: "code_refused",
            detail,
        }
    }
    /// The ID token was refused for `reason`.
    pub fn token(reason: &'static str, detail: String) -> Failure {
        Failure { reason, detail }
    }
}

/// One configured provider with its HTTP client and what was fetched of it.
pub struct Provider {
    pub config: OidcProvider,
    agent: ureq::Agent,
    cache: Cache,
}

/// Every configured provider, and the one address they send people back to.
pub struct Sso {
    providers: Vec<Provider>,
    redirect_uri: String,
}

/// Where providers send people back to, below the public address.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

impl Sso {
    /// The providers of the config, each with its own HTTP client (a private
    /// CA is trusted for its provider only); `base` is the public address.
    pub fn new(providers: &[OidcProvider], base: &str) -> Result<Sso, String> {
        let providers = providers
            .iter()
            .map(|p| {
                let agent = crate::outbound::agent(&p.ca_pem)
                    .map_err(|e| format!("config key 'oidc_providers.{}.ca_file': {e}", p.id))?;
                Ok(Provider {
                    config: p.clone(),
                    agent,
                    cache: Cache::default(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Sso {
            providers,
            redirect_uri: format!("{}{CALLBACK_PATH}", base.trim_end_matches('/')),
        })
    }

    pub fn providers(&self) -> impl Iterator<Item = &OidcProvider> {
        self.providers.iter().map(|p| &p.config)
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&OidcProvider> {
        self.provider(id).map(|p| &p.config)
    }

    fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.config.id == id)
    }

    /// The redirect URI to register at every provider.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    fn metadata(&self, p: &Provider) -> Result<Arc<Metadata>, Failure> {
        p.cache.metadata(&p.agent, &p.config.issuer)
    }

    /// Starts a sign-in at provider `id` (an unknown id is the caller's
    /// check): its discovery document is fetched now if it was not yet, so a
    /// provider that was down at start-up is asked again on every click.
    pub fn start(&self, id: &str) -> Result<Started, Failure> {
        let p = self.known(id)?;
        let meta = self.metadata(p)?;
        flow::start(&p.config, &meta, &self.redirect_uri)
    }

    fn known(&self, id: &str) -> Result<&Provider, Failure> {
        self.provider(id)
            .ok_or_else(|| Failure::provider(format!("no provider '{id}' is configured")))
    }

    /// Finishes a sign-in: exchanges `code` with the flow's PKCE `verifier`,
    /// checks the ID token (signature, issuer, audience, expiry, `nonce`)
    /// and adds the user info's claims.
    pub fn finish(
        &self,
        id: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Claims, Failure> {
        let p = self.known(id)?;
        let meta = self.metadata(p)?;
        let tokens = flow::exchange(
            &p.agent,
            &p.config,
            &meta,
            &self.redirect_uri,
            code,
            verifier,
        )?;
        let (alg, kid) = id_token::header(&tokens.id_token, &meta)?;
        let keys = p.cache.keys(&p.agent, &meta.jwks_uri, kid.as_deref())?;
        let mut claims = id_token::verify(
            &tokens.id_token,
            alg,
            kid.as_deref(),
            &keys,
            &p.config.issuer,
            &p.config.client_id,
            nonce,
        )?;
        if let Some(url) = &meta.userinfo_endpoint {
            claims.merge(userinfo(&p.agent, url, &tokens.access_token)?)?;
        }
        Ok(claims)
    }

    /// The provider's logout address (RP-initiated logout) that brings the
    /// person back to `back`, when the provider has one. Only what is known
    /// already is used: logging out never waits for a provider.
    pub fn logout_url(&self, id: &str, back: &str) -> Option<String> {
        let p = self.provider(id)?;
        let meta = p.cache.known_metadata()?;
        let end = meta.end_session_endpoint.as_deref()?;
        let mut url = url::Url::parse(end).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &p.config.client_id)
            .append_pair("post_logout_redirect_uri", back);
        Some(url.to_string())
    }
}

/// The user-info endpoint's claims for `access_token`.
fn userinfo(
    agent: &ureq::Agent,
    url: &str,
    access_token: &str,
) -> Result<Map<String, Value>, Failure> {
    discovery::get_json(agent, url, "the user info", Some(access_token))
}
