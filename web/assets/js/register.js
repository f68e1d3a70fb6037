// The registration page, also reached through an invitation link (the form
// then carries the invitation and registers through it): create the account,
// then log straight in.
import { request, ApiError } from './api.js';
import { $, onSubmit } from './ui.js';

const form = $('#register-form');

onSubmit(form, async (data) => {
  const username = String(data.get('username')).trim();
  const password = String(data.get('password'));
  if (password !== String(data.get('confirm'))) {
    throw new ApiError(400, { error: 'The two passwords are not the same.', field: 'confirm' });
  }
  const invite = form.dataset.invite;
  if (invite) {
    await request('POST', '/api/invites/accept', { body: { token: invite, username, password }, session: false });
  } else {
    await request('POST', '/api/register', { body: { username, password }, session: false });
  }
  await request('POST', '/api/login', { body: { username, password }, session: false });
  location.assign('/dashboard');
});
