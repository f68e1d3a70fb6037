// The registration page: create the account, then log straight in.
import { request, ApiError } from './api.js';
import { $, onSubmit } from './ui.js';

onSubmit($('#register-form'), async (data) => {
  const username = String(data.get('username')).trim();
  const password = String(data.get('password'));
  if (password !== String(data.get('confirm'))) {
    throw new ApiError(400, { error: 'The two passwords are not the same.', field: 'confirm' });
  }
  await request('POST', '/api/register', { username, password }, { session: false });
  await request('POST', '/api/login', { username, password }, { session: false });
  location.assign('/dashboard');
});
