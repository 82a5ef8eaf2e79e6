// express-oauth2-jwt-bearer's claimIncludes on the claims the QA tenant's
// Actions add: roles and a secret (post-login) in a user's access token, the
// partner id (credentials-exchange) in an M2M token.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { auth, claimIncludes } from 'express-oauth2-jwt-bearer';
import { DEMOAPP_URL, installedVersion, jwtPayload } from './lib/config.mjs';
import { recorder } from './lib/results.mjs';
import { CookieJar, followToApp } from './lib/login.mjs';
import { NS, QA_AUDIENCE, QA_CLIENTS, QA_DOMAIN, QA_ORIGIN, QA_USERS, qaPreflight } from './lib/qa.mjs';

const SDK = 'express-oauth2-jwt-bearer';
const flow = recorder(SDK, installedVersion(SDK));

let server;
let base;

before(async () => {
  await qaPreflight();
  const app = express();
  const checkJwt = auth({ issuerBaseURL: QA_DOMAIN, audience: QA_AUDIENCE });
  app.get('/manage', checkJwt, claimIncludes(`${NS}/roles`, 'Order Manager'), (req, res) => {
    res.json({ sub: req.auth.payload.sub });
  });
  app.get('/support', checkJwt, claimIncludes(`${NS}/support_tier`, 'gold'), (req, res) => {
    res.json({ sub: req.auth.payload.sub });
  });
  app.get('/partner', checkJwt, claimIncludes(`${NS}/partner_id`, 'acme-logistics'), (req, res) => {
    res.json({ sub: req.auth.payload.sub });
  });
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err);
    res.status(err.status || 500);
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

async function tokenRequest(params, headers = {}) {
  const res = await fetch(QA_DOMAIN + '/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  const body = await res.json().catch(() => null);
  assert.equal(res.status, 200, `token request (${params.grant_type}) answered ${res.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** A user's access token for the Orders API: qa-spa's code flow with PKCE, through the login page. */
async function userToken(user) {
  const verifier = randomBytes(32).toString('base64url');
  const redirectURI = DEMOAPP_URL + '/';
  const authorize = new URL(QA_DOMAIN + '/authorize');
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: QA_CLIENTS.spa.id,
    redirect_uri: redirectURI,
    scope: 'openid',
    audience: QA_AUDIENCE,
    state: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const callback = await followToApp(new CookieJar(), authorize.href, user, QA_ORIGIN);
  const code = callback.searchParams.get('code');
  assert.ok(code, `no code in ${callback}`);
  return tokenRequest({ grant_type: 'authorization_code', client_id: QA_CLIENTS.spa.id, code, code_verifier: verifier, redirect_uri: redirectURI });
}

const m2mToken = () =>
  tokenRequest(
    { grant_type: 'client_credentials', audience: QA_AUDIENCE },
    { Authorization: 'Basic ' + Buffer.from(`${QA_CLIENTS.m2m.id}:${QA_CLIENTS.m2m.secret}`).toString('base64') },
  );

async function call(path, token) {
  const res = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

flow('claimIncludes (post-login Actions)', 'roles and a secret from post-login Actions; 401 for a user without the role', async () => {
  const carol = await userToken(QA_USERS.carol);
  assert.deepEqual(jwtPayload(carol)[`${NS}/roles`], ['Order Manager']);
  for (const path of ['/manage', '/support']) {
    const res = await call(path, carol);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res)}`);
    assert.equal(res.body.sub, QA_USERS.carol.sub);
  }

  const dave = await userToken(QA_USERS.dave);
  assert.deepEqual(jwtPayload(dave)[`${NS}/roles`], ['Order Viewer', 'Billing Admin']);
  const refused = await call('/manage', dave);
  assert.equal(refused.status, 401, JSON.stringify(refused));
  assert.equal(refused.body.error, 'invalid_token');
  assert.equal((await call('/support', dave)).status, 200, 'every login gets the tier');
});

flow('claimIncludes (credentials-exchange Action)', "the M2M client's partner id; 401 for a user token", async () => {
  const m2m = await m2mToken();
  assert.equal(jwtPayload(m2m).gty, 'client-credentials');
  const res = await call('/partner', m2m);
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.equal(res.body.sub, `${QA_CLIENTS.m2m.id}@clients`);

  const refused = await call('/partner', await userToken(QA_USERS.carol));
  assert.equal(refused.status, 401, JSON.stringify(refused));
  assert.equal(refused.body.error, 'invalid_token');
});
