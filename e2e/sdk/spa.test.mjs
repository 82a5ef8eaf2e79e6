// @auth0/auth0-spa-js in headless Chromium against mockidp and the demo app,
// configured exactly as for an Auth0 tenant.
import { before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIENCE, DEMOAPP_URL, ISSUER, USERS, installedVersion, jwtPayload, preflight } from './lib/config.mjs';
import { recorder } from './lib/results.mjs';
import {
  APP_ORIGIN,
  apiCall,
  createClient,
  idpCalls,
  launchBrowser,
  loginWithRedirect,
  newAppContext,
  openApp,
  sdkCall,
  submitLogin,
} from './lib/browser.mjs';

const SDK = '@auth0/auth0-spa-js';
const flow = recorder(SDK, installedVersion(SDK));
const TIMEOUT = { timeout: 30_000 };

let browser;
const contexts = [];

before(async () => {
  await preflight({ app: true });
  browser = await launchBrowser();
});

// Each scenario gets its own browser context (cookies, storage), closed after it.
afterEach(async () => {
  await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
});

after(async () => {
  await browser?.close();
});

async function session() {
  const s = await newAppContext(browser);
  contexts.push(s.context);
  return s;
}

/** Asserts an access token for the demo API issued by the emulator to `user`. */
function assertAccessToken(token, user) {
  const claims = jwtPayload(token);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.sub, user.sub);
  const aud = [].concat(claims.aud);
  assert.ok(aud.includes(AUDIENCE), `aud ${JSON.stringify(claims.aud)} lacks ${AUDIENCE}`);
  assert.equal(claims.azp, 'demo-spa');
  return claims;
}

/** The value of a successful sdkCall; otherwise fails with what the SDK threw. */
function sdkValue(res, what) {
  assert.ok(res.ok, `${what} failed: ${JSON.stringify(res)}`);
  return res.value;
}

flow('loginWithRedirect', 'login page, handleRedirectCallback, getUser, getTokenSilently from cache, protected API', async () => {
  const { page, requests } = await session();
  await loginWithRedirect(page, USERS.alice);

  // The code exchange the SDK made: form-encoded, PKCE, no secret.
  const exchanges = idpCalls(requests, '/oauth/token');
  assert.equal(exchanges.length, 1, 'one code exchange');
  const body = new URLSearchParams(exchanges[0].body);
  assert.equal(body.get('grant_type'), 'authorization_code');
  assert.equal(body.get('client_id'), 'demo-spa');
  assert.ok(body.get('code_verifier'), 'code_verifier sent');
  const authorize = idpCalls(requests, '/authorize');
  assert.equal(authorize[0].url.searchParams.get('response_mode'), 'query');
  assert.equal(authorize[0].url.searchParams.get('code_challenge_method'), 'S256');

  const user = sdkValue(await sdkCall(page, 'getUser'), 'getUser');
  assert.equal(user.email, USERS.alice.email);
  assert.equal(user.sub, USERS.alice.sub);
  assert.equal(sdkValue(await sdkCall(page, 'isAuthenticated'), 'isAuthenticated'), true);

  const before = idpCalls(requests, '/authorize').length + idpCalls(requests, '/oauth/token').length;
  const token = sdkValue(await sdkCall(page, 'getTokenSilently'), 'getTokenSilently');
  const afterCount = idpCalls(requests, '/authorize').length + idpCalls(requests, '/oauth/token').length;
  assert.equal(afterCount, before, 'a cached token needs no call to /authorize or /oauth/token');
  const claims = assertAccessToken(token, USERS.alice);
  assert.ok([].concat(claims.permissions).includes('read:protected'), `permissions ${JSON.stringify(claims.permissions)}`);

  const res = await apiCall(page, '/api/protected', token);
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.deepEqual(res.body, { message: 'Protected Endpoint' });
}, TIMEOUT);

flow('getTokenSilently (iframe)', 'after a reload, hidden iframe with web_message and prompt=none', async () => {
  const { page, requests } = await session();
  await loginWithRedirect(page, USERS.alice);

  // A new page load: a new client with an empty memory cache.
  await openApp(page);
  const already = idpCalls(requests, '/authorize').length;
  const token = sdkValue(await sdkCall(page, 'getTokenSilently', { cacheMode: 'off' }), 'getTokenSilently');
  assertAccessToken(token, USERS.alice);

  const silent = idpCalls(requests, '/authorize').slice(already);
  assert.ok(silent.length >= 1, 'getTokenSilently called /authorize');
  const q = silent.at(-1).url.searchParams;
  assert.equal(q.get('response_mode'), 'web_message');
  assert.equal(q.get('prompt'), 'none');
  assert.equal(q.get('redirect_uri'), DEMOAPP_URL + '/');
  assert.notEqual(silent.at(-1).request.frame(), page.mainFrame(), 'loaded in an iframe, not the page');

  const user = sdkValue(await sdkCall(page, 'getUser'), 'getUser');
  assert.equal(user.email, USERS.alice.email);
}, TIMEOUT);

flow('getTokenSilently (refresh token)', 'useRefreshTokens, refresh_token grant, rotation', async () => {
  const { page, requests } = await session();
  const opts = { useRefreshTokens: true };
  await loginWithRedirect(page, USERS.alice, opts);

  const authorize = idpCalls(requests, '/authorize')[0].url.searchParams;
  assert.ok(authorize.get('scope').split(' ').includes('offline_access'), `scope ${authorize.get('scope')}`);

  const refreshes = () =>
    idpCalls(requests, '/oauth/token').filter((r) => new URLSearchParams(r.body).get('grant_type') === 'refresh_token');
  assert.equal(refreshes().length, 0);

  const first = sdkValue(await sdkCall(page, 'getTokenSilently', { cacheMode: 'off' }), 'first refresh');
  assertAccessToken(first, USERS.alice);
  assert.equal(refreshes().length, 1, 'one refresh_token grant');

  const second = sdkValue(await sdkCall(page, 'getTokenSilently', { cacheMode: 'off' }), 'second refresh');
  assertAccessToken(second, USERS.alice);
  const calls = refreshes();
  assert.equal(calls.length, 2, 'a second refresh_token grant');
  assert.equal(new URLSearchParams(calls[0].body).get('client_id'), 'demo-spa');

  // Rotation: each grant sends the refresh token of the response before it
  // (the code exchange's, then the first refresh's), and each is a new one.
  const sent = calls.map((c) => new URLSearchParams(c.body).get('refresh_token'));
  const issued = [];
  for (const c of [idpCalls(requests, '/oauth/token')[0], ...calls]) {
    const res = await c.request.response();
    assert.equal(res.status(), 200);
    issued.push((await res.json()).refresh_token);
  }
  assert.ok(issued[0], 'the code exchange returned a refresh_token (offline_access)');
  assert.equal(sent[0], issued[0], 'first refresh sends the code exchange\'s refresh token');
  assert.ok(issued[1] && issued[1] !== issued[0], 'first refresh returned a new refresh token');
  assert.equal(sent[1], issued[1], 'second refresh sends the rotated refresh token');
  assert.ok(issued[2] && issued[2] !== issued[1], 'second refresh rotated again');

  // No iframe fallback was needed.
  assert.equal(idpCalls(requests, '/authorize').length, 1);
  const res = await apiCall(page, '/api/protected', second);
  assert.equal(res.status, 200, JSON.stringify(res));
}, TIMEOUT);

flow('loginWithPopup', 'login page in a popup, web_message to the opener, getUser', async () => {
  const { page, requests } = await session();
  await openApp(page);

  const popupOpened = page.waitForEvent('popup');
  const result = page.evaluate(() => window.sdk.call('loginWithPopup'));
  const popup = await popupOpened;
  await submitLogin(popup, USERS.alice);
  const login = await result;
  assert.ok(login.ok, `loginWithPopup failed: ${JSON.stringify(login)}`);
  // The SDK closes its popup once the response arrives.
  if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5_000 });

  const q = idpCalls(requests, '/authorize')[0].url.searchParams;
  assert.equal(q.get('response_mode'), 'web_message');
  assert.equal(q.get('prompt'), null);

  const user = sdkValue(await sdkCall(page, 'getUser'), 'getUser');
  assert.equal(user.email, USERS.alice.email);
  assert.equal(user.sub, USERS.alice.sub);
  const token = sdkValue(await sdkCall(page, 'getTokenSilently'), 'getTokenSilently');
  assertAccessToken(token, USERS.alice);
}, TIMEOUT);

flow('logout', 'returnTo the app, then getTokenSilently fails with login_required', async () => {
  const { page, requests } = await session();
  await loginWithRedirect(page, USERS.alice);

  const backAtApp = page.waitForEvent('framenavigated', {
    predicate: (f) => f === page.mainFrame() && new URL(f.url()).origin === APP_ORIGIN,
  });
  await page.evaluate((returnTo) => {
    window.sdk.client.logout({ logoutParams: { returnTo } });
  }, DEMOAPP_URL);
  await backAtApp;
  await page.waitForLoadState('load');

  const logout = idpCalls(requests, '/v2/logout');
  assert.equal(logout.length, 1, 'one call to /v2/logout');
  assert.equal(logout[0].url.searchParams.get('client_id'), 'demo-spa');
  assert.equal(logout[0].url.searchParams.get('returnTo'), DEMOAPP_URL);

  await createClient(page);
  assert.equal(sdkValue(await sdkCall(page, 'isAuthenticated'), 'isAuthenticated'), false);
  const already = idpCalls(requests, '/authorize').length;
  const res = await sdkCall(page, 'getTokenSilently', { cacheMode: 'off' });
  assert.equal(res.ok, false, `getTokenSilently after logout returned a token: ${JSON.stringify(res)}`);
  assert.equal(res.error, 'login_required', JSON.stringify(res));
  const silent = idpCalls(requests, '/authorize').slice(already);
  assert.ok(silent.some((r) => r.url.searchParams.get('prompt') === 'none'), 'a prompt=none /authorize');
}, TIMEOUT);

flow('API permissions', 'bob without read:protected: protected API 403, members-only 200', async () => {
  const { page } = await session();
  await loginWithRedirect(page, USERS.bob);
  const user = sdkValue(await sdkCall(page, 'getUser'), 'getUser');
  assert.equal(user.email, USERS.bob.email);

  const token = sdkValue(await sdkCall(page, 'getTokenSilently'), 'getTokenSilently');
  const claims = assertAccessToken(token, USERS.bob);
  assert.ok(![].concat(claims.permissions ?? []).includes('read:protected'));

  const protectedRes = await apiCall(page, '/api/protected', token);
  assert.equal(protectedRes.status, 403, JSON.stringify(protectedRes));
  assert.equal(protectedRes.body.error, 'insufficient_scope', JSON.stringify(protectedRes));
  const members = await apiCall(page, '/api/members-only', token);
  assert.equal(members.status, 200, JSON.stringify(members));
  assert.deepEqual(members.body, { message: 'Members Only Endpoint' });
}, TIMEOUT);
