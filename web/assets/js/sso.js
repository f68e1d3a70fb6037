// The same-site step of a sign-in through an identity provider. The provider
// sends the browser here from its own site, so a cookie set by a redirect
// now would not come back on the next page (the session cookies are
// SameSite=Strict). This page, on our origin, finishes the sign-in with its
// own POST: the answer sets the session cookies, and the next page is opened
// from here, same-site. An account with two-factor authentication gives its
// code here first.
import { request } from './api.js';
import { $, onSubmit } from './ui.js';
import { secondFactorCode } from './sign_in.js';

const box = $('#sso');
const codeForm = $('#twofa-form');
let twoFactorToken = null;
let next = '/dashboard';

// The code and state have done their work once read: keep them out of the
// history and of anything this page links to.
history.replaceState(null, '', location.pathname);

function failed(message) {
  $('#sso-progress').hidden = true;
  codeForm.hidden = true;
  $('#sso-title').textContent = 'The sign-in did not work';
  $('#sso-failure').textContent = message;
  $('#sso-failed').hidden = false;
}

async function finish() {
  const { state, code, error, errorDescription } = box.dataset;
  const body = { state };
  if (code) body.code = code;
  if (error) {
    body.error = error;
    if (errorDescription) body.error_description = errorDescription;
  }
  let answer;
  try {
    ({ data: answer } = await request('POST', '/api/sso/finish', { body, session: false }));
  } catch (err) {
    failed(err.message);
    return;
  }
  next = answer.next || '/dashboard';
  if (answer.requires_2fa) {
    twoFactorToken = answer.two_factor_token;
    $('#sso-progress').hidden = true;
    $('#sso-title').textContent = 'One more step';
    codeForm.hidden = false;
    $('#twofa-code').focus();
    return;
  }
  location.replace(next);
}

onSubmit(codeForm, async (data) => {
  const code = secondFactorCode(data.get('code'));
  await request('POST', '/api/login/2fa', { body: { two_factor_token: twoFactorToken, code }, session: false });
  location.replace(next);
});

$('#twofa-cancel').addEventListener('click', () => location.assign('/login'));

finish();
