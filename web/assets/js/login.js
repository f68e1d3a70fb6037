// The login page: password step, then (for accounts with 2FA) the code step.
import { request } from './api.js';
import { $, onSubmit, clearError } from './ui.js';

const loginForm = $('#login-form');
const codeForm = $('#twofa-form');
let twoFactorToken = null;

/** Where to go after logging in: the page that sent us here, if it is ours. */
function destination() {
  const next = new URLSearchParams(location.search).get('next') || '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/dashboard';
}

// Pages are reached with the short-lived access cookie only; when it has
// expired, the refresh cookie (sent to /api only) may still hold a session.
// Renew it quietly and go back to where the person was heading.
async function resumeSession() {
  const res = await fetch('/api/refresh', { method: 'POST', credentials: 'same-origin' }).catch(() => null);
  if (res && res.ok) location.replace(destination());
}

onSubmit(loginForm, async (data) => {
  const { data: answer } = await request('POST', '/api/login', {
    username: String(data.get('username')).trim(),
    password: String(data.get('password')),
  }, { session: false });
  if (answer && answer.requires_2fa) {
    twoFactorToken = answer.two_factor_token;
    loginForm.hidden = true;
    codeForm.hidden = false;
    $('#twofa-code').focus();
    return;
  }
  location.assign(destination());
});

onSubmit(codeForm, async (data) => {
  await request('POST', '/api/login/2fa', {
    two_factor_token: twoFactorToken,
    code: String(data.get('code')).trim(),
  }, { session: false });
  location.assign(destination());
});

$('#twofa-cancel').addEventListener('click', () => {
  twoFactorToken = null;
  codeForm.reset();
  clearError(codeForm);
  codeForm.hidden = true;
  loginForm.hidden = false;
  $('#login-password').value = '';
  $('#login-username').focus();
});

if (new URLSearchParams(location.search).has('next')) resumeSession();
