// Behaviour every page shares: logging out from the top bar, closing dialogs
// with their cancel buttons, and quick-find (the top bar's search over items,
// locations and projects at once; `/` focuses it).
import { api } from './api.js';
import { combobox } from './picker.js';

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

/** Where a quick-find result lives. */
const PAGES = {
  item: (id) => `/inventory?item=${id}`,
  location: (id) => `/locations?id=${id}`,
  project: (id) => `/projects?id=${id}`,
};

const quickfind = document.getElementById('quickfind');
if (quickfind) {
  const input = quickfind.querySelector('[role=combobox]');
  combobox(input, quickfind.querySelector('[role=listbox]'), {
    minChars: 1,
    search: (q) => api.get(`/api/search?${new URLSearchParams({ q, limit: '8' })}`),
    onChoose: (found) => location.assign(PAGES[found.type](found.id)),
  });
  quickfind.addEventListener('submit', (event) => event.preventDefault());

  // `/` anywhere except where it is being typed jumps to quick-find.
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (target.isContentEditable || target.closest?.('input, textarea, select') || document.querySelector('dialog[open]')) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
}
