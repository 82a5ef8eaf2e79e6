// @auth0/auth0-spa-js in headless Chromium against the QA tenant, whose
// post-login Actions put roles, metadata and a secret into the tokens and deny
// a suspended account: what the application reads through the SDK.
import { before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { preflight, installedVersion, jwtPayload } from './lib/config.mjs';
import { recorder } from './lib/results.mjs';
import { APP_ORIGIN, createClient, launchBrowser, newAppContext, openApp, sdkCall } from './lib/browser.mjs';
import { NS, QA_AUDIENCE, QA_CLIENTS, QA_DOMAIN, QA_ISSUER, QA_ORIGIN, QA_USERS, qaPreflight } from './lib/qa.mjs';

const SDK = '@auth0/auth0-spa-js';
const flow = recorder(SDK, installedVersion(SDK));
const TIMEOUT = { timeout: 30_000 };
const QA_CLIENT = { domain: QA_DOMAIN, clientId: QA_CLIENTS.spa.id, authorizationParams: { audience: QA_AUDIENCE } };

let browser;
const contexts = [];

before(async () => {
  await preflight({ app: true });
  await qaPreflight();
  browser = await launchBrowser();
});

afterEach(async () => {
  await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
});

after(async () => {
  await browser?.close();
});

/**
 * loginWithRedirect to the QA tenant through its login page, then
 * handleRedirectCallback on a new client; resolves to that call's result.
 */
async function qaLogin(user) {
  const s = await newAppContext(browser);
  contexts.push(s.context);
  const { page } = s;
  await openApp(page, QA_CLIENT);
  await page.evaluate(() => {
    window.sdk.client.loginWithRedirect();
  });
  await page.waitForURL((u) => u.origin === QA_ORIGIN && u.pathname.startsWith('/u/login'));
  await page.locator('input#username').fill(user.email);
  await page.locator('input#password').fill(user.password);
  await page.locator('button[type=submit][name=action][value=default]').click();
  await page.waitForURL((u) => u.origin === APP_ORIGIN && u.pathname === '/' && (u.searchParams.has('code') || u.searchParams.has('error')));
  await createClient(page, QA_CLIENT);
  return { page, callback: await sdkCall(page, 'handleRedirectCallback') };
}

function sdkValue(res, what) {
  assert.ok(res.ok, `${what} failed: ${JSON.stringify(res)}`);
  return res.value;
}

flow('getIdTokenClaims (post-login Actions)', 'claims the post-login Actions set, in the ID and access tokens', async () => {
  const { page, callback } = await qaLogin(QA_USERS.carol);
  sdkValue(callback, 'handleRedirectCallback');

  const id = sdkValue(await sdkCall(page, 'getIdTokenClaims'), 'getIdTokenClaims');
  assert.equal(id.iss, QA_ISSUER);
  assert.equal(id.sub, QA_USERS.carol.sub);
  assert.deepEqual(id[`${NS}/roles`], ['Order Manager'], 'add-roles');
  assert.equal(id[`${NS}/plan`], 'enterprise', 'add-profile-metadata: app_metadata');
  assert.equal(id[`${NS}/theme`], 'dark', 'add-profile-metadata: user_metadata');
  assert.equal(id[`${NS}/team`], 'fulfilment', "the user's own claims stay");
  assert.equal(id[`${NS}/support_tier`], undefined, 'add-support-tier sets the access token only');

  const access = jwtPayload(sdkValue(await sdkCall(page, 'getTokenSilently'), 'getTokenSilently'));
  assert.equal(access.iss, QA_ISSUER);
  assert.deepEqual(access[`${NS}/roles`], ['Order Manager'], 'add-roles');
  assert.equal(access[`${NS}/support_tier`], 'gold', 'add-support-tier: a secret');
}, TIMEOUT);

flow('access.deny (post-login Action)', 'a suspended account comes back as access_denied with the reason', async () => {
  const { page, callback } = await qaLogin(QA_USERS.frank);
  assert.equal(callback.ok, false, `handleRedirectCallback should throw: ${JSON.stringify(callback)}`);
  assert.equal(callback.error, 'access_denied');
  assert.equal(callback.error_description, `Account suspended: ${QA_USERS.frank.email}`);
  assert.equal(sdkValue(await sdkCall(page, 'isAuthenticated'), 'isAuthenticated'), false);
  assert.equal(sdkValue(await sdkCall(page, 'getIdTokenClaims'), 'getIdTokenClaims'), undefined);
}, TIMEOUT);
