// Settings: two-factor authentication. Set up (QR code, manual key, confirm
// with a code), the recovery codes shown once after enabling or regenerating,
// and disabling (which ends every session, so the person logs in again).
import { api } from './api.js';
import { $, $$, el, onSubmit, clearError, toast, copyText, downloadText } from './ui.js';
import { reloadTokens, tokensEnded } from './settings_tokens.js';

const card = $('#two-factor');
let setupToken = null;
let shownCodes = [];

/** "JBSWY3DPEHPK3PXP…" in groups of four, easier to read and type. */
const grouped = (secret) => secret.replace(/(.{4})(?=.)/g, '$1 ');

function showCodes(codes) {
  shownCodes = codes;
  $('#recovery-codes').replaceChildren(...codes.map((c) => el('li', {}, el('code', {}, c))));
  $$('#twofa-on, #twofa-off, #twofa-setup', card).forEach((node) => { node.hidden = true; });
  $('#twofa-codes').hidden = false;
  $('#twofa-codes').scrollIntoView({ block: 'start', behavior: 'smooth' });
  $('#codes-download').focus({ preventScroll: true });
}

function codesFile() {
  const user = $('[data-current-username]')?.textContent.trim() || '';
  return [
    `MiauInv recovery codes${user ? ` for ${user}` : ''} (${location.host})`,
    `Generated ${new Date().toLocaleString()}`,
    '',
    'Each code logs you in once when you cannot use your authenticator app.',
    'Keep them somewhere safe, not on the device that holds your authenticator.',
    '',
    ...shownCodes,
    '',
  ].join('\n');
}

$('#codes-download').addEventListener('click', () => {
  downloadText('miauinv-recovery-codes.txt', codesFile());
});
$('#codes-copy').addEventListener('click', async () => {
  toast(await copyText(shownCodes.join('\n'))
    ? 'The recovery codes were copied.'
    : 'Copying is blocked here; select the codes and copy them by hand.');
});
// The page is drawn again from the server with the new state.
$('#codes-done').addEventListener('click', () => location.reload());

// ── off: set up and enable ──────────────────────────────────────────────────

const startForm = $('#twofa-start-form');
if (startForm) {
  const setup = $('#twofa-setup');
  const enableForm = $('#twofa-enable-form');

  onSubmit(startForm, async () => {
    const answer = await api.post('/api/2fa/setup');
    setupToken = answer.setup_token;
    $('#twofa-qr').src = answer.qr_code;
    $('#twofa-secret').textContent = grouped(answer.secret);
    $('#twofa-secret').dataset.secret = answer.secret;
    $('#twofa-off').hidden = true;
    setup.hidden = false;
    enableForm.reset();
    clearError(enableForm);
    $('#twofa-enable-code').focus();
  });

  $('#twofa-copy-secret').addEventListener('click', async () => {
    toast(await copyText($('#twofa-secret').dataset.secret || '')
      ? 'The key was copied.'
      : 'Copying is blocked here; type the key by hand.');
  });

  $('#twofa-setup-cancel').addEventListener('click', () => {
    setupToken = null;
    setup.hidden = true;
    $('#twofa-off').hidden = false;
    $('#twofa-qr').removeAttribute('src');
    $('#twofa-secret').textContent = '';
  });

  onSubmit(enableForm, async (data) => {
    const answer = await api.post('/api/2fa/enable', {
      setup_token: setupToken,
      code: String(data.get('code')).replace(/\s+/g, ''),
      revoke_tokens: data.get('revoke_tokens') === 'on',
    });
    setupToken = null;
    $('#twofa-qr').removeAttribute('src');
    $('#twofa-secret').textContent = '';
    $('#two-factor-title').after(el('p', { class: 'form-ok', role: 'status' },
      `Two-factor authentication is on. Every other device was logged out${tokensEnded(answer.tokens_revoked)}.`));
    showCodes(answer.recovery_codes);
    await reloadTokens();
  });
}

// ── on: regenerate recovery codes, disable ──────────────────────────────────

for (const button of $$('[data-show]', card)) {
  button.addEventListener('click', () => {
    const target = $(button.dataset.show);
    $$('.subform', card).forEach((form) => { if (form !== target) form.hidden = true; });
    target.hidden = false;
    target.querySelector('input[type=password]').focus();
  });
}
for (const button of $$('[data-hide]', card)) {
  button.addEventListener('click', () => {
    const form = button.closest('form');
    form.reset();
    clearError(form);
    form.hidden = true;
  });
}

const passwordAndCode = (data) => ({
  password: String(data.get('password')),
  code: String(data.get('code')).replace(/\s+/g, ''),
});

const regenerateForm = $('#twofa-regenerate-form');
if (regenerateForm) {
  onSubmit(regenerateForm, async (data) => {
    const answer = await api.post('/api/2fa/recovery-codes/regenerate', passwordAndCode(data));
    regenerateForm.reset();
    regenerateForm.hidden = true;
    showCodes(answer.recovery_codes);
  });
}

const disableForm = $('#twofa-disable-form');
if (disableForm) {
  onSubmit(disableForm, async (data) => {
    await api.post('/api/2fa/disable', passwordAndCode(data));
    // Every session ended with it, this one too.
    location.assign('/login');
  });
}
