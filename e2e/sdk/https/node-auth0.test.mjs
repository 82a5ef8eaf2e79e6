// The `auth0` package's v4 AuthenticationClient, which many back ends still
// use, against the emulator over https: it builds https://${domain} itself
// and trusts the emulator's local CA through NODE_EXTRA_CA_CERTS. Its ID token
// validator checks each ID token against https://${domain}/ and its JWKS.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationClient, UserInfoClient } from 'auth0';
import { AUDIENCE, CLIENTS, DEMOAPP_URL, ISSUER, MOCKIDP_HOST, USERS, installedVersion, jwtPayload, preflight } from '../lib/config.mjs';
import { callApp, recordingFetch } from '../lib/login.mjs';
import { recorder } from '../lib/results.mjs';

const SDK = 'auth0';
const flow = recorder(SDK, installedVersion(SDK));
const REALM = 'Username-Password-Authentication';
const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';

before(async () => {
  await preflight({ app: true });
});

function client(c = CLIENTS.web) {
  const rec = recordingFetch();
  const auth = new AuthenticationClient({ domain: MOCKIDP_HOST, clientId: c.id, clientSecret: c.secret, fetch: rec.fetch });
  return { auth, rec };
}

const alice = (extra = {}) => ({
  username: USERS.alice.email,
  password: USERS.alice.password,
  audience: AUDIENCE,
  scope: 'openid profile email offline_access read:protected',
  ...extra,
});

flow('client credentials', 'oauth.clientCredentialsGrant, token accepted by the demo API', async () => {
  const { auth, rec } = client(CLIENTS.m2m);
  const { data, status } = await auth.oauth.clientCredentialsGrant({ audience: AUDIENCE });
  assert.equal(status, 200);
  assert.deepEqual(rec.grants(), ['client_credentials']);
  const claims = jwtPayload(data.access_token);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.sub, `${CLIENTS.m2m.id}@clients`);
  const res = await callApp(DEMOAPP_URL, '/api/protected', data.access_token);
  assert.equal(res.status, 200, JSON.stringify(res));
});

flow('password', 'oauth.passwordGrant, ID token validated by the SDK', async () => {
  const { auth, rec } = client();
  const { data } = await auth.oauth.passwordGrant(alice());
  assert.deepEqual(rec.grants(), ['password']);
  assert.equal(jwtPayload(data.access_token).sub, USERS.alice.sub);
  assert.equal(jwtPayload(data.id_token).iss, ISSUER);
  assert.ok(data.refresh_token, 'offline_access gives a refresh token');

  await assert.rejects(auth.oauth.passwordGrant(alice({ password: 'not-her-password' })), (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.error, 'invalid_grant');
    assert.equal(err.error_description, 'Wrong email or password.');
    return true;
  });
});

flow('password-realm', 'oauth.passwordGrant with a realm sends the password-realm grant', async () => {
  const { auth, rec } = client();
  const { data } = await auth.oauth.passwordGrant(alice({ realm: REALM }));
  assert.deepEqual(rec.grants(), [PASSWORD_REALM]);
  assert.equal(rec.calls.at(-1).params.realm, REALM);
  assert.equal(jwtPayload(data.access_token).sub, USERS.alice.sub);

  await assert.rejects(auth.oauth.passwordGrant(alice({ realm: 'No-Such-Connection' })), (err) => {
    assert.equal(err.statusCode, 400);
    assert.equal(err.error, 'invalid_request');
    return true;
  });
});

flow('refresh token', 'oauth.refreshTokenGrant, rotated', async () => {
  const { auth, rec } = client();
  const { data: first } = await auth.oauth.passwordGrant(alice());
  const { data: second } = await auth.oauth.refreshTokenGrant({ refresh_token: first.refresh_token });
  assert.deepEqual(rec.grants(), ['password', 'refresh_token']);
  assert.equal(jwtPayload(second.access_token).sub, USERS.alice.sub);
  assert.ok(second.refresh_token && second.refresh_token !== first.refresh_token, 'a new refresh token');
});

flow('userinfo', 'UserInfoClient.getUserInfo', async () => {
  const { auth } = client();
  const { data: tok } = await auth.oauth.passwordGrant(alice());
  const { data: info } = await new UserInfoClient({ domain: MOCKIDP_HOST }).getUserInfo(tok.access_token);
  assert.equal(info.sub, USERS.alice.sub);
  assert.equal(info.email, USERS.alice.email);
  await assert.rejects(new UserInfoClient({ domain: MOCKIDP_HOST }).getUserInfo('not-a-token'), (err) => err.statusCode === 401);
});

flow('revoke', 'oauth.revokeRefreshToken, then the refresh token is refused', async () => {
  const { auth, rec } = client();
  const { data: tok } = await auth.oauth.passwordGrant(alice());
  await auth.oauth.revokeRefreshToken({ token: tok.refresh_token });
  assert.ok(rec.calls.some((c) => c.url.pathname === '/oauth/revoke' && c.params.token === tok.refresh_token));
  await assert.rejects(auth.oauth.refreshTokenGrant({ refresh_token: tok.refresh_token }), (err) => {
    assert.equal(err.statusCode, 403);
    assert.equal(err.error, 'invalid_grant');
    return true;
  });
});
