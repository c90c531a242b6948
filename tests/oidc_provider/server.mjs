// A certified, independent OpenID Provider (the npm package `oidc-provider`) for the bank's OIDC client tests.
//
// Run by tests/oidc_provider/process.py as `node tests/oidc_provider/server.mjs`; configured by environment:
//   OIDC_HOST, OIDC_PORT        where to listen (default 127.0.0.30 and 0, a free port)
//   OIDC_ISSUER                 the issuer (default: the URL it listens on); a test proxy in front sets its own URL
//   OIDC_CLIENT_SECRET          the secret of the bank's client `azukari`
//   OIDC_REDIRECT_URIS          the bank's callback URL(s), space-separated
//   OIDC_OTHER_CLIENT_SECRET    the secret of `other-client`, a second relying party (token-substitution attacks)
//   OIDC_SIGNING_KEY            optional: the private RSA JWK (JSON) to sign with; default a fresh key per run
// The first stdout line is `oidc-provider: <listening URL>`; everything else (its own warnings) goes to stderr.
//
// The people: the development login pages (features.devInteractions) accept any login and any password. The
// login becomes the subject; the email is the login without a trailing `-alt`, so `alice` and `alice-alt` are
// two subjects with the same email address. Everyone lives at 千葉県柏市柏の葉二丁目3番地1 (standard OIDC
// `address` members only, no extension `town`/`block`).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const host = process.env.OIDC_HOST || '127.0.0.30';
const port = Number(process.env.OIDC_PORT || 0);
const clientSecret = process.env.OIDC_CLIENT_SECRET;
const redirectUris = (process.env.OIDC_REDIRECT_URIS || '').split(/\s+/).filter(Boolean);
if (!clientSecret || redirectUris.length === 0) {
  console.error('OIDC_CLIENT_SECRET and OIDC_REDIRECT_URIS are required');
  process.exit(2);
}

// The RS256 signing key (the bank reads its public half from the JWKS endpoint). Tests give two providers the
// same key so that an ID token from the other issuer passes the signature check and meets the `iss` check.
const privateJwk = process.env.OIDC_SIGNING_KEY
  ? JSON.parse(process.env.OIDC_SIGNING_KEY)
  : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const signingKey = { kid: randomBytes(8).toString('hex'), ...privateJwk, use: 'sig', alg: 'RS256' };

function account(login) {
  const local = login.replace(/-alt$/, '');
  return {
    accountId: login,
    async claims() {
      // oidc-provider hands out only what the granted scopes (see `claims` below) allow.
      return {
        sub: login,
        name: `柏の葉 ${local}`,
        email: `${local}@example.jp`,
        email_verified: true,
        address: {
          postal_code: '277-0871',
          region: '千葉県',
          locality: '柏市',
          street_address: '柏の葉二丁目3番地1',
          country: 'JP',
        },
      };
    },
  };
}

const configuration = {
  clients: [
    {
      client_id: 'azukari',
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'other-client',
      client_secret: process.env.OIDC_OTHER_CLIENT_SECRET || randomBytes(16).toString('hex'),
      redirect_uris: ['http://localhost/other-client/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Scope → claims; the scopes the bank asks for are openid profile email address.
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
    address: ['address'],
  },
  // conformIdTokenClaims stays at its default (true), as OIDC Core 5.4 says: with an access token issued (code flow),
  // the profile/email/address claims come from the userinfo endpoint, and the ID token carries only sub & co.
  findAccount: async (ctx, id) => account(id),
  // PKCE for every client, S256 only (`plain` is refused).
  pkce: { methods: ['S256'], required: () => true },
  // A refresh token for the bank's client even without offline_access, as Smart Life Pass does.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true }, // built-in login and consent pages (tests only)
    revocation: { enabled: true }, // RFC 7009, used when the bank unlinks
    userinfo: { enabled: true },
  },
  // RFC 9207 `iss` in authorization responses needs no switch: oidc-provider 8 always sends it
  // (authorization_response_iss_parameter_supported: true in its discovery document).
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
};

const server = createServer();
server.listen(port, host, () => {
  const url = `http://${host}:${server.address().port}`;
  const provider = new Provider(process.env.OIDC_ISSUER || url, configuration);
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(`oidc-provider: ${url}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
