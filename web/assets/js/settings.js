// Account settings: username, password and notification email; 2FA and
// passkeys below.
import { api, ApiError } from './api.js';
import { $, $$, onSubmit, runAction } from './ui.js';
// The security sections (2FA, passkeys, API tokens) have modules of their own.
import './settings_2fa.js';
import './settings_passkeys.js';
import { reloadTokens, tokensEnded } from './settings_tokens.js';
import './settings_sessions.js';
import './settings_sso.js';

function success(form, message) {
  const ok = form.querySelector('[data-ok]');
  ok.textContent = message;
  ok.hidden = false;
}

const usernameForm = $('#username-form');
onSubmit(usernameForm, async (data) => {
  const user = await api.post('/api/account/username', {
    username: String(data.get('username')).trim(),
    password: String(data.get('password')),
  });
  usernameForm.reset();
  $('#new-username').value = user.username;
  $$('[data-current-username], .user-name').forEach((node) => { node.textContent = user.username; });
  $$('.topbar .avatar').forEach((node) => { node.textContent = user.username.slice(0, 1).toUpperCase(); });
  success(usernameForm, `Your username is now ${user.username}.`);
});

const passwordForm = $('#password-form');
onSubmit(passwordForm, async (data) => {
  const newPassword = String(data.get('new_password'));
  if (newPassword !== String(data.get('confirm'))) {
    throw new ApiError(400, { error: 'The two new passwords are not the same.', field: 'confirm' });
  }
  const revokeTokens = data.get('revoke_tokens') === 'on';
  const changed = await api.post('/api/account/password', {
    old_password: String(data.get('old_password')),
    new_password: newPassword,
    revoke_tokens: revokeTokens,
  });
  passwordForm.reset();
  success(passwordForm, `Your password was changed. Every other device has been logged out${tokensEnded(changed.tokens_revoked)}.`);
  await reloadTokens();
});

// The notification email: saved, then unconfirmed until its owner opens
// the link mailed there; the link can be sent again.
const noticeForm = $('#notification-email-form');
const noticeState = $('#notification-email-state');

function showNoticeState(profile) {
  noticeState.hidden = !profile.notification_email;
  $$('[data-state-address]', noticeState).forEach((node) => { node.textContent = profile.notification_email || ''; });
  $('[data-state-confirmed]', noticeState).hidden = !profile.notification_email_confirmed;
  $('[data-state-unconfirmed]', noticeState).hidden = Boolean(profile.notification_email_confirmed);
}

onSubmit(noticeForm, async (data) => {
  const email = String(data.get('email')).trim();
  const profile = await api.post('/api/account/notification-email', {
    email: email || null,
    password: String(data.get('password')),
  });
  noticeForm.reset();
  $('#notification-email-address').value = profile.notification_email || '';
  showNoticeState(profile);
  let said = 'No security notices are sent to you.';
  if (profile.notification_email_confirmed) said = `Security notices go to ${profile.notification_email}.`;
  else if (profile.notification_email) said = `Unconfirmed — check your mail: a link went to ${profile.notification_email}.`;
  success(noticeForm, said);
});

$('#notification-email-resend').addEventListener('click', () => runAction(
  $('[data-state-unconfirmed] [data-error]', noticeState),
  () => api.post('/api/account/notification-email/resend', {}),
  'The link is on its way: check your mail.',
  async () => showNoticeState(await api.get('/api/profile')),
));
