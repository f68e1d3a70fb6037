//! Ending every personal API token of an account at once, and saying so in the
//! security log (issue 28). Two kinds of door end them:
//!
//! - the owner's own "end it all" (a password change, "sign out everywhere",
//!   turning 2FA on) offers it as `revoke_tokens`, on unless the body says
//!   `false`: a person who suspects a stolen session wants everything it could
//!   have made to end, while a script's token kept on purpose may stay;
//! - recovery and an admin (a reset link used, the command line's password
//!   reset, an admin's "end all sessions", disabling) always end them, through
//!   `db::accounts::end_credentials`, since nobody there can vouch for the
//!   tokens.
//!
//! Logging out ends sessions only: signing out of one browser must not stop
//! the scripts of the house. Layer: api.

use crate::api::accounts::security_events::Witness;
use crate::db::api_tokens;
use crate::db::security_log::{Kind, Who};
use crate::error::AppResult;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The `revoke_tokens` a body leaves out: yes.
pub fn by_default() -> bool {
    true
}

/// `{revoke_tokens?}`: the optional body of `POST /api/sessions/revoke-others`
/// (no body at all is the same as `{}`).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndOthers {
    /// Also revoke every personal API token of the account (default true).
    #[serde(default = "by_default")]
    pub revoke_tokens: bool,
}

/// No body: what `{}` says (a derived default would be `false`).
impl Default for EndOthers {
    fn default() -> EndOthers {
        EndOthers {
            revoke_tokens: by_default(),
        }
    }
}

/// How many API tokens a request ended, beside what else it answers.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TokensRevoked {
    /// Personal API tokens revoked by this request (0 when `revoke_tokens`
    /// was false or there were none).
    pub tokens_revoked: usize,
}

/// What ended the tokens, as the event's `details.by` says it.
#[derive(Clone, Copy)]
pub enum By {
    PasswordChange,
    SignOutEverywhere,
    TwoFactorEnabled,
    ResetLink,
    Admin,
    AccountDisabled,
}

impl By {
    fn as_str(self) -> &'static str {
        match self {
            By::PasswordChange => "password_change",
            By::SignOutEverywhere => "revoke_others",
            By::TwoFactorEnabled => "two_factor_enabled",
            By::ResetLink => "reset_link",
            By::Admin => "admin",
            By::AccountDisabled => "account_disabled",
        }
    }
}

/// Inside the caller's transaction: when `wanted`, revokes every API token of
/// `who` (their own choice) and notes it. Answers how many ended.
pub(crate) fn own(
    witness: &Witness,
    conn: &Connection,
    who: Who<'_>,
    wanted: bool,
    by: By,
) -> AppResult<TokensRevoked> {
    let Some(id) = who.id.filter(|_| wanted) else {
        return Ok(TokensRevoked { tokens_revoked: 0 });
    };
    let names = api_tokens::revoke_all(conn, id)?;
    noted(witness, conn, who, who, &names, by)?;
    Ok(TokensRevoked {
        tokens_revoked: names.len(),
    })
}

/// Notes the tokens `names` of `user` that `actor` ended all at once: one
/// `token_revoked` event naming them; nothing when there were none.
pub fn noted(
    witness: &Witness,
    conn: &Connection,
    user: Who<'_>,
    actor: Who<'_>,
    names: &[String],
    by: By,
) -> AppResult<()> {
    if names.is_empty() {
        return Ok(());
    }
    let details = serde_json::json!({
        "all": true,
        "count": names.len(),
        "names": names,
        "by": by.as_str(),
    });
    witness.record(conn, Kind::TokenRevoked, user, actor, details)
}
