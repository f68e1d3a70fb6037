// The sign-in dialog api.js opens on a page with unsaved work when the session
// cannot be renewed: the password (and the code, for an account with 2FA) is
// given here, without leaving the page, and the request that found the
// session gone is then sent again. A passkey is left to the login page, opened
// in a new tab: its cookies are this tab's too, so "Continue" afterwards sends
// the request again with them. Built with DOM calls (text as textContent), no
// inline script or style: the CSP allows neither.
import { el, onSubmit, clearError } from './ui.js';

/**
 * A second-factor code as the server wants it: "123 456" is a TOTP code typed
 * in two groups; recovery codes keep their spelling (the server ignores
 * spaces, hyphens and case in them).
 */
export function secondFactorCode(typed) {
  const code = String(typed).trim();
  return /^[\d\s]+$/.test(code) ? code.replace(/\s+/g, '') : code;
}

function field(id, label, attrs) {
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    el('input', { id, ...attrs }));
}

const errorBox = () => el('p', { class: 'form-error', role: 'alert', 'data-error': true, hidden: true });

/** The sign-in under way: the caller's `login` and, after the password
 *  step of an account with 2FA, the token the code step needs. */
let current = null;
/** The dialog, made once per page and kept for the next time. */
let parts = null;

function build() {
  const cancel = () => el('button', { type: 'button', class: 'btn btn-ghost', 'data-sign-in-cancel': true }, 'Cancel');
  const password = el('form', { class: 'stack', id: 'sign-in-form', method: 'post', action: '/no-script', novalidate: true },
    el('p', { id: 'sign-in-text' },
      'Your session has ended. Sign in again to carry on: what you entered on this page stays, and what you were doing is sent once you are in.'),
    field('sign-in-username', 'Username', {
      name: 'username', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true,
    }),
    field('sign-in-password', 'Password', {
      name: 'password', type: 'password', autocomplete: 'current-password', required: true,
    }),
    errorBox(),
    el('div', { class: 'actions' }, cancel(), el('button', { type: 'submit', class: 'btn' }, 'Sign in')),
    el('p', { class: 'hint' },
      'With a passkey: ',
      el('a', { href: '/login', target: '_blank', rel: 'noopener' }, 'sign in on the login page'),
      ' (a new tab), then ',
      el('button', { type: 'button', class: 'btn btn-ghost btn-small', id: 'sign-in-continue' }, 'Continue'),
      '.'));
  const code = el('form', { class: 'stack', id: 'sign-in-code-form', method: 'post', action: '/no-script', novalidate: true, hidden: true },
    el('p', {}, 'This account uses two-factor authentication. Enter the 6-digit code from your authenticator app, or one of your recovery codes.'),
    field('sign-in-code', 'Authentication code or recovery code', {
      name: 'code', autocomplete: 'one-time-code', autocapitalize: 'none', spellcheck: 'false', required: true,
    }),
    errorBox(),
    el('div', { class: 'actions' }, cancel(), el('button', { type: 'submit', class: 'btn' }, 'Verify')));
  const dialog = el('dialog', { class: 'dialog', id: 'sign-in-dialog', 'aria-labelledby': 'sign-in-title', 'aria-describedby': 'sign-in-text' },
    el('div', { class: 'stack' }, el('h2', { id: 'sign-in-title' }, 'Sign in again'), password, code));

  const done = (ok) => { current.signedIn = ok; dialog.close(); };
  onSubmit(password, async (data) => {
    const answer = await current.login('/api/login', {
      username: String(data.get('username')).trim(),
      password: String(data.get('password')),
    });
    if (answer && answer.requires_2fa) {
      current.twoFactorToken = answer.two_factor_token;
      password.hidden = true;
      code.hidden = false;
      code.elements.code.focus();
      return;
    }
    done(true);
  });
  onSubmit(code, async (data) => {
    const body = { two_factor_token: current.twoFactorToken, code: secondFactorCode(data.get('code')) };
    await current.login('/api/login/2fa', body);
    done(true);
  });
  dialog.addEventListener('click', (event) => {
    if (event.target.closest('[data-sign-in-cancel]')) done(false);
    else if (event.target.closest('#sign-in-continue')) done(true);
  });
  // Escape closes the dialog too: that is a cancel.
  dialog.addEventListener('close', () => current.resolve(current.signedIn));
  document.body.append(dialog);
  return { dialog, password, code };
}

/**
 * Shows the dialog; resolves to true once signed in (or when the person says
 * they signed in on the login page), false when they cancel. `login(path,
 * body)` posts to the API without session handling and resolves to the
 * answer's JSON, or throws the ApiError that is shown in the form.
 */
export function signIn(login) {
  if (!parts) parts = build();
  const { dialog, password, code } = parts;
  password.reset();
  code.reset();
  clearError(password);
  clearError(code);
  password.hidden = false;
  code.hidden = true;
  // The page's own account, so the person types only the password.
  const username = password.elements.username;
  username.value = document.body.dataset.username || '';
  return new Promise((resolve) => {
    current = { login, resolve, signedIn: false, twoFactorToken: null };
    dialog.showModal();
    (username.value ? password.elements.password : username).focus();
  });
}
