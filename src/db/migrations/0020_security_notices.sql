-- Security notices to the account owner (issue 19 with the security log).
--
-- An account may name an address for its own notices (a login from a new
-- device, two-factor authentication turned off). Admins choose which email
-- channel's SMTP server carries them by giving it the 'account.security'
-- event; the message then goes to this address only, never to the channel's
-- own recipients, and never to a webhook or ntfy channel.
ALTER TABLE users ADD COLUMN notification_email TEXT;

-- The one address an outbox entry goes to, overriding the channel's own
-- recipients: set for security notices (which also name their channel),
-- null for everything else.
ALTER TABLE notification_outbox ADD COLUMN recipient TEXT;
