// express-oauth2-jwt-bearer guarding a small Express app, with access tokens
// obtained from mockidp over HTTP exactly as from an Auth0 tenant.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import express from 'express';
import { auth, claimIncludes, requiredScopes } from 'express-oauth2-jwt-bearer';
import { AUDIENCE, CLIENTS, ISSUER, MOCKIDP_DOMAIN, USERS, installedVersion, jwtPayload, preflight } from './lib/config.mjs';
import { recorder } from './lib/results.mjs';

const SDK = 'express-oauth2-jwt-bearer';
const flow = recorder(SDK, installedVersion(SDK));

let server;
let base;

before(async () => {
  await preflight();
  const app = express();
  // The issuer is http: fine for a single issuer (only multi-issuer mode with
  // NODE_ENV=production insists on https).
  const checkJwt = auth({ issuerBaseURL: MOCKIDP_DOMAIN, audience: AUDIENCE });
  app.get('/scoped', checkJwt, requiredScopes('read:protected'), (req, res) => {
    res.json({ sub: req.auth.payload.sub });
  });
  app.get('/permission', checkJwt, claimIncludes('permissions', 'read:protected'), (req, res) => {
    res.json({ sub: req.auth.payload.sub });
  });
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err);
    res.status(err.status || 500);
    if (err.headers) res.set(err.headers);
    res.json({ error: err.code || err.name, message: err.message });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  if (server) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function tokenRequest(params) {
  const res = await fetch(MOCKIDP_DOMAIN + '/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = await res.json().catch(() => null);
  assert.equal(res.status, 200, `token request (${params.grant_type}) answered ${res.status}: ${JSON.stringify(body)}`);
  assert.equal(body.token_type, 'Bearer');
  return body.access_token;
}

const m2mToken = () =>
  tokenRequest({
    grant_type: 'client_credentials',
    client_id: CLIENTS.m2m.id,
    client_secret: CLIENTS.m2m.secret,
    audience: AUDIENCE,
  });

const userToken = (user) =>
  tokenRequest({
    grant_type: 'password',
    client_id: CLIENTS.web.id,
    client_secret: CLIENTS.web.secret,
    username: user.email,
    password: user.password,
    audience: AUDIENCE,
    scope: 'openid read:protected',
  });

async function call(path, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const res = await fetch(base + path, { headers });
  return { status: res.status, body: await res.json().catch(() => null), wwwAuthenticate: res.headers.get('www-authenticate') };
}

/** The Bearer challenge of a WWW-Authenticate header (the library may add a DPoP one after it). */
function bearerChallenge(header) {
  assert.ok(header, 'WWW-Authenticate present');
  const m = /^Bearer realm="api"(?:, error="[^"]*", error_description="[^"]*"(?:, scope="[^"]*")?)?/.exec(header);
  assert.ok(m, `unexpected WWW-Authenticate: ${header}`);
  return m[0];
}

flow('requiredScopes', 'M2M token (client_credentials) with scope read:protected passes', async () => {
  const token = await m2mToken();
  const claims = jwtPayload(token);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.gty, 'client-credentials');
  assert.ok(claims.scope.split(' ').includes('read:protected'), `scope ${claims.scope}`);
  const res = await call('/scoped', token);
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.equal(res.body.sub, `${CLIENTS.m2m.id}@clients`);
});

flow("claimIncludes('permissions')", 'alice (password grant, role Reader) passes', async () => {
  const token = await userToken(USERS.alice);
  assert.ok(jwtPayload(token).permissions.includes('read:protected'));
  const res = await call('/permission', token);
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.equal(res.body.sub, USERS.alice.sub);
});

flow('missing permission', 'bob (no roles): claimIncludes 401 invalid_token, requiredScopes 403', async () => {
  const token = await userToken(USERS.bob);
  const claims = jwtPayload(token);
  assert.equal(claims.sub, USERS.bob.sub);

  const byClaim = await call('/permission', token);
  assert.equal(byClaim.status, 401, JSON.stringify(byClaim));
  assert.equal(byClaim.body.error, 'invalid_token');
  assert.match(bearerChallenge(byClaim.wwwAuthenticate), /error="invalid_token"/);

  const byScope = await call('/scoped', token);
  assert.equal(byScope.status, 403, JSON.stringify(byScope));
  assert.equal(byScope.body.error, 'insufficient_scope');
  assert.match(bearerChallenge(byScope.wwwAuthenticate), /error="insufficient_scope".*scope="read:protected"/);
});

flow('tampered token', '401 invalid_token', async () => {
  const token = await m2mToken();
  const [h, p, s] = token.split('.');
  const payload = jwtPayload(token);
  payload.sub = 'attacker@clients';
  const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
  const res = await call('/scoped', forged);
  assert.equal(res.status, 401, JSON.stringify(res));
  assert.equal(res.body.error, 'invalid_token');
  assert.match(bearerChallenge(res.wwwAuthenticate), /error="invalid_token"/);
});

flow('no token', '401 with WWW-Authenticate: Bearer realm="api"', async () => {
  const res = await call('/scoped');
  assert.equal(res.status, 401, JSON.stringify(res));
  assert.equal(bearerChallenge(res.wwwAuthenticate), 'Bearer realm="api"');
});
