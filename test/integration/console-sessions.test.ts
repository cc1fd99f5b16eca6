// Console sessions: an API key exchanged for an HttpOnly, SameSite=Strict cookie (Secure over https),
// stored hashed, with expiry; GET /v1/me; sign-out; sessions die with their key; CSRF on writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/domain/auth/api-keys.js';
import { startHarness, type Harness } from '../support/harness.js';

/** The session cookie's `name=value` and its attributes, from a Set-Cookie header. */
function sessionCookie(headers: Headers) {
  const line = headers.getSetCookie().find((cookie) => /^(__Host-)?bazaar_session=/.test(cookie));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(headers.getSetCookie())}`);
  const [pair, ...attributes] = line.split(';').map((part) => part.trim());
  return { pair: pair!, value: pair!.split('=')[1]!, attributes, line };
}

describe('console sessions', () => {
  let h: Harness;
  let org: { org: { id: string; name: string }; token: string };

  beforeAll(async () => {
    h = await startHarness({ env: { SESSION_TTL_SECONDS: '3600' } });
    org = await h.createOrg('Globex Retail');
  });
  afterAll(() => h.stop());

  async function signIn(apiKey: string, url = '/v1/sessions', headers: Record<string, string> = {}) {
    const response = await h.request('POST', url, { token: null, body: { apiKey }, headers });
    return { ...response, cookie: response.status === 201 ? sessionCookie(response.headers) : null };
  }
  /** Calls the API with the session cookie (and the CSRF token when given), no key. */
  const withSession = (method: string, path: string, cookie: string, csrf?: string, body?: unknown) =>
    h.request(method, path, {
      token: null,
      body,
      headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) },
    });

  it('exchanges a key for an HttpOnly, SameSite=Strict cookie, stored only as a hash, with expiry', async () => {
    const signedIn = await signIn(org.token);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body.principal).toMatchObject({
      kind: 'org',
      orgId: org.org.id,
      orgName: 'Globex Retail',
      role: 'admin',
      keyName: 'first admin key',
      session: { csrfToken: expect.any(String), expiresAt: expect.any(String) },
    });
    const cookie = signedIn.cookie!;
    expect(cookie.pair).toMatch(/^bazaar_session=[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=3600']),
    );
    expect(cookie.attributes).not.toContain('Secure'); // plain http: a Secure cookie would never return
    // The key is nowhere in the answer, and the session id is stored only hashed.
    expect(JSON.stringify(signedIn.body)).not.toContain(org.token);
    const stored = await h.db.query('SELECT id_hash, expires_at FROM console_sessions WHERE id_hash = $1', [
      hashSecret(cookie.value),
    ]);
    expect(stored.rows).toHaveLength(1);
    const { rows: plain } = await h.db.query('SELECT 1 FROM console_sessions WHERE id_hash = $1', [
      cookie.value,
    ]);
    expect(plain).toHaveLength(0);
    const lifetime = (stored.rows[0].expires_at.getTime() - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(3500);
    expect(lifetime).toBeLessThanOrEqual(3600);

    const me = await withSession('GET', '/v1/me', cookie.pair);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'org', orgId: org.org.id, role: 'admin' });
    expect(me.body.session.csrfToken).toBe(signedIn.body.principal.session.csrfToken);
  });

  it('answers GET /v1/me to a key too, without a session', async () => {
    const me = await h.request('GET', '/v1/me', { token: org.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      kind: 'org',
      orgId: org.org.id,
      orgName: 'Globex Retail',
      role: 'admin',
      keyId: expect.stringMatching(/^key_/),
      keyName: 'first admin key',
    });
    const platform = await h.request('GET', '/v1/me', { token: h.adminToken });
    expect(platform.body).toEqual({
      kind: 'platform',
      role: 'platform-admin',
      keyId: 'key_bootstrap_admin',
      keyName: 'ADMIN_TOKEN',
    });
    const reviewer = await h.createPlatformKey('reviewer');
    const viaSession = await signIn(reviewer);
    expect(viaSession.body.principal).toMatchObject({ kind: 'platform', role: 'reviewer' });
  });

  it('refuses a wrong key, a bad body and a cross-site sign-in', async () => {
    const wrong = await signIn('bzr_key_0123456789abcdef_' + 'A'.repeat(43));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const empty = await h.request('POST', '/v1/sessions', { token: null, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details[0].path).toBe('json.apiKey');
    const crossSite = await signIn(org.token, '/v1/sessions', { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
  });

  it('sets a Secure __Host- cookie over https, and behind a proxy only when TRUST_PROXY says so', async () => {
    const direct = await signIn(org.token, 'https://console.example/v1/sessions');
    expect(direct.cookie!.pair).toMatch(/^__Host-bazaar_session=/);
    expect(direct.cookie!.attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'Path=/']));
    // The __Host- cookie authenticates like the plain one.
    expect((await withSession('GET', '/v1/me', direct.cookie!.pair)).status).toBe(200);

    // Not trusted by default: anyone can send the header.
    const untrusted = await signIn(org.token, '/v1/sessions', { 'x-forwarded-proto': 'https' });
    expect(untrusted.cookie!.attributes).not.toContain('Secure');

    const behindProxy = await startHarness({ env: { TRUST_PROXY: 'true' } });
    try {
      const proxied = await behindProxy.createOrg();
      const response = await behindProxy.request('POST', '/v1/sessions', {
        token: null,
        body: { apiKey: proxied.token },
        headers: { 'x-forwarded-proto': 'https, http' },
      });
      expect(sessionCookie(response.headers).attributes).toContain('Secure');
      const plain = await behindProxy.request('POST', '/v1/sessions', {
        token: null,
        body: { apiKey: proxied.token },
        headers: { 'x-forwarded-proto': 'http' },
      });
      expect(sessionCookie(plain.headers).attributes).not.toContain('Secure');
    } finally {
      await behindProxy.stop();
    }
  });

  it('refuses a cookie-authenticated change without the CSRF token, and accepts it with the token', async () => {
    const { cookie, body } = await signIn(org.token);
    const csrf = body.principal.session.csrfToken as string;
    const credential = { value: 'sk_test_console' };

    const without = await withSession(
      'PUT',
      '/v1/credentials/CONSOLE_KEY',
      cookie!.pair,
      undefined,
      credential,
    );
    expect(without.status).toBe(403);
    expect(without.body.error.message).toContain('x-csrf-token');
    const wrong = await withSession(
      'PUT',
      '/v1/credentials/CONSOLE_KEY',
      cookie!.pair,
      'x'.repeat(43),
      credential,
    );
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this session.
    const other = await signIn(org.token);
    const foreign = await withSession(
      'PUT',
      '/v1/credentials/CONSOLE_KEY',
      cookie!.pair,
      other.body.principal.session.csrfToken,
      credential,
    );
    expect(foreign.status).toBe(403);
    const crossSite = await h.request('PUT', '/v1/credentials/CONSOLE_KEY', {
      token: null,
      body: credential,
      headers: { cookie: cookie!.pair, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect((await h.request('GET', '/v1/credentials', { token: org.token })).body.credentials).toEqual([]);

    const accepted = await withSession('PUT', '/v1/credentials/CONSOLE_KEY', cookie!.pair, csrf, credential);
    expect(accepted.status).toBe(204);
    const listed = await withSession('GET', '/v1/credentials', cookie!.pair);
    expect(listed.status).toBe(200);
    expect(listed.body.credentials.map((c: { name: string }) => c.name)).toEqual(['CONSOLE_KEY']);
  });

  it('keeps API keys working without any CSRF token, and prefers the key over a cookie', async () => {
    const member = await h.createOrgKey(org.org.id, org.token, 'member');
    const { cookie } = await signIn(org.token);
    const put = await h.request('PUT', '/v1/credentials/KEY_ONLY', {
      token: org.token,
      body: { value: 'v' },
    });
    expect(put.status).toBe(204);
    // The member key decides (403 on an admin route), not the admin session beside it.
    const both = await h.request('PUT', '/v1/credentials/KEY_ONLY', {
      token: member,
      body: { value: 'v' },
      headers: { cookie: cookie!.pair },
    });
    expect(both.status).toBe(403);
    expect(both.body.error.message).not.toContain('csrf');
  });

  it('signs out: the session ends, the cookie is cleared, and the old cookie no longer works', async () => {
    const { cookie, body } = await signIn(org.token);
    const csrf = body.principal.session.csrfToken;
    expect((await withSession('DELETE', '/v1/sessions/current', cookie!.pair)).status).toBe(403);
    const out = await withSession('DELETE', '/v1/sessions/current', cookie!.pair, csrf);
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie().find((line) => line.startsWith('bazaar_session='));
    expect(cleared).toMatch(/Max-Age=0/);
    const after = await withSession('GET', '/v1/me', cookie!.pair);
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('sign in again');
    const { rows } = await h.db.query('SELECT 1 FROM console_sessions WHERE id_hash = $1', [
      hashSecret(cookie!.value),
    ]);
    expect(rows).toHaveLength(0);
    // With a key there is no session to end.
    const withKey = await h.request('DELETE', '/v1/sessions/current', { token: org.token });
    expect(withKey.status).toBe(409);

    const audit = await h.request('GET', '/v1/audit', { token: org.token });
    const actions = audit.body.events.map((event: { action: string }) => event.action);
    expect(actions).toContain('session.created');
    expect(actions).toContain('session.ended');
  });

  it('ends sessions at their expiry', async () => {
    const { cookie } = await signIn(org.token);
    expect((await withSession('GET', '/v1/me', cookie!.pair)).status).toBe(200);
    await h.db.query(
      `UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1`,
      [hashSecret(cookie!.value)],
    );
    expect((await withSession('GET', '/v1/me', cookie!.pair)).status).toBe(401);
    // Expired rows are swept at the next sign-in.
    await signIn(org.token);
    const { rows } = await h.db.query('SELECT 1 FROM console_sessions WHERE expires_at < now()');
    expect(rows).toHaveLength(0);
  });

  it('kills a session when its key is revoked', async () => {
    const issued = await h.request('POST', `/v1/orgs/${org.org.id}/keys`, {
      token: org.token,
      body: { name: 'laptop', role: 'member' },
    });
    const { cookie } = await signIn(issued.body.token);
    const me = await withSession('GET', '/v1/me', cookie!.pair);
    expect(me.body).toMatchObject({ role: 'member', keyName: 'laptop' });
    expect((await h.request('DELETE', `/v1/keys/${issued.body.key.id}`, { token: org.token })).status).toBe(
      204,
    );
    expect((await withSession('GET', '/v1/me', cookie!.pair)).status).toBe(401);
    expect((await withSession('GET', '/v1/listings', cookie!.pair)).status).toBe(401);
    // A revoked key cannot start a new session either.
    expect((await signIn(issued.body.token)).status).toBe(401);
  });

  it('refuses a malformed or unknown cookie with 401', async () => {
    for (const pair of ['bazaar_session=nonsense', `bazaar_session=${'A'.repeat(43)}`]) {
      const response = await withSession('GET', '/v1/me', pair);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
  });
});
