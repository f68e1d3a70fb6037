//! JWTs: HS256 access tokens (15 minutes) and purpose tokens (2FA login, 2FA
//! setup) that are rejected for any purpose but their own. Issuer, audience,
//! expiry and algorithm are always checked.

use crate::error::{AppError, AppResult};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const ACCESS_TTL: i64 = 15 * 60;
pub const ISSUER: &str = "miauinv";
pub const AUDIENCE: &str = "miauinv";

pub const PURPOSE_2FA_LOGIN: &str = "2fa_login";
/// Seconds a login's code step may take.
pub const LOGIN_CHALLENGE_TTL: i64 = 300;
pub const PURPOSE_2FA_SETUP: &str = "2fa_setup";

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// The user's token_version when issued; older versions are dead.
    pub ver: i64,
    /// Absent on access tokens; the purpose of a purpose token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Only on access tokens: the session (device) they belong to; an access
    /// token of an ended session is refused at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Only on 2FA setup tokens: the not-yet-enabled TOTP secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Only on 2FA login challenges after a sign-in through an identity
    /// provider: its id, for the session the code step starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Claims {
    /// Claims of `user_id` for `ttl` seconds from now, with nothing optional.
    fn new(user_id: &str, role: &str, version: i64, ttl: i64) -> Claims {
        let now = crate::db::now();
        Claims {
            sub: user_id.into(),
            role: role.into(),
            iat: now,
            exp: now + ttl,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            ver: version,
            purpose: None,
            sid: None,
            secret: None,
            via: None,
        }
    }
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Keys {
    pub fn new(secret: &str) -> Keys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = 0;
        Keys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    fn sign(&self, claims: &Claims) -> AppResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AppError::internal(format_args!("jwt encode: {e}")))
    }

    pub fn access_token(
        &self,
        user_id: &str,
        role: &str,
        version: i64,
        session_id: &str,
    ) -> AppResult<String> {
        self.sign(&Claims {
            sid: Some(session_id.into()),
            ..Claims::new(user_id, role, version, ACCESS_TTL)
        })
    }

    pub fn purpose_token(
        &self,
        user_id: &str,
        role: &str,
        version: i64,
        purpose: &str,
        ttl: i64,
        secret: Option<String>,
    ) -> AppResult<String> {
        self.sign(&Claims {
            purpose: Some(purpose.into()),
            secret,
            ..Claims::new(user_id, role, version, ttl)
        })
    }

    /// The code step's challenge after a first step that proved the
    /// account (a password, or a sign-in through provider `via`): five
    /// minutes, dead with the next credential change.
    pub fn login_challenge(
        &self,
        user: &crate::db::users::User,
        via: Option<&str>,
    ) -> AppResult<String> {
        self.sign(&Claims {
            purpose: Some(PURPOSE_2FA_LOGIN.into()),
            via: via.map(String::from),
            ..Claims::new(
                &user.id,
                user.role.as_str(),
                user.token_version,
                LOGIN_CHALLENGE_TTL,
            )
        })
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }

    /// An access token's claims; purpose tokens are not access tokens.
    pub fn verify_access(&self, token: &str) -> Option<Claims> {
        self.decode(token).filter(|c| c.purpose.is_none())
    }

    /// A purpose token's claims, only if it carries exactly `purpose`.
    pub fn verify_purpose(&self, token: &str, purpose: &str) -> AppResult<Claims> {
        self.decode(token)
            .filter(|c| c.purpose.as_deref() == Some(purpose))
            .ok_or_else(|| super::Refused::InvalidToken.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_tokens_are_bound_to_their_purpose() {
        let keys = Keys::new("0123456789abcdef0123456789abcdef");
        let t = keys
            .purpose_token("u1", "user", 0, PURPOSE_2FA_LOGIN, 300, None)
            .unwrap();
        assert!(keys.verify_purpose(&t, PURPOSE_2FA_LOGIN).is_ok());
        assert!(keys.verify_purpose(&t, PURPOSE_2FA_SETUP).is_err());
        assert!(keys.verify_access(&t).is_none());
        let a = keys.access_token("u1", "user", 0, "s1").unwrap();
        assert!(keys.verify_access(&a).is_some());
        assert!(keys.verify_purpose(&a, PURPOSE_2FA_LOGIN).is_err());
    }

    #[test]
    fn tokens_signed_with_another_secret_are_rejected() {
        let a = Keys::new("0123456789abcdef0123456789abcdef");
        let b = Keys::new("fedcba9876543210fedcba9876543210");
        let t = a.access_token("u1", "user", 0, "s1").unwrap();
        assert!(b.verify_access(&t).is_none());
    }
}
