//! Sign-in with your own identity provider (issue 30): `POST /api/sso/start`
//! sends the browser to the provider, bound to it by a short-lived SameSite=Lax
//! cookie; the provider sends it back cross-site to `/auth/oidc/callback`,
//! whose page (ours, so same-site from then on) calls `POST /api/sso/finish`,
//! which sets the session cookies. Linking a provider from Settings goes the
//! same way. Who the identity is in MiauInv is `rules::sso`'s to decide; the
//! protocol is `sso`'s. Every failure is a clear answer and an entry in the
//! security log.

use crate::api::accounts::security_events::{Witness, login_details, who, who_row};
use crate::api::accounts::session_reply::{self, SessionWith};
use crate::api::accounts::tokens::confirm_recent_authentication;
use crate::auth::ratelimit::Action;
use crate::auth::session;
use crate::config::OidcProvider;
use crate::ctx::Ctx;
use crate::db::security_log::{Kind, Who};
use crate::db::sso::{self, FLOW_TTL, Flow, Linked};
use crate::db::{self};
use crate::error::{AppError, AppResult, Kind as ErrorKind};
use crate::http::Reply;
use crate::http::cookies::lax_cookie;
use crate::rules::sso::{Refusal, SignedIn};
use crate::sso::Failure;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The cookie that binds a sign-in to the browser that started it, sent
/// only to the SSO routes.
pub const FLOW_COOKIE: &str = "sso_flow";
const FLOW_COOKIE_PATH: &str = "/api/sso";

/// Where a finished link brings the person back to.
const SETTINGS: &str = "/profile/settings";

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    /// The provider's id, as the config names it.
    #[schemars(length(min = 1, max = 32))]
    provider: String,
    /// The page to open after signing in: a path on this server (anything
    /// else is the dashboard).
    #[serde(default)]
    #[schemars(length(max = 2048))]
    next: Option<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkBody {
    #[schemars(length(min = 1, max = 32))]
    provider: String,
    /// The account's password, when this session last proved who is behind
    /// it more than five minutes ago.
    #[serde(default)]
    password: Option<String>,
}

/// Where to send the browser.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Started {
    location: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinishBody {
    /// The `state` the provider sent back.
    #[schemars(length(min = 1, max = 512))]
    state: String,
    /// The authorization code the provider sent back.
    #[serde(default)]
    #[schemars(length(max = 4096))]
    code: Option<String>,
    /// The provider's `error` instead of a code (e.g. `access_denied`).
    #[serde(default)]
    #[schemars(length(max = 128))]
    error: Option<String>,
    #[serde(default)]
    #[schemars(length(max = 1024))]
    error_description: Option<String>,
}

/// What a finished sign-in leads to, beside the session (or instead of it,
/// when the account's second factor is asked next).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Next {
    /// The page to open now.
    next: String,
    /// Set when the account has two-factor authentication and the provider
    /// is not trusted to have asked a second factor: give the code with
    /// this token to `/api/login/2fa`.
    #[serde(skip_serializing_if = "Option::is_none")]
    requires_2fa: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    two_factor_token: Option<String>,
    /// Set when the identity was linked to the signed-in account.
    #[serde(skip_serializing_if = "Option::is_none")]
    linked: Option<String>,
}

/// A provider and the account's identity there, as Settings lists them.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ProviderLink {
    id: String,
    name: String,
    linked: Option<Linked>,
}

fn unknown_provider() -> AppError {
    AppError::invalid_field(
        "provider",
        "No identity provider with this id is set up on this server.",
    )
}

fn provider<'a>(ctx: &'a Ctx<'_>, id: &str) -> AppResult<&'a OidcProvider> {
    ctx.app.sso.get(id).ok_or_else(unknown_provider)
}

/// The page to open after signing in: a path on this server. A path that a
/// browser could read as another host (`//evil`, `/\evil`, control
/// characters that URL parsers drop) is the dashboard instead.
fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/dashboard".to_string(),
    }
}

/// `POST /api/sso/start`: the address of the provider's sign-in page, and
/// the cookie that binds the sign-in to this browser.
pub fn start(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app.limiter.hit(Action::LoginIp, &ctx.client_key())?;
    let body: StartBody = ctx.req.json()?;
    let p = provider(ctx, &body.provider)?.clone();
    begin(ctx, &p, local_next(body.next.as_deref()), None)
}

/// `POST /api/sso/link`: as `start`, for the signed-in account. Linking adds
/// a way into the account, so it needs a recent login or the password, as a
/// new API token does.
pub fn link(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let body: LinkBody = ctx.req.json()?;
    let p = provider(ctx, &body.provider)?.clone();
    confirm_recent_authentication(ctx, body.password.as_deref(), "Linking a sign-in provider")?;
    let me = ctx.user()?.id.clone();
    begin(ctx, &p, SETTINGS.to_string(), Some(me))
}

fn begin(
    ctx: &mut Ctx<'_>,
    p: &OidcProvider,
    next: String,
    link_user_id: Option<String>,
) -> AppResult<Reply> {
    let started = match ctx.app.sso.start(&p.id) {
        Ok(s) => s,
        Err(failure) => return Err(failed(ctx, p, None, failure)),
    };
    let binding = crate::crypto::random_token(32);
    let flow = Flow {
        provider: p.id.clone(),
        verifier: started.verifier,
        nonce: started.nonce,
        next,
        link_user_id,
    };
    db::write(ctx.conn, |tx| {
        sso::start_flow(tx, &started.state, &binding, &flow)
    })?;
    let cookie = lax_cookie(
        FLOW_COOKIE,
        &binding,
        FLOW_COOKIE_PATH,
        FLOW_TTL,
        ctx.req.secure,
    );
    Ok(Reply::ok(&Started {
        location: started.location,
    })
    .header("Set-Cookie", cookie))
}

/// Records a failed sign-in (or link) and answers it in words.
fn failed(ctx: &mut Ctx<'_>, p: &OidcProvider, user: Option<Who<'_>>, f: Failure) -> AppError {
    let who = user.unwrap_or(Who { id: None, name: "" });
    let details = json!({
        "method": "sso", "provider": p.id, "reason": f.reason, "detail": f.detail,
    });
    let witness = Witness::of(ctx);
    if let Err(e) = witness.record_alone(ctx.conn, Kind::LoginFailed, who, details) {
        return e;
    }
    let name = &p.name;
    match f.reason {
        "unreachable" => AppError::new(
            ErrorKind::ServiceUnavailable,
            "provider_unreachable",
            format!(
                "{name} cannot be reached right now. Try again in a moment, or sign in another way."
            ),
        ),
        "provider_refused" => AppError::unauthorized(
            "provider_refused",
            format!(
                "{name} did not sign you in (you may have cancelled, or {name} refused). Try again, or sign in another way."
            ),
        ),
        "provider_error" | "code_refused" => AppError::new(
            ErrorKind::BadGateway,
            "provider_error",
            format!(
                "{name} answered in a way MiauInv cannot use, so you are not signed in. An admin finds the cause in the security log."
            ),
        ),
        _ => AppError::unauthorized(
            "sign_in_refused",
            format!(
                "The sign-in through {name} could not be verified, so you are not signed in. Start again from the login page."
            ),
        ),
    }
}

fn refused(ctx: &mut Ctx<'_>, p: &OidcProvider, who: Who<'_>, r: Refusal) -> AppError {
    let details = json!({ "method": "sso", "provider": p.id, "reason": r.reason() });
    let witness = Witness::of(ctx);
    if let Err(e) = witness.record_alone(ctx.conn, Kind::LoginFailed, who, details) {
        return e;
    }
    let name = &p.name;
    let (kind, code, message) = match r {
        Refusal::NotLinked => (
            ErrorKind::Forbidden,
            "not_linked",
            format!(
                "No MiauInv account is linked to your {name} account. Sign in another way and link {name} in Settings, or ask an admin for an account."
            ),
        ),
        Refusal::LinkedElsewhere => (
            ErrorKind::Conflict,
            "linked_elsewhere",
            format!("This {name} account is already linked to another MiauInv account."),
        ),
        Refusal::AlreadyLinked => (
            ErrorKind::Conflict,
            "already_linked",
            format!(
                "Your account is already linked to another {name} account. Unlink it in Settings first."
            ),
        ),
        Refusal::NoRole => (
            ErrorKind::Forbidden,
            "no_role",
            format!(
                "Your {name} groups give no access to MiauInv. Ask an admin to add you to a group that does."
            ),
        ),
        Refusal::Disabled => (
            ErrorKind::Forbidden,
            "account_disabled",
            "This account is disabled. Ask an admin to enable it.".to_string(),
        ),
        Refusal::LastAdmin => (
            ErrorKind::Forbidden,
            "last_admin",
            format!(
                "Your {name} groups no longer make you an admin, but you are the last active admin of this server, so the sign-in is refused instead. Make another account admin first, or add yourself to the admin group at {name}."
            ),
        ),
    };
    AppError::new(kind, code, message)
}

fn string_field(value: Option<&str>, field: &str, max: usize) -> AppResult<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(AppError::invalid_field(
            field,
            format!("At most {max} characters."),
        )),
        _ => Ok(()),
    }
}

/// `POST /api/sso/finish`: the same-site end of a sign-in or a link.
pub fn finish(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    ctx.app.limiter.hit(Action::LoginIp, &ctx.client_key())?;
    let body: FinishBody = ctx.req.json()?;
    string_field(Some(&body.state), "state", 512)?;
    string_field(body.code.as_deref(), "code", 4096)?;
    string_field(body.error.as_deref(), "error", 128)?;
    string_field(body.error_description.as_deref(), "error_description", 1024)?;
    let binding = ctx.req.cookie(FLOW_COOKIE).unwrap_or_default();
    // Taken out before anything else: a state (and the code it came back
    // with) is used once, whatever happens next.
    let flow = db::write(ctx.conn, |tx| sso::take_flow(tx, &body.state, &binding))?;
    let Some(flow) = flow else {
        let details = json!({ "method": "sso", "reason": "state" });
        let witness = Witness::of(ctx);
        witness.record_alone(
            ctx.conn,
            Kind::LoginFailed,
            Who { id: None, name: "" },
            details,
        )?;
        return Err(AppError::unauthorized(
            "sign_in_expired",
            "This sign-in is not the one this browser started, was used already or took longer than ten minutes. Start again from the login page.",
        ));
    };
    let p = provider(ctx, &flow.provider)?.clone();
    let linker = match &flow.link_user_id {
        Some(id) => Some(db::read(ctx.conn, |tx| db::accounts::get(tx, id))?),
        None => None,
    };
    let linker_who = linker.as_ref().map(who_row);
    if let Some(error) = &body.error {
        let f = Failure::token(
            "provider_refused",
            format!(
                "{error}: {}",
                body.error_description.as_deref().unwrap_or("")
            ),
        );
        return Err(failed(ctx, &p, linker_who, f));
    }
    let Some(code) = body.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(AppError::invalid_field(
            "code",
            "The provider sent back no code.",
        ));
    };
    let claims = match ctx.app.sso.finish(&p.id, code, &flow.verifier, &flow.nonce) {
        Ok(c) => c,
        Err(f) => return Err(failed(ctx, &p, linker_who, f)),
    };
    let witness = Witness::of(ctx);
    let clear = lax_cookie(FLOW_COOKIE, "", FLOW_COOKIE_PATH, 0, ctx.req.secure);

    if let Some(me) = linker {
        let linked = db::write(ctx.conn, |tx| {
            let linked = crate::rules::sso::link(tx, &p, &claims, &me.id)?;
            if linked.is_ok() {
                let details = json!({ "provider": p.id, "email": claims.email() });
                witness.own(tx, Kind::IdentityLinked, who_row(&me), details)?;
            }
            Ok(linked)
        })?;
        return match linked {
            Ok(_) => Ok(Reply::ok(&Next {
                next: flow.next,
                requires_2fa: None,
                two_factor_token: None,
                linked: Some(p.id.clone()),
            })
            .header("Set-Cookie", clear)),
            Err(r) => Err(refused(ctx, &p, who_row(&me), r)),
        };
    }

    let (keys, device) = (&ctx.app.keys, ctx.device());
    let code_step = |s: &SignedIn| {
        s.user.two_factor_enabled && !crate::rules::sso::second_factor_done(&p, &claims)
    };
    let outcome = db::write(ctx.conn, |tx| {
        let s = match crate::rules::sso::sign_in(tx, &p, &claims)? {
            Ok(s) => s,
            Err(r) => return Ok(Err(r)),
        };
        let who = who_row(&s.user);
        if s.created {
            let details = json!({ "provider": p.id, "role": s.user.role.as_str() });
            witness.own(tx, Kind::AccountCreatedBySso, who, details)?;
        }
        if s.linked_by_email {
            let details = json!({ "provider": p.id, "by": "verified_email" });
            witness.own(tx, Kind::IdentityLinked, who, details)?;
        }
        if let Some(was) = s.role_was {
            let details = json!({ "from": was.as_str(), "to": s.user.role.as_str(), "by": "sso", "provider": p.id });
            witness.own(tx, Kind::RoleChanged, who, details)?;
        }
        if code_step(&s) {
            return Ok(Ok(Err(keys.login_challenge(&s.user, Some(&p.id))?)));
        }
        witness.own(
            tx,
            Kind::LoginSucceeded,
            who,
            login_details("sso", Some(&p.id)),
        )?;
        Ok(Ok(Ok(session::start_via(
            keys,
            tx,
            &s.user,
            &device,
            Some(&p.id),
        )?)))
    })?;
    match outcome {
        Err(r) => Err(refused(ctx, &p, Who { id: None, name: "" }, r)),
        Ok(Err(challenge)) => Ok(Reply::ok(&Next {
            next: flow.next,
            requires_2fa: Some(true),
            two_factor_token: Some(challenge),
            linked: None,
        })
        .header("Set-Cookie", clear)),
        Ok(Ok(s)) => {
            let extra = Next {
                next: flow.next,
                requires_2fa: None,
                two_factor_token: None,
                linked: None,
            };
            Ok(session_reply::with_session(200, &s, extra, ctx.req).header("Set-Cookie", clear))
        }
    }
}

/// `GET /api/sso/identities`: every configured provider, with the account's
/// identity there when it has one.
pub fn identities(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let me = ctx.user()?.id.clone();
    let mut linked = db::read(ctx.conn, |tx| sso::linked(tx, &me))?;
    let list: Vec<ProviderLink> = ctx
        .app
        .sso
        .providers()
        .map(|p| ProviderLink {
            id: p.id.clone(),
            name: p.name.clone(),
            linked: linked
                .iter()
                .position(|l| l.provider == p.id)
                .map(|i| linked.remove(i)),
        })
        .collect();
    Ok(Reply::ok(&list))
}

/// `DELETE /api/sso/identities?provider=`: unlinks, when another way in
/// remains (a password that may be used, a passkey, another provider).
pub fn unlink(ctx: &mut Ctx<'_>) -> AppResult<Reply> {
    let id = ctx
        .req
        .param("provider")
        .ok_or_else(|| AppError::invalid_field("provider", "Name the provider to unlink."))?
        .to_string();
    let me = ctx.user()?.clone();
    let password_counts =
        ctx.app.config.password_login || ctx.app.config.break_glass_accounts.contains(&me.username);
    let witness = Witness::of(ctx);
    db::write(ctx.conn, |tx| {
        let ways = sso::ways_in(tx, &me.id)?;
        let others =
            (ways.password && password_counts) as i64 + ways.passkeys + ways.identities - 1;
        if ways.identities > 0 && others <= 0 {
            return Err(AppError::conflict(
                "last_way_in",
                "This is your only way to sign in: set a password or add a passkey before you unlink it.",
            ));
        }
        if !sso::unlink(tx, &me.id, &id)? {
            return Err(AppError::not_found(
                "Your account is not linked to this provider.",
            ));
        }
        let details = json!({ "provider": id });
        witness.own(tx, Kind::IdentityUnlinked, who(&me), details)
    })?;
    Ok(Reply::no_content())
}

/// The answer of a finished sign-in with a session, for the API document.
pub(crate) type SignedInAnswer = SessionWith<'static, Next>;
