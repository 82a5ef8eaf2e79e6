// Headless Chromium (Debian's, through playwright-core) and the test page.
//
// The tenant only allows the demo app's origin as the SPA's callback, logout
// and web-message origin, so the test page must live there. The browser is
// answered for DEMOAPP_URL + "/" (with or without ?code=...) and
// DEMOAPP_URL + "/sdk/*" with files from this package; everything else on that
// origin, in particular /api/*, reaches the real demo app.
//
// That interception uses the DevTools Fetch domain rather than page.route:
// the emulator sends the browser back to the app with a redirect, and
// Playwright's routes never see a request that follows a redirect, so the
// callback would load the demo app's own front end. Fetch.requestPaused does
// fire for it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { APP_ORIGIN, AUDIENCE, BROWSER_HOME, CHROME_PATH, CLIENTS, DEMOAPP_URL, IDP_ORIGIN, MOCKIDP_ADDRESS, MOCKIDP_DOMAIN } from './config.mjs';

const require = createRequire(import.meta.url);
const PAGE_HTML = readFileSync(new URL('../page/index.html', import.meta.url));
const SDK_BUNDLE = readFileSync(require.resolve('@auth0/auth0-spa-js/dist/auth0-spa-js.production.js'));

export { APP_ORIGIN, IDP_ORIGIN };

export async function launchBrowser() {
  const args = [
    // No internet here: without these Chromium stalls on background fetches.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (MOCKIDP_ADDRESS) {
    // What lib/resolve.mjs does for Node: the emulator's name, known to no DNS.
    args.push(`--host-resolver-rules=MAP ${new URL(MOCKIDP_DOMAIN).hostname} ${MOCKIDP_ADDRESS}`);
  }
  // A profile that treats third-party cookies as Google Chrome does by
  // default, blocking them in Incognito windows only (its preference
  // profile.cookie_controls_mode 2); Debian's Chromium blocks them everywhere.
  // Over https the emulator's session cookie is SameSite=None, a third-party
  // cookie in the silent-authentication iframe of an app on http (schemes
  // count in "same-site"), exactly as a tenant's is.
  const profile = mkdtempSync(join(tmpdir(), 'sdk-chromium-'));
  mkdirSync(join(profile, 'Default'));
  writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 2 } }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROME_PATH,
    headless: true,
    args,
    // Chromium on Linux trusts the CAs of the NSS database in $HOME/.pki/nssdb;
    // the Go test makes one that trusts the https emulator's local CA. No
    // certificate error is ignored.
    ...(BROWSER_HOME ? { env: { ...process.env, HOME: BROWSER_HOME } } : {}),
  });
  const browser = context.browser();
  browser.on('disconnected', () => {
    try {
      // Chromium may still be writing its profile as it exits.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    } catch (err) {
      console.warn(`leaving ${profile}: ${err.message}`);
    }
  });
  return browser;
}

/**
 * A fresh browser context (own cookies and storage) and a page in it whose
 * app-origin root serves the test page, with a log of every request the
 * context's pages, frames, workers and popups make.
 */
export async function newAppContext(browser) {
  // Chromium's Local Network Access checks treat a document that Playwright
  // fulfils as public (it has no server address), so its calls to the
  // emulator on localhost (fetch, the token worker, the silent-auth iframe)
  // would be refused. Served by a real server on localhost the page would be
  // local already; granting the permission restores that. A Chromium too old
  // to know the permission has no such checks either.
  let context;
  try {
    context = await browser.newContext({ permissions: ['local-network-access'] });
  } catch (err) {
    if (!/permission/i.test(String(err && err.message))) throw err;
    context = await browser.newContext();
  }
  context.setDefaultTimeout(15_000);
  const requests = [];
  context.on('request', (r) => requests.push(r));
  const page = await context.newPage();
  await serveTestPage(context, page);
  return { context, page, requests };
}

const TEST_FILES = new Map([
  ['/', { type: 'text/html; charset=utf-8', body: PAGE_HTML }],
  ['/sdk/index.html', { type: 'text/html; charset=utf-8', body: PAGE_HTML }],
  ['/sdk/auth0-spa-js.js', { type: 'text/javascript; charset=utf-8', body: SDK_BUNDLE }],
]);

async function serveTestPage(context, page) {
  const cdp = await context.newCDPSession(page);
  cdp.on('Fetch.requestPaused', async ({ requestId, request }) => {
    const url = new URL(request.url);
    const file = url.origin === APP_ORIGIN && TEST_FILES.get(url.pathname);
    try {
      if (file) {
        await cdp.send('Fetch.fulfillRequest', {
          requestId,
          responseCode: 200,
          responseHeaders: [
            { name: 'Content-Type', value: file.type },
            { name: 'Cache-Control', value: 'no-store' },
          ],
          body: file.body.toString('base64'),
        });
      } else if (url.origin === APP_ORIGIN && url.pathname.startsWith('/sdk/')) {
        await cdp.send('Fetch.fulfillRequest', { requestId, responseCode: 404, body: '' });
      } else {
        await cdp.send('Fetch.continueRequest', { requestId });
      }
    } catch {
      // The page or request went away meanwhile (navigation, context closed).
    }
  });
  // In CDP URL patterns "?" matches any one character; a backslash makes it literal.
  await cdp.send('Fetch.enable', {
    patterns: [
      { urlPattern: APP_ORIGIN + '/', requestStage: 'Request' },
      { urlPattern: APP_ORIGIN + '/\\?*', requestStage: 'Request' },
      { urlPattern: APP_ORIGIN + '/sdk/*', requestStage: 'Request' },
    ],
  });
}

/**
 * The requests to the emulator's `path` among `requests` (Playwright Request
 * objects), in order, as {url: URL, method, body, request}.
 */
export function idpCalls(requests, path) {
  return requests
    .map((r) => ({ url: new URL(r.url()), method: r.method(), body: r.postData(), request: r }))
    .filter((r) => r.url.origin === IDP_ORIGIN && r.url.pathname === path);
}

/** createAuth0Client options: the documented SPA configuration plus `extra`. */
export function clientOptions(extra = {}) {
  const { authorizationParams = {}, ...rest } = extra;
  return {
    domain: MOCKIDP_DOMAIN,
    clientId: CLIENTS.spa.id,
    authorizationParams: { redirect_uri: DEMOAPP_URL + '/', audience: AUDIENCE, ...authorizationParams },
    // Fail in seconds, not the default 60, if the emulator never answers a web message.
    authorizeTimeoutInSeconds: 10,
    ...rest,
  };
}

/** Loads the test page at the app's root and creates a client on it. */
export async function openApp(page, extra) {
  await page.goto(DEMOAPP_URL + '/');
  await createClient(page, extra);
}

export async function createClient(page, extra) {
  await page.waitForFunction(() => window.sdk && window.auth0);
  await page.evaluate((opts) => window.sdk.create(opts), clientOptions(extra));
}

/** Calls `client[method](...args)` in the page; resolves to {ok, value} or {ok:false, error, ...}. */
export function sdkCall(page, method, ...args) {
  return page.evaluate(([m, a]) => window.sdk.call(m, ...a), [method, args]);
}

/** fetch(DEMOAPP_URL + path) from the page with the token: {status, body, wwwAuthenticate}. */
export function apiCall(page, path, token) {
  return page.evaluate(([p, t]) => window.sdk.api(p, t), [path, token]);
}

/** Fills and submits the emulator's Universal-Login-compatible form. */
export async function submitLogin(page, user) {
  await page.waitForURL((u) => u.origin === IDP_ORIGIN && u.pathname.startsWith('/u/login'));
  await page.locator('input#username').fill(user.email);
  await page.locator('input#password').fill(user.password);
  await page.locator('button[type=submit][name=action][value=default]').click();
}

/**
 * loginWithRedirect through the login page and back, then
 * handleRedirectCallback on a new client, as an app does after the redirect.
 * Leaves the page at the app's root with a logged-in client.
 */
export async function loginWithRedirect(page, user, extra) {
  await openApp(page, extra);
  // Not awaited in the page: the SDK navigates away once the URL is built.
  await page.evaluate(() => {
    window.sdk.client.loginWithRedirect();
  });
  await submitLogin(page, user);
  await page.waitForURL((u) => u.origin === APP_ORIGIN && u.pathname === '/' && u.searchParams.has('code'));
  await createClient(page, extra);
  const cb = await sdkCall(page, 'handleRedirectCallback');
  if (!cb.ok) throw new Error(`handleRedirectCallback failed: ${JSON.stringify(cb)}`);
  // Drop ?code=&state= from the address bar, as apps do.
  await page.evaluate(() => window.history.replaceState({}, document.title, '/'));
  return cb.value;
}
