// Behaviour every page shares: logging out from the top bar and closing
// dialogs with their cancel buttons.
import { api } from './api.js';

const logout = document.getElementById('logout');
if (logout) {
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    try {
      await api.post('/api/logout');
    } finally {
      location.assign('/login');
    }
  });
}

document.addEventListener('click', (event) => {
  const close = event.target.closest('[data-close]');
  if (close) close.closest('dialog')?.close();
});
