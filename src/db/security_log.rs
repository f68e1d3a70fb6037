//! The `security_events` table: the append-only security log (issue 21). One
//! row per event: when, whose account, who did it (the actor: the person, or
//! an admin acting on them), from where (address and device) and non-secret
//! details as JSON. Rows older than the retention are pruned on insert, which
//! costs one indexed probe when nothing is due.

use crate::error::AppResult;
use rusqlite::{Connection, params};
use serde::Serialize;

/// What happened, as stored in `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LoginSucceeded,
    LoginFailed,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
    PasswordChanged,
    UsernameChanged,
    NotificationEmailChanged,
    TokenCreated,
    TokenRevoked,
    SessionRevoked,
    RoleChanged,
    AccountDisabled,
    AccountEnabled,
    AccountDeleted,
    // One-time links: an invitation's and a reset link's whole life.
    InviteCreated,
    InviteRevoked,
    InviteUsed,
    ResetLinkCreated,
    ResetLinkUsed,
    // The data as a whole.
    BackupDownloaded,
    DatabaseRestored,
    // Notices nobody can aim at a stranger, secrets sealed (issue 28).
    NotificationEmailConfirmed,
    NotificationChannelCreated,
    NotificationChannelChanged,
    NotificationChannelDeleted,
    // Sign-in with an identity provider (issue 30).
    IdentityLinked,
    IdentityUnlinked,
    AccountCreatedBySso,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LoginSucceeded => "login_succeeded",
            Kind::LoginFailed => "login_failed",
            Kind::TwoFactorEnabled => "two_factor_enabled",
            Kind::TwoFactorDisabled => "two_factor_disabled",
            Kind::RecoveryCodeUsed => "recovery_code_used",
            Kind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Kind::PasskeyAdded => "passkey_added",
            Kind::PasskeyRemoved => "passkey_removed",
            Kind::PasswordChanged => "password_changed",
            Kind::UsernameChanged => "username_changed",
            Kind::NotificationEmailChanged => "notification_email_changed",
            Kind::TokenCreated => "token_created",
            Kind::TokenRevoked => "token_revoked",
            Kind::SessionRevoked => "session_revoked",
            Kind::RoleChanged => "role_changed",
            Kind::AccountDisabled => "account_disabled",
            Kind::AccountEnabled => "account_enabled",
            Kind::AccountDeleted => "account_deleted",
            Kind::InviteCreated => "invite_created",
            Kind::InviteRevoked => "invite_revoked",
            Kind::InviteUsed => "invite_used",
            Kind::ResetLinkCreated => "reset_link_created",
            Kind::ResetLinkUsed => "reset_link_used",
            Kind::BackupDownloaded => "backup_downloaded",
            Kind::DatabaseRestored => "database_restored",
            // Notices nobody can aim at a stranger, secrets sealed (issue 28).
            Kind::NotificationEmailConfirmed => "notification_email_confirmed",
            Kind::NotificationChannelCreated => "notification_channel_created",
            Kind::NotificationChannelChanged => "notification_channel_changed",
            Kind::NotificationChannelDeleted => "notification_channel_deleted",
            Kind::IdentityLinked => "identity_linked",
            Kind::IdentityUnlinked => "identity_unlinked",
            Kind::AccountCreatedBySso => "account_created_by_sso",
        }
    }
}

/// Someone named in an event: an account's id (none for a login with an
/// unknown username) and name.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub id: Option<&'a str>,
    pub name: &'a str,
}

/// One event to record.
pub struct Event<'a> {
    pub kind: Kind,
    /// The account it concerns.
    pub user: Who<'a>,
    /// Who did it: the person themself, or an admin.
    pub actor: Who<'a>,
    pub ip: &'a str,
    /// "Firefox on Linux", or the first product token of an agent nobody
    /// knows ("curl"): for the person's own log and sessions.
    pub device: &'a str,
    /// The device named from the known browsers and systems only
    /// (`auth::devices::known`), none for any other agent: what a notice
    /// mailed to the owner may name, since an agent is text anyone can choose.
    pub known_device: Option<&'a str>,
    /// Non-secret facts (a reason, a role, a token's name).
    pub details: serde_json::Value,
}

/// Appends an event and prunes rows older than `keep_days`. `new_device`
/// (from [`crate::db::security_notices::is_new_device_login`], asked before
/// the event is written) marks a successful login from a device the
/// account's log has not seen. Queueing the notice the owner is sent is the
/// caller's second call in the same transaction
/// (`security_notices::queue_for`), so the notice exists exactly when the
/// event does.
pub fn record(
    conn: &Connection,
    event: &Event<'_>,
    keep_days: u32,
    new_device: bool,
) -> AppResult<()> {
    let mut details = event.details.clone();
    if new_device && let Some(fields) = details.as_object_mut() {
        fields.insert("new_device".into(), true.into());
    }
    conn.prepare_cached(
        "INSERT INTO security_events (at, kind, user_id, username, actor_id, actor_name, ip, device, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        crate::db::now(),
        event.kind.as_str(),
        event.user.id,
        clip(event.user.name),
        event.actor.id,
        clip(event.actor.name),
        event.ip,
        event.device,
        details.to_string()
    ])?;
    prune(conn, keep_days)
}

/// Deletes events older than `keep_days` (at least one day; the table's
/// trigger refuses anything younger).
pub fn prune(conn: &Connection, keep_days: u32) -> AppResult<()> {
    let cutoff = crate::db::now() - i64::from(keep_days.max(1)) * 86_400;
    conn.prepare_cached("DELETE FROM security_events WHERE at < ?1")?
        .execute([cutoff])?;
    Ok(())
}

/// A name as typed at a login may be anything: a bounded piece of it is kept.
fn clip(name: &str) -> String {
    name.chars().take(64).collect()
}

/// One stored event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user_id: Option<String>,
    pub username: String,
    pub actor_id: Option<String>,
    pub actor: String,
    pub ip: String,
    pub device: String,
    pub details: serde_json::Value,
}

/// Events newest first, below id `before` (paging), of one account or
/// (`user_id` none) of everyone; at most `limit`.
pub fn list(
    conn: &Connection,
    user_id: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, user_id, username, actor_id, actor_name, ip, device, details
         FROM security_events
         WHERE (?1 IS NULL OR user_id = ?1) AND id < ?2
         ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![user_id, before.unwrap_or(i64::MAX), limit], |r| {
        let details: String = r.get(9)?;
        Ok(EventRow {
            id: r.get(0)?,
            at: r.get(1)?,
            kind: r.get(2)?,
            user_id: r.get(3)?,
            username: r.get(4)?,
            actor_id: r.get(5)?,
            actor: r.get(6)?,
            ip: r.get(7)?,
            device: r.get(8)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
