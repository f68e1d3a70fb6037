// The login page: password step, then (for accounts with 2FA) the code step;
// or a passkey, which needs no username and is a complete login by itself;
// or an identity provider's button, which sends the browser there (the
// sign-in ends on /auth/oidc/callback, js/sso.js). The password form is
// absent when the server turned password sign-in off.
import { request, renewSession } from './api.js';
import { $, el, onSubmit, clearError, showError } from './ui.js';
import { secondFactorCode } from './sign_in.js';
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
// Renew it quietly (through api.js, the one place that renews sessions) and
// go back to where the person was heading, without showing the form.
async function resumeSession() {
  if (await renewSession()) location.replace(destination());
}

if (loginForm) onSubmit(loginForm, async (data) => {
  const { data: answer } = await request('POST', '/api/login', {
    body: { username: String(data.get('username')).trim(), password: String(data.get('password')) },
    session: false,
  });
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
  const code = secondFactorCode(data.get('code'));
  await request('POST', '/api/login/2fa', { body: { two_factor_token: twoFactorToken, code }, session: false });
  location.assign(destination());
});

$('#twofa-cancel').addEventListener('click', () => {
  twoFactorToken = null;
  codeForm.reset();
  clearError(codeForm);
  codeForm.hidden = true;
  if (loginForm) {
    loginForm.hidden = false;
    $('#login-password').value = '';
    $('#login-username').focus();
  }
  passkeyBox.hidden = false;
});

// ── identity providers ──────────────────────────────────────────────────────

for (const button of document.querySelectorAll('[data-sso-provider]')) {
  button.addEventListener('click', async () => {
    const message = $('#sso-login-error');
    showError(message, null);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const target = new URL(destination(), location.origin);
      const next = target.pathname + target.search;
      const { data } = await request('POST', '/api/sso/start', {
        body: { provider: button.dataset.ssoProvider, next },
        session: false,
      });
      location.assign(data.location);
    } catch (err) {
      showError(message, err.message);
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
}

// ── passkey ─────────────────────────────────────────────────────────────────

function passkeyFailed(message) {
  showError(passkeyMessage, message);
}

async function passkeyLogin() {
  showError(passkeyMessage, null);
  const { data: started } = await request('POST', '/api/passkeys/login/options', { session: false });
  let credential;
  try {
    credential = await navigator.credentials.get(requestOptions(started.options));
  } catch (err) {
    passkeyFailed(browserError(err, 'Try again, or log in with your password.'));
    return;
  }
  await request('POST', '/api/passkeys/login/finish', {
    body: { challenge_token: started.challenge_token, credential: assertionJSON(credential) },
    session: false,
  });
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

// Just logged out of a session made through an identity provider (shell.js).
const providerLogout = sessionStorage.getItem('providerLogout');
if (providerLogout) {
  sessionStorage.removeItem('providerLogout');
  try {
    const { name, url } = JSON.parse(providerLogout);
    if (/^https?:\/\//.test(url)) {
      $('.auth-card h1').after(el('p', { class: 'notice', id: 'provider-logout', role: 'status' },
        'You are logged out of MiauInv. ', el('a', { href: url }, `Log out of ${name} too`), '.'));
    }
  } catch (unreadable) {
    // Nothing to offer.
  }
}

if (new URLSearchParams(location.search).has('next')) resumeSession();
