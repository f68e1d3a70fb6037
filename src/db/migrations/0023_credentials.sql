-- Version 23: credentials that end when you say so (issue 28).
--
-- When a session last proved who is behind it: the login (password, second
-- factor or passkey) that started it, or the credential change (confirmed with
-- the password or a code) that issued it. Refresh-token rotation carries it on
-- unchanged. Making a personal API token needs this within five minutes, or
-- the password in the request. Sessions from before this version count as
-- proved long ago (0): their owner types the password once.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;

-- Disabling an account now revokes its API tokens, so enabling it again does
-- not bring them back. Tokens of accounts disabled before this version would
-- come back on enabling: they go now, as if revoked when the account was
-- disabled.
DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE disabled = 1);
