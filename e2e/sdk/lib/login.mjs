// The emulator's login as a browser without JavaScript does it, for SDKs that
// run on a server: follow the redirects from /authorize by hand with the
// emulator's cookies, fill the Universal-Login-compatible form, and stop at
// the redirect back to the application (the callback with ?code=&state=).
import assert from 'node:assert/strict';
import { IDP_ORIGIN } from './config.mjs';

const MAX_HOPS = 10;

/** Cookies of one origin, as a browser keeps them (names and values only). */
export class CookieJar {
  #cookies = new Map();

  /** Keeps the Set-Cookie headers of a fetch Response; Max-Age=0 deletes. */
  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const maxAge = attrs.map((a) => a.split('=')).find(([k]) => k.trim().toLowerCase() === 'max-age');
      if (maxAge && Number(maxAge[1]) <= 0) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  has(name) {
    return this.#cookies.has(name);
  }
}

/**
 * GET (or POST a form to) an emulator URL without following redirects. `origin`
 * is the emulator's, for a suite that runs a second one.
 */
export async function idpRequest(jar, url, form, origin = IDP_ORIGIN) {
  const u = new URL(url);
  assert.equal(u.origin, origin, `only the emulator's cookies are kept: ${url}`);
  const headers = { cookie: jar.header() };
  const init = { redirect: 'manual', headers, signal: AbortSignal.timeout(10_000) };
  if (form) {
    init.method = 'POST';
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form);
  }
  const res = await fetch(u, init);
  jar.store(res);
  return res;
}

/** The login form's action and hidden fields. */
function loginForm(html, pageURL) {
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  assert.ok(form && /id="username"/.test(form[2]), `no login form with input#username at ${pageURL}`);
  const fields = {};
  for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = decodeEntities(m[2]);
  }
  return { action: new URL(decodeEntities(form[1]), pageURL).href, fields };
}

function decodeEntities(s) {
  return s.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|#39);/gi, (m, e) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" }[e.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(e[1].toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

/**
 * Follows `url` (an /authorize or logout URL) through the emulator, logging in
 * as `user` if the login page comes up, and returns the first URL outside the
 * emulator (at `origin`) it redirects to.
 */
export async function followToApp(jar, url, user, origin = IDP_ORIGIN) {
  let next = url;
  let form;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const res = await idpRequest(jar, next, form, origin);
    form = undefined;
    if (res.status >= 300 && res.status < 400) {
      const location = new URL(res.headers.get('location'), next);
      await res.arrayBuffer();
      if (location.origin !== origin) return location;
      next = location.href;
      continue;
    }
    const body = await res.text();
    assert.equal(res.status, 200, `${next} answered ${res.status}: ${body.slice(0, 300)}`);
    assert.ok(user, `${next} shows a page, and no user was given to log in with`);
    const login = loginForm(body, next);
    form = { ...login.fields, username: user.email, password: user.password, action: 'default' };
    next = login.action;
  }
  throw new Error(`more than ${MAX_HOPS} hops from ${url}`);
}

/**
 * A fetch that records each request's URL, method and form or JSON body, and
 * passes it on to `base` (the global fetch as it is now, by default).
 */
export function recordingFetch(base = globalThis.fetch) {
  const calls = [];
  const record = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    let body = init.body ?? (input instanceof Request ? await input.clone().text() : undefined);
    if (body instanceof URLSearchParams) body = body.toString();
    let params = {};
    if (typeof body === 'string' && body) {
      try {
        params = JSON.parse(body);
      } catch {
        params = Object.fromEntries(new URLSearchParams(body));
      }
    }
    calls.push({ url, method: init.method ?? (input instanceof Request ? input.method : 'GET'), params });
    return base(input, init);
  };
  return { fetch: record, calls, grants: () => calls.filter((c) => c.url.pathname === '/oauth/token').map((c) => c.params.grant_type) };
}

/** Calls the demo app's API with a bearer token: {status, body}. */
export async function callApp(appURL, path, token) {
  const res = await fetch(appURL + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json().catch(() => null) };
}
