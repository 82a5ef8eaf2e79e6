// The demo app's front end. It logs in the way @auth0/auth0-spa-js does, written out so it can be
// read top to bottom: authorization code flow with PKCE, ID token checks, silent authentication
// in a hidden iframe, logout. It talks only to the tenant's public endpoints, so it works the same
// against a real Auth0 tenant and against an emulator.

const SCOPE = 'openid profile email';
const TRANSACTION_KEY = 'demoapp.transaction';
// Clock skew allowed on ID token times, as auth0-spa-js allows by default.
const LEEWAY_SECONDS = 60;
const SILENT_AUTH_TIMEOUT_MS = 10_000;
const FETCH_TIMEOUT_MS = 10_000;
// Silent authentication answers with one of these when only an interactive login would do; the
// user is then simply logged out.
const NEEDS_INTERACTION = new Set(['login_required', 'consent_required', 'interaction_required']);

const el = (id) => document.getElementById(id);

class LoginError extends Error {
  constructor(message, code = '') {
    super(message);
    this.code = code;
  }
}

let config = null; // /auth_config.json: domain, issuer, clientId, audience
let session = null; // { accessToken, user, permissions }; in memory only, never stored

main();

async function main() {
  // The tenant sent the browser back with ?code=...&state=... (or ?error=...). The code is single
  // use and worth a token until redeemed: take it out of the address bar and the history first,
  // before anything that can fail (loading the configuration included) leaves it there.
  const callback = new URLSearchParams(window.location.search);
  const isCallback = callback.has('code') || callback.has('error');
  if (isCallback) {
    window.history.replaceState(null, '', window.location.pathname);
  }

  el('login').addEventListener('click', () => login().catch(showFailure));
  el('logout').addEventListener('click', () => logout().catch(showFailure));
  el('call-open').addEventListener('click', () => callApi('/api/open', false));
  el('call-members').addEventListener('click', () => callApi('/api/members-only', true));
  el('call-protected').addEventListener('click', () => callApi('/api/protected', true));

  try {
    config = await loadConfig();
    if (isCallback) {
      await finishLogin(callback);
    } else {
      await restoreSession();
    }
  } catch (err) {
    showFailure(err);
  }
  render();
}

async function loadConfig() {
  let response;
  try {
    response = await fetch('/auth_config.json', { cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    throw new LoginError('The app could not load its configuration (/auth_config.json). Is the server running?');
  }
  const body = response.ok ? await response.json().catch(() => null) : null;
  const fields = ['domain', 'issuer', 'clientId', 'audience'];
  if (!body || !fields.every((f) => typeof body[f] === 'string' && body[f] !== '')) {
    throw new LoginError(`The app's configuration (/auth_config.json) is unusable: HTTP ${response.status}.`);
  }
  return { ...body, origin: new URL(body.domain).origin };
}

// Log in: remember what this browser tab sent, then go to the tenant's login page. The button
// stays disabled until the page navigates away: a second click would start a second transaction
// that overwrites the first one's state while the first navigation may still win.
async function login() {
  clearError();
  if (!config) {
    throw new LoginError('Log-in is unavailable because the app configuration could not be loaded. Reload the page to try again.');
  }
  const button = el('login');
  button.disabled = true;
  try {
    if (!(await identityProviderReachable())) {
      throw unreachable();
    }
    const transaction = await newTransaction();
    sessionStorage.setItem(TRANSACTION_KEY, JSON.stringify(transaction));
    setState('loading');
    window.location.assign(authorizeUrl(transaction, { response_mode: 'query' }));
  } catch (err) {
    button.disabled = false;
    throw err;
  }
}

// finishLogin redeems the code the tenant sent back, if this tab asked for it.
async function finishLogin(params) {
  const stored = sessionStorage.getItem(TRANSACTION_KEY);
  sessionStorage.removeItem(TRANSACTION_KEY);

  const transaction = stored ? JSON.parse(stored) : null;
  // Checked before anything in the response is believed, even its error text: a response this tab
  // did not ask for may have been planted by someone else (RFC 6749 §10.12).
  if (!transaction || params.get('state') !== transaction.state) {
    throw new LoginError('This login response does not match a login started in this tab. Please log in again.');
  }
  // RFC 9207: when the tenant names itself, it must be the tenant we sent the user to.
  if (params.has('iss') && params.get('iss') !== config.issuer) {
    throw new LoginError('The login response came from an unexpected identity provider. Please log in again.');
  }
  if (params.has('error')) {
    throw new LoginError(describeAuthorizeError(params.get('error'), params.get('error_description')), params.get('error'));
  }
  session = await exchangeCode(params.get('code'), transaction);
}

// On page load, ask the tenant in a hidden iframe whether its session is still alive
// (prompt=none): the access token lives in memory only, so a reload needs this.
async function restoreSession() {
  if (!(await identityProviderReachable())) {
    showError(unreachable().message);
    return;
  }
  const transaction = await newTransaction();
  let response;
  try {
    response = await runIframe(authorizeUrl(transaction, { prompt: 'none', response_mode: 'web_message' }));
  } catch (err) {
    if (NEEDS_INTERACTION.has(err.code)) {
      return;
    }
    throw err;
  }
  if (response.state !== transaction.state) {
    throw new LoginError('The session check answered for another request (state mismatch). Please log in again.');
  }
  session = await exchangeCode(response.code, transaction);
}

// Log out here, then end the tenant's session too, which sends the browser back to this page.
// When the tenant cannot be reached, going there would strand the user on the browser's error
// page, so the page stays, logged out, and says what happened.
async function logout() {
  clearError();
  session = null;
  if (!(await identityProviderReachable())) {
    render();
    // The focused Log out button is gone; keyboard users continue from its replacement.
    el('login').focus();
    throw new LoginError(`You are logged out of this app, but the identity provider at ${config.domain} could not be reached to end its session. Log out again once it is running.`);
  }
  setState('loading');
  const params = new URLSearchParams({ client_id: config.clientId, returnTo: window.location.origin });
  window.location.assign(`${config.domain}/v2/logout?${params}`);
}

// --- Authorization request -------------------------------------------------------------------

// state ties the response to this tab, nonce ties the ID token to this request, and the PKCE
// verifier proves at the token endpoint that the code is being redeemed by whoever asked for it.
async function newTransaction() {
  if (!window.isSecureContext || !crypto.subtle) {
    throw new LoginError('Log-in needs a secure context: open the app over https or at http://localhost.');
  }
  const verifier = randomString();
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { state: randomString(), nonce: randomString(), verifier, challenge: base64url(new Uint8Array(digest)) };
}

function authorizeUrl(transaction, extra) {
  const params = new URLSearchParams({
    client_id: config.clientId,
    redirect_uri: window.location.origin,
    audience: config.audience,
    scope: SCOPE,
    response_type: 'code',
    state: transaction.state,
    nonce: transaction.nonce,
    code_challenge: transaction.challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${config.domain}/authorize?${params}`;
}

// runIframe loads the authorize URL in a hidden frame and waits for the tenant's
// response_mode=web_message answer, accepting it only from the tenant's origin and that frame.
function runIframe(url) {
  return new Promise((resolve, reject) => {
    const iframe = document.createElement('iframe');
    iframe.title = 'Session check';
    iframe.hidden = true;
    iframe.setAttribute('aria-hidden', 'true');
    iframe.tabIndex = -1;

    const settle = (fn) => {
      clearTimeout(timer);
      window.removeEventListener('message', onMessage);
      iframe.remove();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new LoginError(
      'Could not restore your session: the identity provider did not answer within ' +
      `${SILENT_AUTH_TIMEOUT_MS / 1000} s. For a real Auth0 tenant, add ${window.location.origin} ` +
      "to the application's Allowed Web Origins.", 'timeout'))), SILENT_AUTH_TIMEOUT_MS);

    function onMessage(event) {
      if (event.origin !== config.origin || event.source !== iframe.contentWindow) {
        return;
      }
      if (!event.data || event.data.type !== 'authorization_response') {
        return;
      }
      const response = event.data.response || {};
      if (response.error) {
        settle(() => reject(new LoginError(describeAuthorizeError(response.error, response.error_description), response.error)));
      } else {
        settle(() => resolve(response));
      }
    }

    window.addEventListener('message', onMessage);
    iframe.src = url;
    document.body.append(iframe);
  });
}

// --- Token request ---------------------------------------------------------------------------

async function exchangeCode(code, transaction) {
  if (!code) {
    throw new LoginError('The login response carried no authorization code. Please log in again.');
  }
  const tokens = await tokenRequest({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code,
    code_verifier: transaction.verifier,
    redirect_uri: window.location.origin,
  });
  if (typeof tokens.access_token !== 'string' || tokens.access_token === '') {
    throw new LoginError('The token response carried no access token.');
  }
  const user = checkIdToken(tokens.id_token, transaction.nonce);
  return { accessToken: tokens.access_token, user, permissions: permissionsOf(tokens.access_token) };
}

async function tokenRequest(fields) {
  let response;
  try {
    response = await fetch(`${config.domain}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw unreachable();
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = body && (body.error_description || body.error);
    throw new LoginError(`The identity provider refused the login (HTTP ${response.status}${reason ? `: ${reason}` : ''}). Please log in again.`);
  }
  if (!body) {
    throw new LoginError('The identity provider answered the token request with something that is not JSON.');
  }
  return body;
}

// checkIdToken applies the checks auth0-spa-js makes, in its order. Like the SDK it does not
// check the signature: the token came straight from the token endpoint over the connection the
// browser opened, not through anyone's hands.
function checkIdToken(idToken, nonce) {
  const fail = (why) => {
    throw new LoginError(`The ID token was rejected: ${why}. Please log in again.`);
  };
  if (typeof idToken !== 'string') {
    fail('the token response carried none');
  }
  const parts = idToken.split('.');
  if (parts.length !== 3) {
    fail('it is not a JWT');
  }
  let header;
  let claims;
  try {
    header = JSON.parse(decodeSegment(parts[0]));
    claims = JSON.parse(decodeSegment(parts[1]));
  } catch {
    fail('it cannot be decoded');
  }
  if (!isObject(header) || !isObject(claims)) {
    fail('its header or claims are not JSON objects');
  }
  if (typeof claims.iss !== 'string' || claims.iss !== config.issuer) {
    fail(`its issuer is not ${config.issuer}`);
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    fail('it names no subject');
  }
  if (header.alg !== 'RS256') {
    fail('it is not signed with RS256');
  }
  const aud = claims.aud;
  if (typeof aud === 'string') {
    if (aud !== config.clientId) {
      fail('it was issued to another application');
    }
  } else if (Array.isArray(aud)) {
    if (!aud.includes(config.clientId)) {
      fail('it was issued to another application');
    }
    if (aud.length > 1 && claims.azp !== config.clientId) {
      fail('its authorized party (azp) is not this application');
    }
  } else {
    fail('it has no audience');
  }
  if (claims.nonce !== nonce) {
    fail('its nonce does not match this login');
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    fail('its exp or iat is not a number');
  }
  const now = Date.now() / 1000;
  if (now > claims.exp + LEEWAY_SECONDS) {
    fail('it has expired (is this computer\'s clock right?)');
  }
  if (typeof claims.nbf === 'number' && now < claims.nbf - LEEWAY_SECONDS) {
    fail('it is not valid yet (is this computer\'s clock right?)');
  }
  return claims;
}

// permissionsOf reads the access token's "permissions" claim, only to decide which buttons to
// show. The API checks the token itself; this is a hint, not a guard.
function permissionsOf(accessToken) {
  try {
    const claims = JSON.parse(decodeSegment(accessToken.split('.')[1] || ''));
    return Array.isArray(claims.permissions) ? claims.permissions.filter((p) => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

// --- Calling the API -------------------------------------------------------------------------

async function callApi(path, withToken) {
  clearError();
  const headers = {};
  if (withToken && session) {
    headers.Authorization = `Bearer ${session.accessToken}`;
  }
  el('result-status').textContent = 'calling…';
  el('result-body').textContent = '';
  let response;
  try {
    response = await fetch(path, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    el('result-status').textContent = 'no answer';
    showError(`The demo app's API did not answer ${path}. Is the server running?`);
    return;
  }
  const text = await response.text();
  let body = text;
  try {
    body = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: show it as it came.
  }
  el('result-status').textContent = String(response.status);
  el('result-body').textContent = body;
}

// --- Page state ------------------------------------------------------------------------------

function render() {
  const loggedIn = session !== null;
  setState(loggedIn ? 'logged-in' : 'logged-out');
  el('login').hidden = loggedIn;
  el('logout').hidden = !loggedIn;
  el('profile').hidden = !loggedIn;
  el('call-members').hidden = !loggedIn;
  const mayReadProtected = loggedIn && session.permissions.includes('read:protected');
  el('call-protected').hidden = !mayReadProtected;
  el('protected-hint').hidden = !loggedIn || mayReadProtected;
  if (!loggedIn) {
    return;
  }
  const { user } = session;
  const name = user.name || user.nickname || user.email || user.sub;
  el('profile-name').textContent = name;
  el('profile-email').textContent = user.email || '';
  const picture = el('profile-picture');
  if (typeof user.picture === 'string' && /^(https?:|data:image\/)/.test(user.picture)) {
    picture.src = user.picture;
    picture.alt = `Picture of ${name}`;
    picture.hidden = false;
  } else {
    picture.hidden = true;
  }
}

function setState(state) {
  document.body.dataset.state = state;
}

function showFailure(err) {
  showError(err instanceof LoginError ? err.message : `Something went wrong: ${err && err.message ? err.message : err}`);
}

// The banner is role="alert": screen readers announce a change of its text, but only while it is
// shown, so it is shown first and filled second.
function showError(message) {
  const banner = el('error');
  banner.hidden = false;
  banner.textContent = message;
}

function clearError() {
  el('error').hidden = true;
  el('error').textContent = '';
}

function describeAuthorizeError(code, description) {
  const detail = description ? `: ${description}` : '';
  if (code === 'access_denied') {
    return `Login was cancelled or refused${detail}.`;
  }
  return `Login failed (${code})${detail}.`;
}

function unreachable() {
  return new LoginError(`Cannot reach the identity provider at ${config.domain}. Check that it is running, then reload the page.`);
}

// A no-cors request succeeds whenever the server answers at all, and fails only when nothing is
// listening: enough to tell "down" from "up" without the tenant having to allow CORS.
async function identityProviderReachable() {
  try {
    await fetch(`${config.issuer}.well-known/openid-configuration`, {
      mode: 'no-cors',
      cache: 'no-store',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    return true;
  } catch {
    return false;
  }
}

// --- Encoding --------------------------------------------------------------------------------

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function base64url(bytes) {
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeSegment(segment) {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
