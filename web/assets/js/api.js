// The one API client of the MiauInv pages: JSON in and out, or a file (or
// pasted text) sent raw with its own type, cookies sent (same origin only).
// Every page module goes through it, and only it renews sessions: a 401
// because the access token expired triggers one POST /api/refresh (parallel
// 401s share it) and a single retry.
//
// When the session cannot be renewed (the refresh token expired or was
// revoked), the rule is that pages opt in:
// - A page that holds work the person would lose by leaving (a pasted CSV, a
//   chosen file, typed counts) calls `signInHere()` once. A request that finds
//   the session gone then opens a sign-in dialog on the page (sign_in.js) and,
//   once signed in, is sent again: nothing is typed or chosen twice. Cancelling
//   the dialog fails the request with a 401; the work stays where it was.
// - Every other page sends the person to /login (`goToLogin`), which brings
//   them back to the page afterwards.

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

/** One refresh at a time: parallel 401s share the same attempt. Resolves to
 *  whether the session was renewed. */
export function renewSession() {
  if (!refreshing) {
    refreshing = fetch('/api/refresh', { method: 'POST', credentials: 'same-origin', referrerPolicy: 'same-origin' })
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

let inPlace = false;

/** This page keeps unsaved work: an ended session is answered with the
 *  sign-in dialog on the page instead of a trip to /login. */
export function signInHere() {
  inPlace = true;
}

let signingIn = null;

/** One dialog at a time: the requests that found the session gone while it
 *  is open wait for the same sign-in, then each is sent again. */
function signInOnce() {
  if (!signingIn) {
    const login = (path, body) => request('POST', path, { body, session: false }).then((r) => r.data);
    // Loaded when first needed: most pages never show it.
    signingIn = import('./sign_in.js')
      .then((dialog) => dialog.signIn(login))
      .catch(() => false)
      .finally(() => { setTimeout(() => { signingIn = null; }, 0); });
  }
  return signingIn;
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

/** The headers and body of a request: a Blob (a File), or any body given
 *  with a `type`, goes as it is with that Content-Type; anything else as JSON. */
function encode(body, type) {
  const headers = { Accept: 'application/json' };
  if (body === undefined) return { headers, payload: undefined };
  if (type !== undefined || body instanceof Blob) {
    headers['Content-Type'] = type || body.type || 'application/octet-stream';
    return { headers, payload: body };
  }
  headers['Content-Type'] = 'application/json';
  return { headers, payload: JSON.stringify(body) };
}

/**
 * An upload with progress (fetch reports none): `onProgress(loaded, total)`
 * as the body goes out. Resolves to what `parse` and `request` read of a
 * fetch Response (status, ok, headers.get, text).
 */
function upload(method, path, headers, payload, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => resolve({
      status: xhr.status,
      ok: xhr.status >= 200 && xhr.status < 300,
      headers: { get: (name) => xhr.getResponseHeader(name) },
      text: async () => xhr.responseText,
    }));
    xhr.addEventListener('error', () => reject(new ApiError(0, {
      error: 'The upload did not reach the server. Check your connection and try again.',
    })));
    xhr.send(payload === undefined ? null : payload);
  });
}

async function send(method, path, body, type, onProgress) {
  const { headers, payload } = encode(body, type);
  if (onProgress) return upload(method, path, headers, payload, onProgress);
  // A one-time link's page has the policy `no-referrer`, under which a
  // browser would send this request with `Origin: null` and the server would
  // refuse it as cross-site: our own requests keep naming our origin.
  const init = { method, credentials: 'same-origin', referrerPolicy: 'same-origin', headers };
  if (payload !== undefined) init.body = payload;
  if (method !== 'GET') return fetch(path, init);
  try {
    return await fetch(path, { ...init, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    return fetch(path, { ...init, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  }
}

/** One attempt: the answer and its parsed body, or ApiError(0) unreached. */
async function attempt(method, path, options) {
  let res;
  try {
    res = await send(method, path, options.body, options.type, options.onProgress);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, { error: 'The server cannot be reached. Check your connection and try again.' });
  }
  return { res, data: await parse(res) };
}

const sessionGone = ({ res, data }) => res.status === 401 && (!data || SESSION_CODES.has(data.code));

/**
 * Sends a request and resolves to { data, total, status }, or throws ApiError.
 * Options: `body` (JSON, or raw: see `encode`), `type` (its Content-Type),
 * `onProgress(loaded, total)` (sends with upload progress), and
 * `session: false` for the login and registration calls, whose 401s are
 * answers, not ended sessions.
 */
export async function request(method, path, options = {}) {
  let answer = await attempt(method, path, options);
  if (options.session !== false && sessionGone(answer)) {
    // Sent again even when this refresh failed: another tab may have renewed
    // the session a moment ago (the server then answers refresh_superseded),
    // and the cookies this request sends are then the new ones.
    await renewSession();
    answer = await attempt(method, path, options);
    while (sessionGone(answer)) {
      if (!inPlace) goToLogin();
      if (!inPlace || !(await signInOnce())) {
        throw new ApiError(401, { error: 'Your session has ended. Please log in again.', code: 'unauthenticated' });
      }
      answer = await attempt(method, path, options);
    }
  }
  const { res, data } = answer;
  if (!res.ok) throw new ApiError(res.status, data);
  const total = res.headers.get('X-Total-Count');
  return { data, total: total === null ? null : Number(total), status: res.status };
}

export const api = {
  get: (path) => request('GET', path).then((r) => r.data),
  list: (path) => request('GET', path),
  post: (path, body) => request('POST', path, { body }).then((r) => r.data),
  put: (path, body) => request('PUT', path, { body }).then((r) => r.data),
  del: (path) => request('DELETE', path).then((r) => r.data),
};
