//! Operations of the API document: accounts (register, login, sessions and
//! the tokens they carry), two-factor authentication, passkeys, devices and
//! the security log, personal API tokens, and the one-time links a person
//! redeems (invitations, password resets).

use super::op::*;
use crate::api::accounts::session_reply::{Issued, SessionWith};
use crate::api::{
    accounts::account, accounts::notification_email, accounts::onboarding, accounts::passkeys,
    accounts::revocation, accounts::security_events, accounts::sessions, accounts::tokens,
    accounts::two_factor,
};
use crate::db::{api_tokens, passkeys as passkeys_db, profile, users};
use crate::http::Method::{Delete, Get, Post, Put};

/// Rate limited: refused for too many attempts (429).
const LIMITED: &[u16] = &[429];
/// Rate limited and hashing or checking a password: also refused while the
/// server is busy with other passwords (503).
const HASHES: &[u16] = &[429, 503];
/// A public, rate-limited route that checks a secret: a wrong one is 401.
const CHECKS: &[u16] = &[401, 429];
const CHECKS_HASHES: &[u16] = &[401, 429, 503];

const ISSUED: Content = Content::Json(schema::<Issued>);
const USER: Content = Content::Json(schema::<users::User>);
const PROFILE: Content = Content::Json(schema::<profile::Profile>);
const CEREMONY: Content = Content::Json(schema::<passkeys::CeremonyStarted<serde_json::Value>>);
const REMOVED: Content = Content::Json(schema::<SessionWith<'static, passkeys::Removed>>);

/// What an admin can do with an account a create answers.
const ACCOUNT_LINKS: &[Link] = &[
    link(Put, "/api/admin/users", "id", "/id"),
    link(Delete, "/api/admin/users", "id", "/id"),
    link(Post, "/api/admin/users/end-sessions", "id", "/id"),
    link(Post, "/api/admin/users/reset-link", "id", "/id"),
];

pub const OPS: &[Op] = &[
    // ── accounts ────────────────────────────────────────────────────────────
    op(Post, "/api/register", "Create an account (when registration is open)")
        .about("The account gets the configured default role. Usernames are trimmed and lowercased: 3–32 of `a-z 0-9 . _ -`, unique (409 `username_taken`). Passwords: 8 characters to 72 bytes. The account does not log in: call `/api/login` next. Absent from the document while registration is closed.")
        .body(schema::<account::NewAccount>)
        .answers(&[answer(201, "The new account.", USER).links(ACCOUNT_LINKS)])
        .errors(HASHES),
    op(Post, "/api/login", "Log in with username and password")
        .about("Answers a session (access and refresh token, also set as cookies), or, when the account has two-factor authentication, `requires_2fa` with a 5-minute `two_factor_token` for `/api/login/2fa`. Wrong credentials are 401 `invalid_credentials`; a disabled account 403 (said only after the right password). Repeated failures are slowed down and then refused (429 with `Retry-After`).")
        .body(schema::<account::Credentials>)
        .answers(&[answer(200, "A session, or the second step to take.", Content::Json(schema::<LoginAnswer>))])
        .errors(CHECKS_HASHES),
    op(Post, "/api/refresh", "Trade a refresh token for a new session")
        .about("The refresh token is the body's `refresh_token`, else the `refresh_token` cookie (the body may then be empty). It is used up: the answer carries the next one. An unknown, used or expired token is 401.")
        .body(schema::<account::RefreshBody>)
        .answers(&[answer(200, "The new session.", ISSUED)])
        .errors(CHECKS),
    op(Post, "/api/logout", "Log out everywhere")
        .about("Ends every session of the account (every device) and clears the cookies. Personal API tokens keep working: signing out of a browser does not stop scripts (revoke them with `/api/sessions/revoke-others`, a password change or one by one).")
        .answers(&[answer(200, "Logged out.", Content::Json(schema::<account::LoggedOut>))]),
    op(Get, "/api/profile", "The signed-in account")
        .answers(&[answer(200, "The account with its security counts.", PROFILE)]),
    op(Get, "/api/userinfo", "The signed-in account (same as `/api/profile`)")
        .answers(&[answer(200, "The account with its security counts.", PROFILE)]),
    op(Post, "/api/account/username", "Change the username")
        .about("Needs the current password (a wrong one is 401 `wrong_password`, counted: 429 after too many). The same rules as at registration.")
        .body(schema::<account::UsernameChange>)
        .answers(&[answer(200, "The account as changed.", USER)])
        .errors(HASHES),
    op(Post, "/api/account/password", "Change the password")
        .about("Needs the current password. Every other session ends, and every personal API token is revoked unless `revoke_tokens` is `false`; the answer is this device's new session with `tokens_revoked`.")
        .body(schema::<account::PasswordChange>)
        .answers(&[answer(200, "A new session, and how many API tokens were revoked.", Content::Json(schema::<SessionWith<'static, revocation::TokensRevoked>>))])
        .errors(HASHES),
    op(Post, "/api/account/notification-email", "Set the address security notices go to")
        .about("Needs the current password. Notices (a login from a new device, two-factor authentication turned off) go by an admin's email channel that carries `account.security`, to this address only, once it is confirmed: a new address (or the same one, still unconfirmed) is mailed a link to `/confirm-email` valid 24 hours, and gets nothing else until it is opened (`notification_email_confirmed`). Refused (409) when no email channel carries `account.security` (`notices_not_mailed`) or the config names no public address for the link (`public_url_unset`); 429 `too_many_confirmation_mails` beyond 5 confirmation mails a day for an account or 3 to an address. `null` or `\"\"` clears it.")
        .body(schema::<crate::api::accounts::notification_email::NotificationEmailChange>)
        .answers(&[answer(200, "The account.", PROFILE)])
        .errors(HASHES),
    op(Post, "/api/account/notification-email/resend", "Mail the confirmation link again")
        .about("A new link to the account's unconfirmed notification email; older links stop working. 409 when there is no address (`no_notification_email`), it is confirmed already (`already_confirmed`), or it cannot be mailed (as when setting it); 429 `too_many_confirmation_mails` beyond the daily limits.")
        .answers(&[answer(202, "The link is on its way.", Content::Json(schema::<notification_email::LinkSent>))])
        .errors(LIMITED),
    op(Post, "/api/account/notification-email/confirm", "Confirm a notification email through its link")
        .about("The `token` of the mailed link (`/confirm-email?token=`); no sign-in needed. The link works once, for 24 hours, and only the newest one of an account (400 `link_invalid` otherwise, also when the account's address changed since). Opening the link's page confirms nothing: its button calls this.")
        .body(schema::<notification_email::EmailConfirmation>)
        .answers(&[answer(204, "Confirmed.", Content::Empty)])
        .errors(LIMITED),
    // ── two-factor authentication ───────────────────────────────────────────
    op(Post, "/api/login/2fa", "The second login step: a TOTP or recovery code")
        .about("`two_factor_token` is the one `/api/login` answered. A TOTP code is accepted once; a recovery code is used up, and the answer then says how many are left. Wrong codes are 401 and count against the account (429 after five in five minutes, even for a right code).")
        .body(schema::<two_factor::SecondStep>)
        .answers(&[answer(200, "The session.", Content::Json(schema::<SecondStepAnswer>))])
        .errors(CHECKS),
    op(Post, "/api/2fa/setup", "Start setting up two-factor authentication")
        .about("A new secret, its `otpauth://` address and QR code, and a 10-minute `setup_token` that carries it. Nothing is stored until `/api/2fa/enable`. 409 when it is already on.")
        .answers(&[answer(200, "The secret to add to an authenticator app.", Content::Json(schema::<two_factor::Setup>))]),
    op(Post, "/api/2fa/enable", "Turn two-factor authentication on")
        .about("The setup token and a code from the new secret. Every other session ends, and every personal API token is revoked unless `revoke_tokens` is `false` (a token never asks for the second factor); the answer is a new session, ten recovery codes (shown this once) and `tokens_revoked`.")
        .body(schema::<two_factor::Enable>)
        .answers(&[answer(200, "A new session and the recovery codes.", Content::Json(schema::<SessionWith<'static, two_factor::RecoveryCodes>>))])
        .errors(&[401, 429]),
    op(Post, "/api/2fa/disable", "Turn two-factor authentication off")
        .about("The password and a current TOTP code. Every session ends and the cookies are cleared: log in again.")
        .body(schema::<two_factor::PasswordAndCode>)
        .answers(&[answer(200, "Off.", Content::Json(schema::<two_factor::TwoFactorOff>))])
        .errors(HASHES),
    op(Post, "/api/2fa/recovery-codes/regenerate", "Replace the recovery codes")
        .about("The password and a current TOTP code; every old recovery code stops working.")
        .body(schema::<two_factor::PasswordAndCode>)
        .answers(&[answer(200, "The new codes, shown this once.", Content::Json(schema::<two_factor::NewRecoveryCodes>))])
        .errors(HASHES),
    // ── passkeys ────────────────────────────────────────────────────────────
    op(Get, "/api/passkeys", "The account's passkeys")
        .answers(&[answer(200, "The passkeys, oldest first.", Content::Json(schema::<Vec<passkeys_db::PasskeyEntry>>))]),
    op(Delete, "/api/passkeys", "Remove a passkey")
        .about("Needs the password. Every other session ends; the answer is this device's new session.")
        .body(schema::<passkeys::RemoveOne>)
        .answers(&[answer(200, "Removed, and a new session.", REMOVED)])
        .errors(HASHES),
    op(Post, "/api/passkeys/register/options", "Start adding a passkey")
        .about("Needs the password. Answers the options for `navigator.credentials.create` and a `challenge_token` for `/api/passkeys/register/finish`.")
        .body(schema::<passkeys::RegisterOptions>)
        .answers(&[answer(200, "The ceremony's options.", CEREMONY)])
        .errors(HASHES),
    op(Post, "/api/passkeys/register/finish", "Finish adding a passkey")
        .about("The `challenge_token` and the browser's credential (its JSON as WebAuthn gives it). Every other session ends; the answer is the passkey and this device's new session.")
        .body(schema::<passkeys::CeremonyFinish>)
        .answers(&[answer(201, "The passkey and a new session.", Content::Json(schema::<SessionWith<'static, passkeys::NewPasskey>>))
            .links(&[link(Delete, "/api/passkeys", "body.id", "/passkey/id")])]),
    op(Post, "/api/passkeys/disable", "Remove every passkey")
        .about("Needs the password. Every other session ends; the answer is this device's new session.")
        .body(schema::<passkeys::Disable>)
        .answers(&[answer(200, "How many were removed, and a new session.", REMOVED)])
        .errors(HASHES),
    op(Post, "/api/passkeys/login/options", "Start a passkey login")
        .about("Answers the options for `navigator.credentials.get` (no username: the passkey names its account) and a `challenge_token` for `/api/passkeys/login/finish`.")
        .answers(&[answer(200, "The ceremony's options.", CEREMONY)])
        .errors(LIMITED),
    op(Post, "/api/passkeys/login/finish", "Finish a passkey login")
        .about("A complete login by itself, also for an account with two-factor authentication. An unknown or copied passkey is 401.")
        .body(schema::<passkeys::CeremonyFinish>)
        .answers(&[answer(200, "The session.", ISSUED)])
        .errors(CHECKS),
    // ── sessions (devices) and the security log ─────────────────────────────
    op(Get, "/api/sessions", "The account's sessions (devices)")
        .answers(&[answer(200, "The sessions, with the one making this request marked `current`.", Content::Json(schema::<Vec<sessions::SessionView>>))]),
    op(Delete, "/api/sessions", "End one session")
        .about("Its access token is refused at once. Ending the current session is a logout of this device: its cookies are cleared too.")
        .params(&[required("id", Takes::AnyText, "The session's id (from `GET /api/sessions`).")])
        .answers(&[answer(200, "Ended.", Content::Json(schema::<sessions::SessionEnded>))]),
    op(Post, "/api/sessions/revoke-others", "End every session but this one")
        .about("Sign out everywhere else: every other session ends, and every personal API token is revoked unless `revoke_tokens` is `false`. The body may be left out (the same as `{}`).")
        .body(schema::<revocation::EndOthers>)
        .answers(&[answer(200, "How many sessions were ended and API tokens revoked.", Content::Json(schema::<sessions::OthersEnded>))]),
    op(Get, "/api/security-events", "The security log, newest first")
        .about("Logins, failed logins, password, 2FA, passkey, token and role changes, with address and device. A person sees their own; an admin may name an account (`user_id`) or ask for everyone's (`all`), not both. Paged by `before`.")
        .params(&[
            query("user_id", Takes::AnyText, "The events of this account (admins, for another account than their own)."),
            query("all", Takes::Flag, "Everyone's events (admins)."),
            query("before", Takes::Int { min: 1, max: i64::MAX }, "Only events older than this event id (the `next_before` of the previous page)."),
            query("limit", Takes::Int { min: 1, max: i64::MAX }, "At most this many (default 50; more than 200 is read as 200)."),
        ])
        .answers(&[answer(200, "A page of events.", Content::Json(schema::<security_events::Page>))]),
    // ── personal API tokens, invitations and reset links ────────────────────
    op(Get, "/api/tokens", "The account's personal API tokens")
        .answers(&[answer(200, "The tokens (never the secrets).", Content::Json(schema::<Vec<api_tokens::ApiToken>>))]),
    op(Post, "/api/tokens", "Make a personal API token")
        .about("`read` reads; `write` also changes the inventory (as far as the account's role allows). No token reaches account, security or admin routes. The token is answered this once; only its hash is kept. At most 100 per account (409 `too_many_tokens`).\n\nA token outlives the session that makes it, so making one needs a recent login: a session that logged in (password, second factor or passkey) or changed a credential within the last 5 minutes may leave `password` out; any other must send the account's current `password` (401 `password_required` without it, 401 `wrong_password` with a wrong one, counted: 429 after too many).\n\nA token stops when it is revoked or expires, and all of an account's tokens are revoked by a password reset (a reset link or the command line), an admin ending the account's sessions, disabling the account (enabling it again brings none back) and deleting it; and, unless the request says `revoke_tokens: false`, by a password change, `/api/sessions/revoke-others` and turning 2FA on. Logging out leaves them.")
        .body(schema::<tokens::NewToken>)
        .answers(&[answer(201, "The token.", Content::Json(schema::<tokens::TokenCreated>))
            .links(&[link(Delete, "/api/tokens", "id", "/id")])])
        .errors(CHECKS_HASHES),
    op(Delete, "/api/tokens", "Revoke a personal API token")
        .params(&[required("id", Takes::Id, "The token's id.")])
        .answers(&[answer(204, "Revoked.", Content::Empty)]),
    op(Post, "/api/invites/accept", "Create an account through an invitation")
        .about("Open even while registration is closed. The account gets the invitation's role; the link works once (400 `link_invalid` when used, revoked or expired). The same username and password rules as at registration.")
        .body(schema::<onboarding::InviteAcceptance>)
        .answers(&[answer(201, "The new account.", USER).links(ACCOUNT_LINKS)])
        .errors(HASHES),
    op(Post, "/api/password-reset", "Set a new password through a reset link")
        .about("The link works once (400 `link_invalid` when used or expired). Every session and every personal API token of the account ends (account recovery: whoever had the account may have made tokens): log in with the new password.")
        .body(schema::<onboarding::PasswordReset>)
        .answers(&[answer(204, "The password is set.", Content::Empty)])
        .errors(HASHES),
];

/// `POST /api/login` answers a session, or the second step to take.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum LoginAnswer {
    Session(Issued),
    SecondFactor(account::SecondFactorRequired),
}

/// `POST /api/login/2fa` answers a session, with the recovery codes left
/// when one was used up.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
enum SecondStepAnswer {
    Session(Issued),
    RecoveryCode(SessionWith<'static, two_factor::RecoveryCodeUsed>),
}
