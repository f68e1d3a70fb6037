// MiauInv's service worker, served at /sw.js so it covers the whole site.
// It keeps the shell (styles, scripts, icons, the offline page) so the app
// opens at once from the home screen, and never stores API answers or pages
// with data: those always come from the server. When the server cannot be
// reached, a page request is answered with the offline page instead of the
// browser's error.
const CACHE = 'miauinv-shell-v1';
const OFFLINE = '/assets/offline.html';
const SHELL = [OFFLINE, '/assets/css/app.min.css', '/assets/img/logo.svg', '/assets/img/icon-192.png'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

/** Only static assets are kept; their fingerprinted URLs never change content. */
function cacheable(url) {
  return url.origin === self.location.origin && url.pathname.startsWith('/assets/');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (!cacheable(url)) return;
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const fresh = () => fetch(request).then((response) => {
      if (response.ok) cache.put(request, response.clone());
      return response;
    });
    // A fingerprinted asset (`?v=`) from the cache is exactly right. Anything
    // else (a module's own `import './api.js'`) comes from the network while
    // there is one: answered from the cache, a new release's page script
    // could meet last release's module once. The cache answers offline.
    if (url.searchParams.has('v')) return (await cache.match(request)) || fresh();
    return fresh().catch(async () => (await cache.match(request)) || Response.error());
  }));
});
