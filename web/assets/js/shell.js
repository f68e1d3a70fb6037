// Behaviour every page shares: logging out from the top bar, closing dialogs
// with their cancel buttons, quick-find (the top bar's search over items,
// locations and projects at once; `/` focuses it), the Scan button and
// keyboard-wedge scanners (the scanner module loads only when needed).
import { api } from './api.js';
import { combobox } from './picker.js';

const logout = document.getElementById('logout');
if (logout) {
  logout.addEventListener('click', async () => {
    logout.disabled = true;
    try {
      const answer = await api.post('/api/logout');
      // A session made through an identity provider: the login page offers
      // the provider's own logout (MiauInv's ended; the provider's did not).
      if (answer?.provider_logout) sessionStorage.setItem('providerLogout', JSON.stringify(answer.provider_logout));
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

// ── scanning ───────────────────────────────────────────────────────────────

const scanner = () => import('./scanner.js');

document.addEventListener('click', (event) => {
  if (!event.target.closest('[data-scan]')) return;
  scanner().then((m) => m.openScanner()).catch((err) => console.error(err));
});

/**
 * USB and Bluetooth scanners type the code as a keyboard and press Enter,
 * far faster than a person: a burst of at least four characters, each within
 * WEDGE_GAP_MS of the last, ending in Enter outside any field, is a scan.
 */
const WEDGE_GAP_MS = 50;
let burst = { text: '', last: 0 };
if (quickfind) {
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target.isContentEditable || target.closest?.('input, textarea, select') || event.ctrlKey || event.metaKey || event.altKey) {
      burst = { text: '', last: 0 };
      return;
    }
    const now = performance.now();
    if (now - burst.last > WEDGE_GAP_MS) burst.text = '';
    burst.last = now;
    if (event.key === 'Enter') {
      const code = burst.text;
      burst = { text: '', last: 0 };
      if (code.length >= 4) {
        event.preventDefault();
        // A page that takes scans itself (a stocktake) claims the code.
        const claimed = !document.dispatchEvent(new CustomEvent('miauinv:scan', { detail: code, cancelable: true }));
        if (!claimed) scanner().then((m) => m.handleCode(code)).catch((err) => console.error(err));
      }
    } else if (event.key.length === 1) {
      // A `/` inside a burst (a label's URL) is part of the code, not the
      // quick-find shortcut, which skips keys already handled.
      if (burst.text && event.key === '/') event.preventDefault();
      burst.text += event.key;
    }
  }, true);
}

// The app shell works offline and installs to a home screen (sw.js keeps
// assets only, never data).
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js').catch(() => {});
}
// The installed app's "Scan" shortcut.
if (quickfind && location.hash === '#scan') {
  scanner().then((m) => m.openScanner()).catch((err) => console.error(err));
}
