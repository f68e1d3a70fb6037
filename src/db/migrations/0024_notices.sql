-- Notices nobody can aim at a stranger (issue 28).
--
-- An account's notification email receives nothing but its confirmation
-- link until the link is opened: `notification_email_confirmed_at` is set
-- then, and cleared whenever the address changes. Addresses set before this
-- version were never confirmed, so they start unconfirmed (the settings page
-- offers to send the link).
ALTER TABLE users ADD COLUMN notification_email_confirmed_at INTEGER;

-- One row per confirmation mail: the hash of the link's secret (never the
-- secret), the address it confirms, and its lifetime. `token_hash` becomes
-- NULL once the link is used or replaced by a newer one, so a link works
-- once and only the newest works; the rows stay a day longer to count the
-- mails an account and an address were sent (the resend limits).
CREATE TABLE notification_email_confirmations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX notification_email_confirmations_user
    ON notification_email_confirmations(user_id, created_at);
CREATE INDEX notification_email_confirmations_email
    ON notification_email_confirmations(email COLLATE NOCASE, created_at);

-- Every security notice an account was due, mailed or not: the limit of a
-- few an hour and the folding of new-device logins from one address are
-- decided from it. `state`: 'mailed'; 'held' (over the limit, or a new-device
-- login from an address already noticed within the hour), waiting for the
-- summary; 'summarised' once the summary mail was queued. The summary itself
-- is a 'mailed' row with notice 'summary'. Rows are pruned after two days.
CREATE TABLE security_notice_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    notice  TEXT NOT NULL,
    ip      TEXT NOT NULL DEFAULT '',
    state   TEXT NOT NULL CHECK (state IN ('mailed', 'held', 'summarised'))
);
CREATE INDEX security_notice_log_user ON security_notice_log(user_id, at);
CREATE INDEX security_notice_log_held ON security_notice_log(at) WHERE state = 'held';
