// A strict OpenID provider for the sign-in tests: the `oidc-provider` package
// from npm (a certified implementation), which checks what oidc-provider-mock
// does not: PKCE is required and the code verifier must match, the nonce is
// echoed in the ID token, and RP-initiated logout accepts only the
// registered post-logout address. Its development sign-in pages take any
// account id; each account's claims follow from its id.
//
//   node oidc-provider.mjs PORT REDIRECT_URI POST_LOGOUT_REDIRECT_URI
import Provider from 'oidc-provider';

const [port, redirect, postLogout] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'miauinv-test',
    client_secret: 'test-client-secret',
    redirect_uris: [redirect],
    post_logout_redirect_uris: [postLogout],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username'],
  },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, preferred_username: id, email: `${id}@example.com`, email_verified: true }),
  }),
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['miauinv-test-cookie-key'] },
});
// Plain http on loopback: the provider is told its requests are not proxied.
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1');
