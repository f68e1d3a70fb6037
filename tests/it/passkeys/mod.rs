//! Passkeys end to end over the real HTTP API with a software authenticator:
//! registration, discoverable login without a username, the list, removal,
//! disable-all, one-time and expiring ceremonies, origin checks, counters and
//! session revocation.
//!
//! The authenticator is webauthn-authenticator-rs's `SoftPasskey` (it signs with
//! a real P-256 key, builds clientDataJSON for the origin it is given and claims
//! user verification). `SoftPasskey` itself cannot hold resident (discoverable)
//! credentials: it refuses `residentKey: required` and needs a non-empty
//! `allowCredentials`, and it never returns a user handle. `Discoverable` below
//! adds exactly what a resident-key authenticator adds on top, without touching
//! the signed data: it remembers (credential id, user handle) at registration,
//! picks its credential itself when the server sends no `allowCredentials`, and
//! returns the user handle with the assertion.

use crate::common;
use common::{Client, PASSWORD, Resp, TestServer};
use serde_json::{Value, json};
use webauthn_authenticator_rs::prelude::{Url, WebauthnCError};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::{AuthenticatorBackend, WebauthnAuthenticator};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential,
    PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    RegisterPublicKeyCredential, RequestChallengeResponse,
};

const ORIGIN: &str = "http://localhost:8080";

fn server() -> TestServer {
    TestServer::start_with(&format!("rp_id: localhost\nrp_origin: \"{ORIGIN}\"\n"))
}

/// A software passkey with resident-key behaviour (see the module comment).
struct Discoverable {
    soft: SoftPasskey,
    /// (credential id, user handle) of every credential it created.
    resident: Vec<(Vec<u8>, Vec<u8>)>,
}

impl AuthenticatorBackend for Discoverable {
    fn perform_register(
        &mut self,
        origin: Url,
        mut options: PublicKeyCredentialCreationOptions,
        timeout_ms: u32,
    ) -> Result<RegisterPublicKeyCredential, WebauthnCError> {
        // Like a real authenticator, refuse to register twice for one account.
        let excluded = options.exclude_credentials.clone().unwrap_or_default();
        if excluded
            .iter()
            .any(|c| self.resident.iter().any(|(id, _)| id == c.id.as_ref()))
        {
            return Err(WebauthnCError::InvalidRegistration);
        }
        let user_handle = options.user.id.to_vec();
        // Residency is kept here, not inside SoftPasskey (which refuses it).
        if let Some(sel) = options.authenticator_selection.as_mut() {
            sel.require_resident_key = false;
            sel.resident_key = None;
        }
        let cred = <SoftPasskey as AuthenticatorBackend>::perform_register(
            &mut self.soft,
            origin,
            options,
            timeout_ms,
        )?;
        self.resident.push((cred.raw_id.to_vec(), user_handle));
        Ok(cred)
    }

    fn perform_auth(
        &mut self,
        origin: Url,
        mut options: PublicKeyCredentialRequestOptions,
        timeout_ms: u32,
    ) -> Result<PublicKeyCredential, WebauthnCError> {
        // Discoverable request: no allowCredentials, the authenticator chooses
        // (here: its newest credential for this rp).
        let (id, handle) = match options.allow_credentials.first() {
            Some(allowed) => self
                .resident
                .iter()
                .find(|(id, _)| id == allowed.id.as_ref())
                .cloned(),
            None => self.resident.last().cloned(),
        }
        .ok_or(WebauthnCError::Internal)?;
        options.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: id.into(),
            transports: None,
        }];
        let mut cred = <SoftPasskey as AuthenticatorBackend>::perform_auth(
            &mut self.soft,
            origin,
            options,
            timeout_ms,
        )?;
        cred.response.user_handle = Some(handle.into());
        Ok(cred)
    }
}

/// One authenticator device used from one browser origin.
struct Device {
    auth: WebauthnAuthenticator<Discoverable>,
    origin: Url,
}

impl Device {
    fn new() -> Device {
        Self::at(ORIGIN)
    }

    fn at(origin: &str) -> Device {
        Device {
            // `true`: the soft key reports user verification (PIN/biometrics done).
            auth: WebauthnAuthenticator::new(Discoverable {
                soft: SoftPasskey::new(true),
                resident: Vec::new(),
            }),
            origin: Url::parse(origin).unwrap(),
        }
    }

    /// Answers registration options from the server with a credential JSON.
    fn create(&mut self, options: &Value) -> Value {
        let ccr: CreationChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        let cred = self
            .auth
            .do_registration(self.origin.clone(), ccr)
            .expect("the soft authenticator registers");
        serde_json::to_value(cred).unwrap()
    }

    /// Answers login options from the server with an assertion JSON.
    fn get(&mut self, options: &Value) -> Value {
        let rcr: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
        let cred = self
            .auth
            .do_authentication(self.origin.clone(), rcr)
            .expect("the soft authenticator signs");
        serde_json::to_value(cred).unwrap()
    }

    /// The whole registration through the API; returns the finish response.
    fn register(&mut self, c: &Client, name: &str) -> Resp {
        let started = register_options(c, name);
        let cred = self.create(&started["options"]);
        c.post(
            "/api/passkeys/register/finish",
            json!({"challenge_token": started["challenge_token"], "credential": cred}),
        )
    }

    /// The whole discoverable login through the API (no username anywhere).
    fn login(&mut self, c: &Client) -> Resp {
        let started = login_options(c);
        let cred = self.get(&started["options"]);
        login_finish(c, &started["challenge_token"], cred)
    }
}

fn register_options(c: &Client, name: &str) -> Value {
    let r = c.post(
        "/api/passkeys/register/options",
        json!({"password": PASSWORD, "name": name}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn login_options(c: &Client) -> Value {
    let r = c.post("/api/passkeys/login/options", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

fn login_finish(c: &Client, token: &Value, cred: Value) -> Resp {
    c.post(
        "/api/passkeys/login/finish",
        json!({"challenge_token": token, "credential": cred}),
    )
}

fn count(s: &TestServer, sql: &str) -> i64 {
    s.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

mod ceremonies;
mod limits;
mod register;
