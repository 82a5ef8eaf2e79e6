// Settings shared by the scenarios. The Go test that runs this suite picks
// random ports and passes them in; the defaults match `go run ./mockidp` and
// `go run ./demoapp` on their default addresses.
import { readFileSync } from 'node:fs';
import { mapHost } from './resolve.mjs';

const trimSlash = (s) => s.replace(/\/+$/, '');

/** The emulator's origin, e.g. http://localhost:4000 (the issuer is this + "/"). */
export const MOCKIDP_DOMAIN = trimSlash(process.env.MOCKIDP_DOMAIN || 'http://localhost:4000');
/** The demo app's origin; the tenant's demo-spa callbacks and web origins are this origin. */
export const DEMOAPP_URL = trimSlash(process.env.DEMOAPP_URL || 'http://localhost:3000');
export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium';
/**
 * The loopback address the emulator's host name stands for, when no DNS knows
 * it (https://tenant.tenantless.test); empty when it resolves as it is.
 */
export const MOCKIDP_ADDRESS = process.env.MOCKIDP_ADDRESS || '';
/** The HOME Chromium runs with: its NSS database ($HOME/.pki/nssdb) trusts an https emulator's CA. */
export const BROWSER_HOME = process.env.BROWSER_HOME || '';
export const SDK_RESULTS = process.env.SDK_RESULTS || '';

export const ISSUER = MOCKIDP_DOMAIN + '/';
export const APP_ORIGIN = new URL(DEMOAPP_URL).origin;
export const IDP_ORIGIN = new URL(MOCKIDP_DOMAIN).origin;
/** The emulator's host (and port, if any): the `domain` of SDKs that always add https://. */
export const MOCKIDP_HOST = new URL(MOCKIDP_DOMAIN).host;

if (MOCKIDP_ADDRESS) mapHost(new URL(MOCKIDP_DOMAIN).hostname, MOCKIDP_ADDRESS);
export const AUDIENCE = 'https://api.example.com';

export const USERS = {
  alice: { email: 'alice@example.com', password: 'alice-password', sub: 'auth0|alice' },
  bob: { email: 'bob@example.com', password: 'bob-password', sub: 'auth0|bob' },
};

export const CLIENTS = {
  spa: { id: 'demo-spa' },
  m2m: { id: 'demo-m2m', secret: 'demo-m2m-secret' },
  web: { id: 'demo-web', secret: 'demo-web-secret' },
};

/**
 * The installed version of an npm package, from its package.json in this
 * package's node_modules (read by path: some packages do not export it).
 */
export function installedVersion(name) {
  const pkgPath = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(pkgPath, 'utf8')).version;
}

/** Decodes a JWT's payload without checking anything. */
export function jwtPayload(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${String(token).slice(0, 20)}…`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

/**
 * Fails fast, with the address, when the emulator is not serving the expected
 * issuer (or, with `app`, the demo app does not answer), instead of letting
 * every scenario time out.
 */
export async function preflight({ app = false } = {}) {
  const discovery = `${MOCKIDP_DOMAIN}/.well-known/openid-configuration`;
  let doc;
  try {
    const res = await fetch(discovery, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    doc = await res.json();
  } catch (err) {
    throw new Error(`mockidp not reachable at ${discovery} (set MOCKIDP_DOMAIN): ${err.message}`);
  }
  if (doc.issuer !== ISSUER) {
    throw new Error(`mockidp at ${MOCKIDP_DOMAIN} says issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(ISSUER)}`);
  }
  if (app) {
    const open = `${DEMOAPP_URL}/api/open`;
    try {
      const res = await fetch(open, { signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    } catch (err) {
      throw new Error(`demo app not reachable at ${open} (set DEMOAPP_URL): ${err.message}`);
    }
  }
}
