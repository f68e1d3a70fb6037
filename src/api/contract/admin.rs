//! Operations of the API document: administration (`/api/admin/…`, every
//! route admin-only): accounts, invitations, the server's state, notification
//! channels and the backup download.

use super::op::*;
use crate::api::admin::{invites as admin_invites, users as admin};
use crate::api::{Deleted, alerts::notifications};
use crate::db::{accounts, invites, users};
use crate::http::Method::{Delete, Get, Post, Put};

/// `?id=` of an account (accounts have text ids).
const ACCOUNT: Param = required("id", Takes::AnyText, "The account's id.");
const CHANNEL: Param = required("id", Takes::Id, "The channel's id.");
const CHANNEL_JSON: Content = Content::Json(schema::<notifications::ChannelView<'static>>);

pub const OPS: &[Op] = &[
    // ── accounts ────────────────────────────────────────────────────────────
    op(Get, "/api/admin/users", "Every account, by username")
        .answers(&[answer(200, "The accounts with their security counts.", Content::Json(schema::<Vec<accounts::Account>>))]),
    op(Put, "/api/admin/users", "Change an account's role, or disable or enable it")
        .about("`role` and/or `disabled` (400 `nothing_to_change` for neither), in one transaction. Refused whole (409 `last_admin`) when it would leave no active admin. Disabling ends the account's sessions and revokes its API tokens: enabling it again brings none of them back.")
        .params(&[ACCOUNT])
        .body(schema::<admin::AccountChange>)
        .answers(&[answer(200, "The account as changed.", Content::Json(schema::<users::User>))]),
    op(Delete, "/api/admin/users", "Delete an account")
        .about("Its sessions, tokens and passkeys go with it; the inventory stays, and the security log keeps its events and notes the deletion. The last active admin cannot be deleted (409 `last_admin`).")
        .params(&[ACCOUNT])
        .answers(&[answer(204, "Deleted.", Content::Empty)]),
    op(Post, "/api/admin/users/end-sessions", "End every session and API token of an account")
        .about("Its access tokens are refused at once and every personal API token of the account is revoked (one made with a stolen session would outlive the sessions); it must log in again.")
        .params(&[ACCOUNT])
        .answers(&[answer(204, "Ended.", Content::Empty)]),
    op(Post, "/api/admin/users/reset-link", "Make a password-reset link for an account")
        .about("A one-time link, valid 24 hours, for the admin to hand over (answered this once). Making it ends no session; using it ends every session and API token of the account. `url` is built from the configured `public_url` (else `rp_origin`), never from the request; with neither set, `origin_configured` is false and `url` is only the `path`, to put behind the address the person opens MiauInv at.")
        .params(&[ACCOUNT])
        .answers(&[answer(201, "The link.", Content::Json(schema::<admin::Link>))]),
    // ── invitations ─────────────────────────────────────────────────────────
    op(Get, "/api/admin/invites", "Every invitation, newest first")
        .answers(&[answer(200, "The invitations with their state.", Content::Json(schema::<Vec<invites::Invite>>))]),
    op(Post, "/api/admin/invites", "Invite someone")
        .about("A one-time link to `/invite` that creates an account with `role`, open even while registration is closed. Answered this once; only its hash is kept. `url` is built from the configured `public_url` (else `rp_origin`), never from the request; with neither set, `origin_configured` is false and `url` is only the `path`, to put behind the address the person opens MiauInv at.")
        .body(schema::<admin_invites::NewInvite>)
        .answers(&[answer(201, "The invitation and its link.", Content::Json(schema::<admin_invites::InviteCreated>))
            .links(&[link(Delete, "/api/admin/invites", "id", "/id")])]),
    op(Delete, "/api/admin/invites", "Revoke a pending invitation")
        .params(&[required("id", Takes::Id, "The invitation's id.")])
        .answers(&[answer(204, "Revoked.", Content::Empty)]),
    // ── the server ──────────────────────────────────────────────────────────
    op(Get, "/api/admin/status", "The server at a glance")
        .about("Version, uptime, database size, schema version, account and inventory counts, and the newest backup.")
        .answers(&[answer(200, "The status.", Content::Json(schema::<crate::app::Status>))]),
    op(Get, "/api/admin/notifications", "Notification channels and recent deliveries")
        .about("Channels never answer their secret, only `secret_set`. `events` lists what a channel may subscribe to; `deliveries` the latest 50, newest change first.")
        .answers(&[answer(200, "The channels, the events and the deliveries.", Content::Json(schema::<notifications::Channels<'static>>))]),
    op(Post, "/api/admin/notifications", "Add a notification channel")
        .about("`name`, `kind` and `settings` are required. `settings` by kind: webhook `{url}`; ntfy `{server, topic}`; email `{host, port, security: starttls|tls|none, user?, from, to}` (`to`: addresses separated by commas). `secret`: the webhook's signing secret (required, at least 16 characters), the ntfy access token or the SMTP password.")
        .body(schema::<notifications::ChannelBody>)
        .answers(&[answer(201, "The channel.", CHANNEL_JSON).links(&[
            link(Put, "/api/admin/notifications", "id", "/id"),
            link(Delete, "/api/admin/notifications", "id", "/id"),
            link(Post, "/api/admin/notifications/test", "id", "/id"),
        ])]),
    op(Put, "/api/admin/notifications", "Change a notification channel")
        .about("Any of the fields; a channel keeps its kind. `secret`: a text sets it, `null` clears it, absent keeps it.")
        .params(&[CHANNEL])
        .body(schema::<notifications::ChannelBody>)
        .answers(&[answer(200, "The channel as changed.", CHANNEL_JSON)]),
    op(Delete, "/api/admin/notifications", "Delete a notification channel")
        .params(&[CHANNEL])
        .answers(&[answer(200, "Deleted.", Content::Json(schema::<Deleted>))]),
    op(Post, "/api/admin/notifications/test", "Send a test message through a channel")
        .about("Queued like any event and delivered by the sender in the background: its result shows in the deliveries.")
        .params(&[CHANNEL])
        .answers(&[answer(202, "Queued.", Content::Json(schema::<notifications::Queued>))]),
    op(Get, "/api/admin/backup", "Download a backup of the database")
        .about("A fresh, checked snapshot of the whole database (a SQLite file, every secret included: keep it safe). The download is noted in the security log.")
        .answers(&[answer(200, "The database file, as a download.", Content::Bytes(&["application/vnd.sqlite3"]))]),
];
