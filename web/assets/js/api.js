// The one API client of the MiauInv pages: JSON in and out, cookies sent
// (same origin only). A 401 because the access token expired triggers one
// POST /api/refresh and a single retry; when the refresh fails too, the person
// is sent to /login and comes back here after logging in.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.code) || '';
    this.field = (body && body.field) || '';
    this.body = body || {};
  }
}

// Only this 401 means "your session is gone" (no, expired or bad access token).
// A wrong password, a wrong code or an expired setup token (`invalid_token`) is
// also a 401 but must be shown next to its form, not answered with a refresh.
const SESSION_CODES = new Set(['unauthenticated']);

let refreshing = null;

/** One refresh at a time: parallel 401s share the same attempt. */
function refreshSession() {
  if (!refreshing) {
    refreshing = fetch('/api/refresh', { method: 'POST', credentials: 'same-origin' })
      .then((res) => res.ok)
      .catch(() => false)
      .finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  }
  return refreshing;
}

export function goToLogin() {
  const here = location.pathname + location.search;
  location.assign(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`);
}

async function parse(res) {
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { error: text }; }
}

// A read that has not been answered after this long is sent again once: on a
// flaky LAN (or a stalled keep-alive connection) a second attempt on a fresh
// connection answers at once. Writes are never repeated automatically.
const READ_TIMEOUT_MS = 8000;

async function send(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET') return fetch(path, init);
  try {
    return await fetch(path, { ...init, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    return fetch(path, { ...init, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  }
}

/**
 * Sends a request and resolves to { data, total, status }, or throws ApiError.
 * `session: false` is for the login and registration calls, whose 401s are
 * answers, not expired sessions.
 */
export async function request(method, path, body, { session = true } = {}) {
  let res;
  try {
    res = await send(method, path, body);
  } catch {
    throw new ApiError(0, { error: 'The server cannot be reached. Check your connection and try again.' });
  }
  if (res.status === 401 && session) {
    const err = await parse(res);
    if (!err || SESSION_CODES.has(err.code)) {
      // Sent again even when this refresh failed: another tab may have renewed
      // the session a moment ago (the server then answers refresh_superseded),
      // and the cookies this request sends are then the new ones.
      await refreshSession();
      res = await send(method, path, body);
      if (res.status === 401) {
        goToLogin();
        throw new ApiError(401, { error: 'Your session has ended. Please log in again.', code: 'unauthenticated' });
      }
    } else {
      throw new ApiError(401, err);
    }
  }
  const data = await parse(res);
  if (!res.ok) throw new ApiError(res.status, data);
  const total = res.headers.get('X-Total-Count');
  return { data, total: total === null ? null : Number(total), status: res.status };
}

export const api = {
  get: (path) => request('GET', path).then((r) => r.data),
  list: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body).then((r) => r.data),
  put: (path, body) => request('PUT', path, body).then((r) => r.data),
  del: (path) => request('DELETE', path).then((r) => r.data),
};
