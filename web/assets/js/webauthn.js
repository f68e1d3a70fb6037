// WebAuthn in the browser, by hand: the server speaks JSON with base64url for
// every binary field; navigator.credentials wants ArrayBuffers and answers with
// them. These helpers convert both ways (PublicKeyCredential.parse*FromJSON and
// toJSON are not in every browser yet).

/** Why passkeys cannot be used on this page, or null when they can. */
export function passkeyProblem() {
  if (!window.isSecureContext) {
    return 'Passkeys need a secure connection. Open MiauInv over https:// (or on http://localhost) to use them.';
  }
  if (!window.PublicKeyCredential || !navigator.credentials || !navigator.credentials.create) {
    return 'This browser does not support passkeys (WebAuthn). Use a current browser to add or use one.';
  }
  return null;
}

export function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A copy of `value` without null fields (the browser rejects some nulls). */
function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) out[key] = withoutNulls(v);
    return out;
  }
  return value;
}

const credentialList = (list) => (list || []).map((c) => ({ ...c, id: fromBase64url(c.id) }));

/** `options.publicKey` of register/options → what navigator.credentials.create takes. */
export function creationOptions(options) {
  const pk = withoutNulls(options.publicKey);
  pk.challenge = fromBase64url(pk.challenge);
  pk.user = { ...pk.user, id: fromBase64url(pk.user.id) };
  if (pk.excludeCredentials) pk.excludeCredentials = credentialList(pk.excludeCredentials);
  return { publicKey: pk };
}

/** `options.publicKey` of login/options → what navigator.credentials.get takes. */
export function requestOptions(options) {
  const pk = withoutNulls(options.publicKey);
  pk.challenge = fromBase64url(pk.challenge);
  if (pk.allowCredentials) pk.allowCredentials = credentialList(pk.allowCredentials);
  return { publicKey: pk };
}

/** The fields every credential JSON shares, with its own `response` fields. */
function credentialJSON(credential, response) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    response: { clientDataJSON: toBase64url(credential.response.clientDataJSON), ...response },
  };
}

/** A new credential as the JSON register/finish reads. */
export function registrationJSON(credential) {
  const response = credential.response;
  return credentialJSON(credential, {
    attestationObject: toBase64url(response.attestationObject),
    transports: response.getTransports ? response.getTransports() : undefined,
  });
}

/** An assertion as the JSON login/finish reads. */
export function assertionJSON(credential) {
  const response = credential.response;
  return credentialJSON(credential, {
    authenticatorData: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
    userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
  });
}

/** Turns what navigator.credentials throws into a sentence for the page. */
export function browserError(err, action) {
  switch (err && err.name) {
    case 'NotAllowedError':
      return `The passkey request was cancelled or timed out. ${action}`;
    case 'InvalidStateError':
      return 'This device already holds a passkey for this account.';
    case 'SecurityError':
      return 'The browser refused the passkey for this address. The server\'s rp_origin must be the address in the address bar.';
    case 'NotSupportedError':
      return 'This device has no passkey method the server accepts.';
    case 'AbortError':
      return `The passkey request was interrupted. ${action}`;
    default:
      return (err && err.message) || 'The passkey request failed.';
  }
}
