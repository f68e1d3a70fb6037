// The login page: password step, then (for accounts with 2FA) the code step;
// or a passkey, which needs no username and is a complete login by itself.
import { request } from './api.js';
import { $, onSubmit, clearError } from './ui.js';
import { passkeyProblem, requestOptions, assertionJSON, browserError } from './webauthn.js';

const loginForm = $('#login-form');
const codeForm = $('#twofa-form');
const passkeyBox = $('#passkey-login');
const passkeyButton = $('#passkey-login-button');
const passkeyMessage = $('#passkey-login-error');
let twoFactorToken = null;

/**
 * Where to go after logging in: the page that sent us here, if it is ours.
 * `next` is parsed by the same URL parser that will follow it, so what is
 * checked is what is followed: the parser strips tab, CR and LF and reads "\"
 * as "/", which turns "/\t/evil.com" into "//evil.com", another host. Only a
 * result on our own origin whose path starts with a single "/" is accepted, and
 * the absolute URL is followed, so nothing can reinterpret it afterwards.
 */
function destination() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next) return '/dashboard';
  let url;
  try {
    url = new URL(next, location.origin);
  } catch (unparsable) {
    return '/dashboard';
  }
  const local = url.origin === location.origin
    && url.pathname.startsWith('/') && !url.pathname.startsWith('//');
  return local ? url.href : '/dashboard';
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
    passkeyBox.hidden = true;
    codeForm.hidden = false;
    $('#twofa-code').focus();
    return;
  }
  location.assign(destination());
});

onSubmit(codeForm, async (data) => {
  const typed = String(data.get('code')).trim();
  // "123 456" is a TOTP code typed in two groups; recovery codes keep their
  // spelling (the server ignores spaces, hyphens and case in them).
  const code = /^[\d\s]+$/.test(typed) ? typed.replace(/\s+/g, '') : typed;
  await request('POST', '/api/login/2fa', { two_factor_token: twoFactorToken, code }, { session: false });
  location.assign(destination());
});

$('#twofa-cancel').addEventListener('click', () => {
  twoFactorToken = null;
  codeForm.reset();
  clearError(codeForm);
  codeForm.hidden = true;
  loginForm.hidden = false;
  passkeyBox.hidden = false;
  $('#login-password').value = '';
  $('#login-username').focus();
});

// ── passkey ─────────────────────────────────────────────────────────────────

function passkeyFailed(message) {
  passkeyMessage.textContent = message;
  passkeyMessage.hidden = false;
}

async function passkeyLogin() {
  passkeyMessage.hidden = true;
  const { data: started } = await request('POST', '/api/passkeys/login/options', undefined, { session: false });
  let credential;
  try {
    credential = await navigator.credentials.get(requestOptions(started.options));
  } catch (err) {
    passkeyFailed(browserError(err, 'Try again, or log in with your password.'));
    return;
  }
  await request('POST', '/api/passkeys/login/finish', {
    challenge_token: started.challenge_token,
    credential: assertionJSON(credential),
  }, { session: false });
  location.assign(destination());
}

const problem = passkeyProblem();
if (problem) {
  passkeyButton.disabled = true;
  passkeyMessage.classList.replace('form-error', 'hint');
  passkeyMessage.textContent = problem;
  passkeyMessage.hidden = false;
} else {
  passkeyButton.addEventListener('click', async () => {
    passkeyButton.disabled = true;
    passkeyButton.setAttribute('aria-busy', 'true');
    try {
      await passkeyLogin();
    } catch (err) {
      passkeyFailed(err.message);
    } finally {
      passkeyButton.disabled = false;
      passkeyButton.removeAttribute('aria-busy');
    }
  });
}

if (new URLSearchParams(location.search).has('next')) resumeSession();
