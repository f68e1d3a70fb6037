-- Version 11: sessions as devices (issue 21).
--
-- A session is one login on one device: the family of refresh tokens that
-- rotation hands on from one to the next. Each refresh token names its session,
-- and each access token carries the session's id, so ending a session (the
-- settings page, "end all other sessions") kills its access token at once: the
-- request check looks the session up by primary key.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    -- The last login or refresh (every 15 minutes while in use): not every
    -- request, which would make each read a write.
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- No foreign key: rows revoked by rotation outlive an ended session, so a
-- stolen old token presented later is still recognised as reuse.
ALTER TABLE refresh_tokens ADD COLUMN session_id TEXT;
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);

-- Every live refresh token becomes a session of its own (its access tokens,
-- issued before sessions existed, carry no session and are refused; the
-- client renews them with the refresh token).
INSERT INTO sessions (id, user_id, user_agent, ip, created_at, last_used_at, expires_at)
    SELECT id, user_id, coalesce(device_info, ''), '', created_at, created_at, expires_at
    FROM refresh_tokens WHERE revoked = 0;
UPDATE refresh_tokens SET session_id = id WHERE revoked = 0;
