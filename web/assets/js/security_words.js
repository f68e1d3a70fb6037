// The security log's events in words, for the settings page and /admin.

// What an event's kind says in words.
const WORDS = {
  login_succeeded: 'Logged in',
  login_failed: 'Failed login',
  two_factor_enabled: 'Two-factor authentication turned on',
  two_factor_disabled: 'Two-factor authentication turned off',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes made',
  passkey_added: 'Passkey added',
  passkey_removed: 'Passkey removed',
  password_changed: 'Password changed',
  username_changed: 'Username changed',
  notification_email_changed: 'Notification email changed',
  token_created: 'API token made',
  token_revoked: 'API token revoked',
  session_revoked: 'Session ended',
  role_changed: 'Role changed',
  account_disabled: 'Account disabled',
  account_enabled: 'Account enabled',
  account_deleted: 'Account deleted',
  // One-time links: an invitation's and a reset link's whole life.
  invite_created: 'Invitation made',
  invite_revoked: 'Invitation revoked',
  invite_used: 'Invitation used',
  reset_link_created: 'Password-reset link made',
  reset_link_used: 'Password-reset link used',
  backup_downloaded: 'Backup downloaded',
  database_restored: 'Database restored from a backup',
  // Notices nobody can aim at a stranger, secrets sealed (issue 28).
  notification_email_confirmed: 'Notification email confirmed',
  notification_channel_created: 'Notification channel made',
  notification_channel_changed: 'Notification channel changed',
  notification_channel_deleted: 'Notification channel removed',
  // Sign-in with an identity provider (issue 30).
  identity_linked: 'Sign-in provider linked',
  identity_unlinked: 'Sign-in provider unlinked',
  account_created_by_sso: 'Account made at the first sign-in through a provider',
};

export function describeEvent(e) {
  const what = WORDS[e.kind] || e.kind;
  const extra = [];
  if (e.details?.reason) extra.push(String(e.details.reason).replaceAll('_', ' '));
  if (e.details?.new_device) extra.push('new device');
  if (e.details?.method) extra.push(`by ${String(e.details.method).replaceAll('_', ' ')}`);
  if (e.details?.provider) extra.push(`through ${e.details.provider}`);
  if (e.details?.to) extra.push(`to ${e.details.to}`);
  if (e.details?.name) extra.push(`“${e.details.name}”`);
  // Every token at once (a password change, a reset, an admin): how many.
  if (e.details?.all && e.details?.count) extra.push(e.details.count === 1 ? 'all: 1 token' : `all: ${e.details.count} tokens`);
  if (Array.isArray(e.details?.changed) && e.details.changed.length) extra.push(`changed: ${e.details.changed.join(', ')}`);
  if (e.actor_id && e.actor_id !== e.user_id) extra.push(`by ${e.actor}`);
  return extra.length ? `${what} (${extra.join(', ')})` : what;
}
