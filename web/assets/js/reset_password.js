// The password-reset page (a one-time link from an admin): set the new
// password, then log in with it.
import { request, ApiError } from './api.js';
import { $, onSubmit } from './ui.js';

const form = $('#reset-form');

onSubmit(form, async (data) => {
  const password = String(data.get('password'));
  if (password !== String(data.get('confirm'))) {
    throw new ApiError(400, { error: 'The two passwords are not the same.', field: 'confirm' });
  }
  await request('POST', '/api/password-reset', { body: { token: form.dataset.token, password }, session: false });
  await request('POST', '/api/login', { body: { username: form.dataset.username, password }, session: false });
  location.assign('/dashboard');
});
