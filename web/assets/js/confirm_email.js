// The page of a notification email's confirmation link: the link itself
// confirms nothing (mail scanners open links); the button does.
import { request } from './api.js';
import { $, onSubmit } from './ui.js';

const form = $('#confirm-email-form');

onSubmit(form, async () => {
  await request('POST', '/api/account/notification-email/confirm', { body: { token: form.dataset.token }, session: false });
  const ok = form.querySelector('[data-ok]');
  ok.textContent = 'Confirmed: security notices now go to this address.';
  ok.hidden = false;
  form.querySelector('button[type=submit]').remove();
});
