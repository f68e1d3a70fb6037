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
  invite_used: 'Invitation used',
  backup_downloaded: 'Backup downloaded',
  // Notices nobody can aim at a stranger, secrets sealed (issue 28).
  notification_email_confirmed: 'Notification email confirmed',
  notification_channel_created: 'Notification channel made',
  notification_channel_changed: 'Notification channel changed',
  notification_channel_deleted: 'Notification channel removed',
};

export function describeEvent(e) {
  const what = WORDS[e.kind] || e.kind;
  const extra = [];
  if (e.details?.reason) extra.push(String(e.details.reason).replaceAll('_', ' '));
  if (e.details?.new_device) extra.push('new device');
  if (e.details?.method) extra.push(`by ${String(e.details.method).replaceAll('_', ' ')}`);
  if (e.details?.to) extra.push(`to ${e.details.to}`);
  if (e.details?.name) extra.push(`“${e.details.name}”`);
  if (Array.isArray(e.details?.changed) && e.details.changed.length) extra.push(`changed: ${e.details.changed.join(', ')}`);
  if (e.actor_id && e.actor_id !== e.user_id) extra.push(`by ${e.actor}`);
  return extra.length ? `${what} (${extra.join(', ')})` : what;
}
