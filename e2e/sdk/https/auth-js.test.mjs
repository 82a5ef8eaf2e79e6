// @auth0/auth0-auth-js, Auth0's authentication client for JavaScript runtimes,
// against the emulator over https: it takes a domain and always speaks
// https to it, trusting the emulator's local CA through NODE_EXTRA_CA_CERTS.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { AuthClient } from '@auth0/auth0-auth-js';
import { AUDIENCE, CLIENTS, DEMOAPP_URL, ISSUER, MOCKIDP_HOST, USERS, installedVersion, jwtPayload, preflight } from '../lib/config.mjs';
import { CookieJar, callApp, followToApp, recordingFetch } from '../lib/login.mjs';
import { recorder } from '../lib/results.mjs';

const SDK = '@auth0/auth0-auth-js';
const flow = recorder(SDK, installedVersion(SDK));
const REALM = 'Username-Password-Authentication';
const CALLBACK = DEMOAPP_URL + '/callback'; // demo-web's callback

before(async () => {
  await preflight({ app: true });
});

/** A client for `client` on the emulator's domain, recording what it sends. */
function client(c = CLIENTS.web) {
  const rec = recordingFetch();
  const auth = new AuthClient({ domain: MOCKIDP_HOST, clientId: c.id, clientSecret: c.secret, customFetch: rec.fetch });
  return { auth, rec };
}

async function aliceByPassword(auth, extra = {}) {
  return auth.getTokenByPassword({
    username: USERS.alice.email,
    password: USERS.alice.password,
    audience: AUDIENCE,
    scope: 'openid profile email offline_access read:protected',
    ...extra,
  });
}

flow('client credentials', 'getTokenByClientCredentials, token accepted by the demo API', async () => {
  const { auth, rec } = client(CLIENTS.m2m);
  const tok = await auth.getTokenByClientCredentials({ audience: AUDIENCE });
  assert.deepEqual(rec.grants(), ['client_credentials']);
  const claims = jwtPayload(tok.accessToken);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.sub, `${CLIENTS.m2m.id}@clients`);
  assert.equal(claims.gty, 'client-credentials');
  const res = await callApp(DEMOAPP_URL, '/api/protected', tok.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res));
});

flow('password', 'getTokenByPassword: access, ID and refresh tokens', async () => {
  const { auth, rec } = client();
  const tok = await aliceByPassword(auth);
  assert.deepEqual(rec.grants(), ['password']);
  assert.equal(jwtPayload(tok.accessToken).sub, USERS.alice.sub);
  assert.equal(jwtPayload(tok.idToken).sub, USERS.alice.sub);
  assert.ok(tok.refreshToken, 'offline_access gives a refresh token');
});

flow('password with realm', 'getTokenByPassword with a realm names the connection; a wrong password is invalid_grant', async () => {
  const { auth, rec } = client();
  const tok = await aliceByPassword(auth, { realm: REALM });
  // The SDK sends the realm with the password grant (it has no password-realm grant).
  assert.deepEqual(rec.grants(), ['password']);
  assert.equal(rec.calls.at(-1).params.realm, REALM);
  assert.equal(jwtPayload(tok.accessToken).sub, USERS.alice.sub);

  await assert.rejects(
    auth.getTokenByPassword({ username: USERS.alice.email, password: 'not-her-password', realm: REALM, audience: AUDIENCE }),
    (err) => err.code === 'token_by_password_error' && err.cause?.error === 'invalid_grant' && err.cause?.error_description === 'Wrong email or password.',
  );
});

flow('authorization code', 'buildAuthorizationUrl with PKCE, login page, getTokenByCode', async () => {
  const { auth, rec } = client();
  const { authorizationUrl, codeVerifier } = await auth.buildAuthorizationUrl({
    authorizationParams: { redirect_uri: CALLBACK, audience: AUDIENCE, scope: 'openid profile email' },
  });
  assert.equal(authorizationUrl.origin + '/', ISSUER);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const callback = await followToApp(new CookieJar(), authorizationUrl.href, USERS.alice);
  assert.equal(callback.origin + callback.pathname, CALLBACK);
  const tok = await auth.getTokenByCode(callback, { codeVerifier });
  assert.deepEqual(rec.grants(), ['authorization_code']);
  assert.equal(rec.calls.at(-1).params.code_verifier, codeVerifier);
  assert.equal(jwtPayload(tok.idToken).sub, USERS.alice.sub);
  const res = await callApp(DEMOAPP_URL, '/api/protected', tok.accessToken);
  assert.equal(res.status, 200, JSON.stringify(res));
});

flow('refresh token', 'getTokenByRefreshToken, rotated', async () => {
  const { auth, rec } = client();
  const first = await aliceByPassword(auth);
  const second = await auth.getTokenByRefreshToken({ refreshToken: first.refreshToken });
  assert.deepEqual(rec.grants(), ['password', 'refresh_token']);
  assert.equal(jwtPayload(second.accessToken).sub, USERS.alice.sub);
  assert.ok(second.refreshToken && second.refreshToken !== first.refreshToken, 'a new refresh token');
});

flow('userinfo', 'getUserInfo with the expected subject', async () => {
  const { auth } = client();
  const tok = await aliceByPassword(auth);
  const info = await auth.getUserInfo({ accessToken: tok.accessToken, expectedSubject: USERS.alice.sub });
  assert.equal(info.sub, USERS.alice.sub);
  assert.equal(info.email, USERS.alice.email);
  await assert.rejects(
    auth.getUserInfo({ accessToken: tok.accessToken, expectedSubject: USERS.bob.sub }),
    (err) => err.name === 'UserInfoError',
    'the SDK checks the subject /userinfo answers',
  );
});

flow('revoke', 'revokeToken, then the refresh token is refused', async () => {
  const { auth, rec } = client();
  const tok = await aliceByPassword(auth);
  await auth.revokeToken({ token: tok.refreshToken, tokenTypeHint: 'refresh_token' });
  assert.ok(rec.calls.some((c) => c.url.pathname === '/oauth/revoke' && c.params.token === tok.refreshToken));
  await assert.rejects(
    auth.getTokenByRefreshToken({ refreshToken: tok.refreshToken }),
    (err) => err.code === 'token_by_refresh_token_error' && err.cause?.error === 'invalid_grant',
  );
});

flow('logout URL', 'buildLogoutUrl ends the emulator session and returns to the app', async () => {
  const { auth } = client();
  const jar = new CookieJar();
  const { authorizationUrl } = await auth.buildAuthorizationUrl({ authorizationParams: { redirect_uri: CALLBACK } });
  await followToApp(jar, authorizationUrl.href, USERS.alice);
  assert.ok(jar.header(), 'logged in: the emulator set its session cookie');

  const logout = await auth.buildLogoutUrl({ returnTo: DEMOAPP_URL });
  assert.equal(logout.origin + '/', ISSUER);
  const back = await followToApp(jar, logout.href);
  assert.equal(back.href.replace(/\/$/, ''), DEMOAPP_URL);

  // The session is gone: a silent login attempt now needs the user.
  const { authorizationUrl: silent } = await auth.buildAuthorizationUrl({ authorizationParams: { redirect_uri: CALLBACK, prompt: 'none' } });
  const answer = await followToApp(jar, silent.href);
  assert.equal(answer.searchParams.get('error'), 'login_required');
});
