// The QA tenant (fixtures/qa-tenant.yaml) on a second emulator, whose Actions
// shape its tokens: the Go test serves it in process and passes its origin in
// MOCKIDP_QA_DOMAIN. By hand:
//   go run ./mockidp --tenant fixtures/qa-tenant.yaml --addr localhost:4001 --issuer http://localhost:4001/
const trimSlash = (s) => s.replace(/\/+$/, '');

/** The QA emulator's origin; its issuer is this + "/". */
export const QA_DOMAIN = trimSlash(process.env.MOCKIDP_QA_DOMAIN || 'http://localhost:4001');
export const QA_ISSUER = QA_DOMAIN + '/';
export const QA_ORIGIN = new URL(QA_DOMAIN).origin;
export const QA_AUDIENCE = 'https://orders.example.com';
/** The namespace of the claims the tenant's Actions set. */
export const NS = 'https://example.com';

export const QA_USERS = {
  // Order Manager; app_metadata.plan enterprise, user_metadata.theme dark.
  carol: { email: 'carol@example.com', password: 'carol-password', sub: 'auth0|carol' },
  // Order Viewer and Billing Admin.
  dave: { email: 'dave@example.com', password: 'dave-password', sub: 'auth0|dave' },
  // app_metadata.suspended: the deny-suspended Action refuses his logins.
  frank: { email: 'frank@example.com', password: 'frank-password' },
};

export const QA_CLIENTS = {
  spa: { id: 'qa-spa' },
  // client_metadata.partner_id acme-logistics; client_secret_basic.
  m2m: { id: 'qa-m2m', secret: 'qa-m2m-secret' },
};

/** Fails fast, with the address, when the QA emulator is not serving its issuer. */
export async function qaPreflight() {
  const discovery = `${QA_DOMAIN}/.well-known/openid-configuration`;
  let doc;
  try {
    const res = await fetch(discovery, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    doc = await res.json();
  } catch (err) {
    throw new Error(`the QA tenant's mockidp is not reachable at ${discovery} (set MOCKIDP_QA_DOMAIN): ${err.message}`);
  }
  if (doc.issuer !== QA_ISSUER) {
    throw new Error(`mockidp at ${QA_DOMAIN} says issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(QA_ISSUER)}`);
  }
}
