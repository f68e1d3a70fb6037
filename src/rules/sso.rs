//! Who a checked identity at a provider is in MiauInv (layer: rules): the one
//! place that links, creates and gives roles for single sign-on. An identity
//! is (issuer, subject), never an email or a username. It is linked to an
//! existing account only by the person signed in to it (Settings), or by a
//! verified email when the provider's config allows it; an account is
//! created only when `auto_create` is on; the role follows the groups only
//! with `sync_role_on_login`, and never takes the last active admin's.

use crate::config::OidcProvider;
use crate::db::users::{self, Role, User};
use crate::db::{accounts, sso};
use crate::error::AppResult;
use crate::sso::Claims;
use rusqlite::Connection;

/// Why a sign-in or a link is refused (the edge says it in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No account has this identity and none may be made for it.
    NotLinked,
    /// Linking: the identity belongs to another account.
    LinkedElsewhere,
    /// Linking: the account already has an identity at this provider.
    AlreadyLinked,
    /// The groups give no role and the provider's default is to deny.
    NoRole,
    /// The account is disabled.
    Disabled,
    /// The groups would take the admin role from the last active admin.
    LastAdmin,
}

impl Refusal {
    /// The security log's word for it.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotLinked => "not_linked",
            Refusal::LinkedElsewhere => "linked_elsewhere",
            Refusal::AlreadyLinked => "already_linked",
            Refusal::NoRole => "no_role",
            Refusal::Disabled => "account_disabled",
            Refusal::LastAdmin => "last_admin",
        }
    }
}

/// What a sign-in through a provider came to.
#[derive(Debug)]
pub struct SignedIn {
    pub user: User,
    /// The account was made by this sign-in.
    pub created: bool,
    /// The identity was linked by this sign-in (by a verified email).
    pub linked_by_email: bool,
    /// The role before, when the groups changed it.
    pub role_was: Option<Role>,
}

/// The role the person's groups give: the first `role_map` entry whose
/// group they are in, else the provider's default (`None`: refused).
pub fn mapped_role(p: &OidcProvider, groups: &[String]) -> Option<Role> {
    p.role_map
        .iter()
        .find(|(group, _)| groups.iter().any(|g| g == group))
        .map(|(_, role)| role.as_str())
        .or(p.default_role.as_deref())
        .and_then(Role::parse)
}

/// Whether the provider's `amr` says a second factor was used, and the
/// provider is trusted to say so.
pub fn second_factor_done(p: &OidcProvider, claims: &Claims) -> bool {
    // RFC 8176: "mfa" outright, or a factor beyond a password: a one-time
    // code, a hardware or software key, a fingerprint or a face.
    const SECOND: [&str; 8] = ["mfa", "otp", "hwk", "swk", "fpt", "face", "iris", "sc"];
    p.trusted_mfa && claims.amr().iter().any(|m| SECOND.contains(m))
}

/// Signs in with a checked identity, inside the caller's write transaction.
/// Every refusal comes before the first write, so a refused sign-in leaves
/// nothing behind.
pub fn sign_in(
    tx: &Connection,
    p: &OidcProvider,
    claims: &Claims,
) -> AppResult<Result<SignedIn, Refusal>> {
    let groups = claims.groups(&p.groups_claim);
    let email = claims.email().unwrap_or("");
    let (found, by_email) = match sso::owner(tx, &claims.iss, &claims.sub)? {
        Some(id) => (Some(id), false),
        None => {
            let id = by_verified_email(tx, p, claims)?;
            let by_email = id.is_some();
            (id, by_email)
        }
    };
    let Some(user_id) = found else {
        if !p.auto_create {
            return Ok(Err(Refusal::NotLinked));
        }
        let Some(role) = mapped_role(p, &groups) else {
            return Ok(Err(Refusal::NoRole));
        };
        let username = free_username(tx, claims)?;
        // No password: the account signs in through its provider (an empty
        // hash never verifies, see `auth::password`).
        let user = users::insert(tx, &username, "", role)?;
        sso::link(tx, &user.id, &p.id, &claims.iss, &claims.sub, email)?;
        sso::touch(tx, &claims.iss, &claims.sub, email)?;
        return Ok(Ok(SignedIn {
            user,
            created: true,
            linked_by_email: false,
            role_was: None,
        }));
    };
    let mut user = accounts::get(tx, &user_id)?;
    if user.disabled {
        return Ok(Err(Refusal::Disabled));
    }
    let mut new_role = None;
    if p.sync_role_on_login {
        let Some(role) = mapped_role(p, &groups) else {
            return Ok(Err(Refusal::NoRole));
        };
        if role != user.role {
            if role != Role::Admin && accounts::is_last_admin(tx, &user)? {
                return Ok(Err(Refusal::LastAdmin));
            }
            new_role = Some(role);
        }
    }
    if by_email {
        sso::link(tx, &user.id, &p.id, &claims.iss, &claims.sub, email)?;
    }
    let role_was = match new_role {
        Some(role) => {
            let was = user.role;
            user = accounts::set_role(tx, &user.id, role)?;
            Some(was)
        }
        None => None,
    };
    sso::touch(tx, &claims.iss, &claims.sub, email)?;
    Ok(Ok(SignedIn {
        user,
        created: false,
        linked_by_email: by_email,
        role_was,
    }))
}

/// Links a checked identity to the signed-in account `user_id` (Settings).
pub fn link(
    tx: &Connection,
    p: &OidcProvider,
    claims: &Claims,
    user_id: &str,
) -> AppResult<Result<User, Refusal>> {
    match sso::owner(tx, &claims.iss, &claims.sub)? {
        Some(owner) if owner == user_id => return Ok(Ok(accounts::get(tx, user_id)?)),
        Some(_) => return Ok(Err(Refusal::LinkedElsewhere)),
        None => {}
    }
    if sso::has_issuer(tx, user_id, &claims.iss)? {
        return Ok(Err(Refusal::AlreadyLinked));
    }
    let email = claims.email().unwrap_or("");
    sso::link(tx, user_id, &p.id, &claims.iss, &claims.sub, email)?;
    Ok(Ok(accounts::get(tx, user_id)?))
}

/// The one account whose confirmed notification email is the identity's,
/// when the provider allows linking by email and says it verified the
/// address. Several accounts with it: none (no guessing between people).
fn by_verified_email(
    tx: &Connection,
    p: &OidcProvider,
    claims: &Claims,
) -> AppResult<Option<String>> {
    let Some(email) = claims.email() else {
        return Ok(None);
    };
    if !p.link_by_verified_email || !claims.email_verified() {
        return Ok(None);
    }
    let mut found = sso::by_confirmed_email(tx, email)?;
    if found.len() != 1 {
        return Ok(None);
    }
    let id = found.remove(0);
    // An account keeps one identity per provider: a second one is linked by
    // its owner, never by an email.
    if sso::has_issuer(tx, &id, &claims.iss)? {
        return Ok(None);
    }
    Ok(Some(id))
}

/// A username for a new account: the provider's `preferred_username` (else
/// the email's local part, else the name) in the username alphabet, made
/// unique with a number.
fn free_username(tx: &Connection, claims: &Claims) -> AppResult<String> {
    let wanted = claims
        .preferred_username()
        .or_else(|| claims.email().and_then(|e| e.split('@').next()))
        .or_else(|| claims.name())
        .unwrap_or("user");
    let mut base: String = wanted
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    base = base.trim_matches(['-', '.', '_']).to_string();
    base.truncate(super::account::MAX_USERNAME_CHARS - 4);
    if base.chars().count() < super::account::MIN_USERNAME_CHARS {
        base = format!("user-{base}").trim_end_matches('-').to_string();
    }
    for n in 1..10_000 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if users::by_username(tx, &name)?.is_none() {
            return super::account::normalize_username(&name);
        }
    }
    Err(users::username_taken())
}
