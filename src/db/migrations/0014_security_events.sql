-- Version 12: the security log (issue 21).
--
-- Append-only: a row is never changed, and only rows older than a day can be
-- deleted (the retention, `security_log_days`, prunes them). No foreign keys:
-- the record of what happened to an account outlives the account. `details`
-- is JSON of non-secret facts (a reason, a role, a token's name); never a
-- password, code, token or secret.
CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT,
    username   TEXT NOT NULL DEFAULT '',
    actor_id   TEXT,
    actor_name TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    device     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX security_events_user ON security_events(user_id, id);
CREATE INDEX security_events_at ON security_events(at);

CREATE TRIGGER security_events_append_only BEFORE UPDATE ON security_events
BEGIN
    SELECT RAISE(ABORT, 'security_events is append-only');
END;
CREATE TRIGGER security_events_kept_a_day BEFORE DELETE ON security_events
WHEN old.at > unixepoch() - 86400
BEGIN
    SELECT RAISE(ABORT, 'security_events younger than a day are kept');
END;
