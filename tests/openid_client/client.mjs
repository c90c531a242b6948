// A recipient's system built on the certified npm package `openid-client` (v6), as an independent check of the
// bank's authorization server over real HTTP: RFC 8414 discovery, authorization code + PKCE S256 + state, the
// RFC 9207 `iss` check, private_key_jwt (ES256) at every endpoint, the resource API, a rotating refresh, RFC 7662
// introspection and RFC 7009 revocation.
//
// Run by tests/openid_client/process.py as `node tests/openid_client/client.mjs`; configured by environment:
//   BANK_ISSUER          the bank's issuer (its PUBLIC_URL), e.g. http://localhost:5000
//   CLIENT_ID            the registered client
//   CLIENT_PRIVATE_JWK   the client's private EC P-256 JWK (JSON, with a `kid`)
//   REDIRECT_URI         the registered redirect URI
//   SCOPE                the scopes to ask for, space-separated
// Protocol, one JSON object a line: stdout first `{"authorization_url": ...}`; then the resident's browser is
// driven elsewhere and the URL the bank redirected it to is written to stdin as one line; stdout ends with
// `{"summary": ...}`. Tokens are never printed. Any failure: the error on stderr and exit code 1.

import { createInterface } from 'node:readline';

import * as client from 'openid-client';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is required`);
  }
  return value;
}

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function firstLineOfStdin() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  throw new Error('stdin closed before the callback URL arrived');
}

async function importSigningKey(jwk) {
  // Only the private members the Web Crypto API needs; `kid` goes in the assertion's header instead.
  const { kty, crv, x, y, d, kid } = jwk;
  const key = await crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, { name: 'ECDSA', namedCurve: 'P-256' },
    false, ['sign']);
  return { key, kid };
}

// Every HTTP exchange the library makes, without bodies or headers (which hold assertions and tokens): the
// summary shows the bank's status codes, e.g. that revocation answered 200 exactly.
const exchanges = [];
async function recordingFetch(url, options) {
  const response = await fetch(url, options);
  exchanges.push({ method: options?.method ?? 'GET', path: new URL(url).pathname, status: response.status });
  return response;
}

// The resource API through openid-client: a `WWW-Authenticate` challenge (RFC 6750) is thrown by the library,
// and turned back into what the bank answered.
async function callMe(config, issuer, accessToken) {
  try {
    const response = await client.fetchProtectedResource(config, accessToken, new URL(`${issuer}/api/v1/me`), 'GET');
    const body = await response.json();
    return { status: response.status, body };
  } catch (error) {
    if (error instanceof client.WWWAuthenticateChallengeError) {
      const [challenge] = error.cause;
      return { status: error.response.status, challenge: { scheme: challenge.scheme, error: challenge.parameters.error } };
    }
    throw error;
  }
}

async function expectOAuthError(promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) {
      return { status: error.status, error: error.error };
    }
    throw error;
  }
  throw new Error('the bank accepted a request it should have refused');
}

function readMe(result) {
  if (result.status !== 200) {
    throw new Error(`/api/v1/me answered ${result.status}: ${JSON.stringify(result.challenge)}`);
  }
  const { recipient, purpose, items, withheld } = result.body;
  return { status: result.status, recipient, purpose, items: Object.keys(items).sort(), withheld };
}

async function main() {
  const issuer = required('BANK_ISSUER');
  const clientId = required('CLIENT_ID');
  const redirectUri = required('REDIRECT_URI');
  const scope = required('SCOPE');
  const signingKey = await importSigningKey(JSON.parse(required('CLIENT_PRIVATE_JWK')));

  // RFC 8414 (`oauth2`), not OpenID Connect discovery; plain http because the live bank runs on loopback.
  const config = await client.discovery(new URL(issuer), clientId, { redirect_uris: [redirectUri] },
    client.PrivateKeyJwt(signingKey), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
      [client.customFetch]: recordingFetch,
    });
  const server = config.serverMetadata();

  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  });
  emit({ authorization_url: authorizationUrl.href });

  const callbackUrl = new URL(await firstLineOfStdin());
  // Checks state, and `iss` against the discovered issuer (required, since the metadata says
  // authorization_response_iss_parameter_supported); then redeems the code with the PKCE verifier.
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
  });
  const firstMe = readMe(await callMe(config, issuer, tokens.access_token));
  const activeIntrospection = await client.tokenIntrospection(config, tokens.access_token);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const secondMe = readMe(await callMe(config, issuer, refreshed.access_token));

  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
  const revocation = exchanges.at(-1);
  const afterRevocation = {
    me_with_refreshed_access_token: await callMe(config, issuer, refreshed.access_token),
    me_with_first_access_token: await callMe(config, issuer, tokens.access_token),
    refresh: await expectOAuthError(client.refreshTokenGrant(config, refreshed.refresh_token)),
    introspection: await client.tokenIntrospection(config, refreshed.access_token),
  };

  emit({
    summary: {
      library: 'openid-client',
      discovery: {
        issuer: server.issuer,
        authorization_response_iss_parameter_supported: server.authorization_response_iss_parameter_supported,
        code_challenge_methods_supported: server.code_challenge_methods_supported,
        token_endpoint_auth_methods_supported: server.token_endpoint_auth_methods_supported,
      },
      authorization_response: {
        iss: callbackUrl.searchParams.get('iss'),
        state_matched: callbackUrl.searchParams.get('state') === state,
      },
      token: {
        token_type: tokens.token_type,
        scope: tokens.scope,
        expires_in: tokens.expires_in,
        has_refresh_token: Boolean(tokens.refresh_token),
      },
      me: firstMe,
      introspection: {
        active: activeIntrospection.active,
        scope: activeIntrospection.scope,
        client_id: activeIntrospection.client_id,
      },
      refresh: {
        token_type: refreshed.token_type,
        scope: refreshed.scope,
        new_refresh_token: Boolean(refreshed.refresh_token) && refreshed.refresh_token !== tokens.refresh_token,
        new_access_token: refreshed.access_token !== tokens.access_token,
      },
      me_after_refresh: secondMe,
      revocation: { method: revocation.method, path: revocation.path, status: revocation.status },
      after_revocation: {
        me_with_refreshed_access_token: afterRevocation.me_with_refreshed_access_token,
        me_with_first_access_token: afterRevocation.me_with_first_access_token,
        refresh: afterRevocation.refresh,
        introspection_active: afterRevocation.introspection.active,
      },
      exchanges,
    },
  });
}

// The library's errors wrap the reason in `cause` (e.g. `unexpected "iss" (issuer) response parameter value`) and
// carry the bank's OAuth error body; printed without the request parameters or the response, which hold codes.
function describe(error) {
  const lines = [];
  for (let current = error, depth = 0; current && depth < 5; current = current.cause, depth += 1) {
    if (!(current instanceof Error)) {
      break;
    }
    lines.push(`${depth ? 'caused by ' : ''}${current.name}: ${current.message}${current.code ? ` (${current.code})` : ''}`);
    if (current instanceof client.ResponseBodyError) {
      lines.push(`  the bank answered ${current.status}: ${current.error} ${current.error_description ?? ''}`);
    }
  }
  return `${lines.join('\n')}\n${error?.stack ?? ''}`;
}

main().then(() => process.exit(0), (error) => {
  console.error(describe(error));
  process.exit(1);
});
