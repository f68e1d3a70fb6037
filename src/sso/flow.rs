//! The authorization code flow with PKCE (S256) through the `oauth2` crate:
//! the address the browser is sent to, and the code exchanged for tokens
//! over the synchronous `ureq` agent (no async runtime, no redirects).

use super::Failure;
use super::discovery::Metadata;
use crate::config::OidcProvider;
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, StandardRevocableToken,
    StandardTokenIntrospectionResponse, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The token endpoint's extra field OpenID Connect adds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenField {
    pub id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OidcClient = Client<
    BasicErrorResponse,
    Tokens,
    StandardTokenIntrospectionResponse<EmptyExtraTokenFields, BasicTokenType>,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The largest token answer read.
const MAX_ANSWER: u64 = 256 * 1024;

fn client(p: &OidcProvider, meta: &Metadata, redirect: &str) -> Result<OidcClient, Failure> {
    let url = |what: &str, u: &str| {
        Failure::provider(format!(
            "the discovery document's {what} '{u}' is not an address"
        ))
    };
    let auth = AuthUrl::new(meta.authorization_endpoint.clone())
        .map_err(|_| url("authorization_endpoint", &meta.authorization_endpoint))?;
    let token = TokenUrl::new(meta.token_endpoint.clone())
        .map_err(|_| url("token_endpoint", &meta.token_endpoint))?;
    let redirect = RedirectUrl::new(redirect.to_string())
        .map_err(|_| Failure::provider(format!("the redirect address '{redirect}'")))?;
    // client_secret_basic unless the provider says it takes only the secret
    // in the form (RFC 8414 `token_endpoint_auth_methods_supported`).
    let methods = &meta.token_endpoint_auth_methods_supported;
    let auth_type = if !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post")
    {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    };
    let mut c = Client::new(ClientId::new(p.client_id.clone()))
        .set_auth_uri(auth)
        .set_token_uri(token)
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type);
    if !p.client_secret.is_empty() {
        c = c.set_client_secret(ClientSecret::new(p.client_secret.clone()));
    }
    Ok(c)
}

/// A sign-in sent to the provider: where the browser goes, and what this
/// server keeps to finish it (the state, the PKCE verifier, the nonce).
pub struct Started {
    pub location: String,
    pub state: String,
    pub verifier: String,
    pub nonce: String,
}

pub fn start(p: &OidcProvider, meta: &Metadata, redirect: &str) -> Result<Started, Failure> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let (url, state) = client(p, meta, redirect)?
        .authorize_url(CsrfToken::new_random)
        .add_scopes(p.scopes.iter().cloned().map(Scope::new))
        .add_extra_param("nonce", nonce.secret().clone())
        .set_pkce_challenge(challenge)
        .url();
    Ok(Started {
        location: url.to_string(),
        state: state.secret().clone(),
        verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
    })
}

/// What the token endpoint gave.
pub struct Exchanged {
    pub id_token: String,
    pub access_token: String,
}

/// Exchanges `code` (with the flow's PKCE verifier) at the token endpoint.
pub fn exchange(
    agent: &ureq::Agent,
    p: &OidcProvider,
    meta: &Metadata,
    redirect: &str,
    code: &str,
    verifier: &str,
) -> Result<Exchanged, Failure> {
    let http = |request: oauth2::HttpRequest| -> Result<oauth2::HttpResponse, ureq::Error> {
        let answer = agent.run(request)?;
        let (parts, body) = answer.into_parts();
        let mut bytes = Vec::new();
        body.into_reader()
            .take(MAX_ANSWER)
            .read_to_end(&mut bytes)
            .map_err(ureq::Error::Io)?;
        Ok(oauth2::HttpResponse::from_parts(parts, bytes))
    };
    let tokens = client(p, meta, redirect)?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request(&http)
        .map_err(|e| {
            use oauth2::RequestTokenError::*;
            match e {
                // invalid_grant (a code used twice, a wrong verifier),
                // invalid_client (a wrong secret): the provider's own words.
                ServerResponse(r) => Failure::exchange(format!(
                    "the token endpoint refused the code: {}{}",
                    r.error(),
                    r.error_description()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )),
                Request(e) => Failure::unreachable(format!("the token endpoint: {e}")),
                Parse(e, _) => Failure::provider(format!("the token endpoint's answer: {e}")),
                Other(e) => Failure::provider(format!("the token endpoint: {e}")),
            }
        })?;
    let id_token = tokens.extra_fields().id_token.clone().ok_or_else(|| {
        Failure::provider(
            "the token endpoint gave no ID token (is the openid scope allowed?)".into(),
        )
    })?;
    Ok(Exchanged {
        id_token,
        access_token: tokens.access_token().secret().clone(),
    })
}
