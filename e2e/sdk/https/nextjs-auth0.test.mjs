// @auth0/nextjs-auth0 v4 against the emulator over https, driven through its
// own middleware, getSession and getAccessToken with the Request objects a
// Next.js server would hand them; a browser without JavaScript does the
// emulator's side (lib/login.mjs). The SDK is configured as for a tenant: a bare domain, no
// port, no allowInsecureRequests. It refuses localhost, IP addresses and ports
// there, so the emulator serves https://tenant.tenantless.test on port 443
// (lib/resolve.mjs maps the name to loopback), with NODE_EXTRA_CA_CERTS
// trusting its local CA.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Auth0Client } from '@auth0/nextjs-auth0/server';
import { NextRequest, NextResponse } from 'next/server.js';
import { AUDIENCE, CLIENTS, DEMOAPP_URL, IDP_ORIGIN, ISSUER, MOCKIDP_DOMAIN, USERS, installedVersion, jwtPayload, preflight } from '../lib/config.mjs';
import { CookieJar, callApp, followToApp, recordingFetch } from '../lib/login.mjs';
import { recorder } from '../lib/results.mjs';

const SDK = '@auth0/nextjs-auth0';
const flow = recorder(SDK, installedVersion(SDK));
const APP = DEMOAPP_URL; // the demo-web client's callback is APP/callback, its logout URL APP

// The SDK calls the emulator with the global fetch: record what it sends.
const nativeFetch = globalThis.fetch;
const rec = recordingFetch(nativeFetch);

before(async () => {
  globalThis.fetch = rec.fetch;
  const domain = new URL(MOCKIDP_DOMAIN);
  assert.equal(domain.protocol, 'https:', 'the SDK speaks https only');
  assert.equal(domain.port, '', 'the SDK drops a port from its domain: the emulator must be on 443');
  await preflight({ app: true });
});

after(() => {
  globalThis.fetch = nativeFetch;
});

const isSession = (name) => name === '__session' || name.startsWith('__session__'); // large sessions are chunked

function newAuth0() {
  return new Auth0Client({
    domain: new URL(MOCKIDP_DOMAIN).hostname,
    clientId: CLIENTS.web.id,
    clientSecret: CLIENTS.web.secret,
    appBaseUrl: APP,
    secret: randomBytes(32).toString('hex'),
    authorizationParameters: { audience: AUDIENCE, scope: 'openid profile email offline_access read:protected' },
    routes: { callback: '/callback' },
  });
}

/** The application's cookies in the browser: what the SDK's responses set. */
class AppCookies {
  #jar = new Map();

  store(res) {
    for (const c of res.cookies.getAll()) {
      if (c.maxAge === 0 || (c.expires && new Date(c.expires) <= new Date())) this.#jar.delete(c.name);
      else this.#jar.set(c.name, c.value);
    }
  }

  request(path) {
    const headers = new Headers();
    const cookie = [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    return new NextRequest(new URL(path, APP), { headers });
  }

  names() {
    return [...this.#jar.keys()];
  }
}

/** /auth/login through the emulator's login page and /callback: a logged-in browser. */
async function logIn(auth0, user) {
  const app = new AppCookies();
  const idp = new CookieJar();
  const login = await auth0.middleware(app.request('/auth/login?returnTo=/profile'));
  app.store(login);
  assert.ok([302, 307].includes(login.status), `/auth/login answered ${login.status}`);
  const authorize = new URL(login.headers.get('location'));
  const callback = await followToApp(idp, authorize.href, user);
  assert.equal(callback.origin + callback.pathname, APP + '/callback');
  const done = await auth0.middleware(app.request(callback.pathname + callback.search));
  app.store(done);
  return { app, idp, authorize, done };
}

flow('login redirect', '/auth/login sends the browser to the emulator with PKCE, state and nonce', async () => {
  const auth0 = newAuth0();
  const app = new AppCookies();
  const res = await auth0.middleware(app.request('/auth/login'));
  assert.ok([302, 307].includes(res.status), `status ${res.status}`);
  const to = new URL(res.headers.get('location'));
  assert.equal(to.origin, IDP_ORIGIN);
  assert.equal(to.pathname, '/authorize');
  const q = to.searchParams;
  assert.equal(q.get('client_id'), CLIENTS.web.id);
  assert.equal(q.get('redirect_uri'), APP + '/callback');
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.equal(q.get('audience'), AUDIENCE);
  for (const p of ['state', 'nonce', 'code_challenge']) assert.ok(q.get(p), `${p} sent`);
  app.store(res);
  assert.ok(app.names().some((n) => n.startsWith('__txn_')), `a transaction cookie: ${app.names()}`);
});

flow('callback', 'login page, /callback exchanges the code and opens the session', async () => {
  const auth0 = newAuth0();
  const { done, app } = await logIn(auth0, USERS.alice);
  assert.ok([302, 307].includes(done.status), `/callback answered ${done.status}: ${await done.clone().text()}`);
  assert.equal(new URL(done.headers.get('location')).pathname, '/profile', 'back to returnTo');
  assert.ok(app.names().some(isSession), `a session cookie: ${app.names()}`);
  assert.ok(!app.names().some((n) => n.startsWith('__txn_')), 'the transaction cookie is spent');

  // A forged state is refused.
  const forged = await auth0.middleware(app.request('/callback?code=whatever&state=forged'));
  assert.ok(forged.status >= 400, `a forged callback answered ${forged.status}`);
});

flow('session', 'getSession: the user from the ID token', async () => {
  const auth0 = newAuth0();
  const { app } = await logIn(auth0, USERS.alice);
  const session = await auth0.getSession(app.request('/profile'));
  assert.ok(session, 'a session');
  assert.equal(session.user.sub, USERS.alice.sub);
  assert.equal(session.user.email, USERS.alice.email);
  assert.equal(await auth0.getSession(new AppCookies().request('/profile')), null, 'no cookie, no session');
});

flow('access token', 'getAccessToken for the API, accepted by the demo API; refresh', async () => {
  const auth0 = newAuth0();
  const { app } = await logIn(auth0, USERS.alice);
  const res = NextResponse.next();
  const { token } = await auth0.getAccessToken(app.request('/api/data'), res);
  const claims = jwtPayload(token);
  assert.equal(claims.iss, ISSUER);
  assert.ok([].concat(claims.aud).includes(AUDIENCE));
  assert.ok([].concat(claims.permissions).includes('read:protected'));
  const api = await callApp(DEMOAPP_URL, '/api/protected', token);
  assert.equal(api.status, 200, JSON.stringify(api));

  // A forced refresh goes to the emulator with the session's refresh token.
  const before = rec.grants().length;
  const refreshed = NextResponse.next();
  const again = await auth0.getAccessToken(app.request('/api/data'), refreshed, { refresh: true });
  assert.deepEqual(rec.grants().slice(before), ['refresh_token']);
  assert.ok(rec.calls.at(-1).params.refresh_token, 'the refresh token is sent');
  assert.equal(jwtPayload(again.token).sub, USERS.alice.sub);
  assert.ok(refreshed.cookies.getAll().some((c) => isSession(c.name)), 'the refreshed tokens are written back to the session');
});

flow('logout', '/auth/logout clears the session and ends the emulator session', async () => {
  const auth0 = newAuth0();
  const { app, idp, authorize } = await logIn(auth0, USERS.alice);
  const res = await auth0.middleware(app.request('/auth/logout'));
  app.store(res);
  assert.ok(!app.names().some(isSession), `the session cookie is cleared: ${app.names()}`);
  const to = new URL(res.headers.get('location'));
  assert.equal(to.origin, IDP_ORIGIN);
  assert.ok(['/oidc/logout', '/v2/logout'].includes(to.pathname), to.pathname);
  const back = await followToApp(idp, to.href);
  assert.equal(back.href.replace(/\/$/, ''), APP, 'the emulator returns to the app');

  // The emulator's session is gone too: a silent login now needs the user.
  const silent = new URL(authorize);
  silent.searchParams.set('prompt', 'none');
  const answer = await followToApp(idp, silent.href);
  assert.equal(answer.searchParams.get('error'), 'login_required');
});
