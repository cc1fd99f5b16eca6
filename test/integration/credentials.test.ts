import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMissingCredentials } from '../../src/domain/credentials/missing-credentials.js';
import { readSecretAudited } from '../../src/domain/credentials/read-secret-audited.js';
import { MAX_CREDENTIAL_VALUE_BYTES } from '../../src/domain/credentials/schemas.js';
import { startHarness, type Harness } from '../support/harness.js';

const secretValue = () => `sk-live-${randomBytes(18).toString('base64url')}`;

describe('credentials', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  /** Every response body of the test, so the value can be searched for in all of them. */
  const seen: unknown[] = [];
  async function call(method: string, path: string, init: { token: string; body?: unknown }) {
    const response = await h.request(method, path, init);
    seen.push(response.body);
    return response;
  }

  it('stores, replaces, lists and deletes a credential, auditing each change but never the value', async () => {
    const acme = await h.createOrg();
    const first = secretValue();
    const second = secretValue();
    const put = await call('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: acme.token,
      body: { value: first },
    });
    expect(put.status).toBe(204);
    expect(put.body).toBeNull();
    expect(
      (await call('PUT', '/v1/credentials/SHOP_API_KEY', { token: acme.token, body: { value: second } }))
        .status,
    ).toBe(204);
    expect(
      (await call('PUT', '/v1/credentials/OPENAI_API_KEY', { token: acme.token, body: { value: first } }))
        .status,
    ).toBe(204);
    expect(await h.secrets.get(acme.org.id, 'SHOP_API_KEY')).toBe(second);

    const listed = await call('GET', '/v1/credentials', { token: acme.token });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      credentials: [
        {
          name: 'OPENAI_API_KEY',
          version: 1,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          usedBy: [],
        },
        {
          name: 'SHOP_API_KEY',
          version: 2,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          usedBy: [],
        },
      ],
    });

    expect((await call('DELETE', '/v1/credentials/SHOP_API_KEY', { token: acme.token })).status).toBe(204);
    const again = await call('DELETE', '/v1/credentials/SHOP_API_KEY', { token: acme.token });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');
    expect((await call('GET', '/v1/credentials', { token: acme.token })).body.credentials).toEqual([
      expect.objectContaining({ name: 'OPENAI_API_KEY' }),
    ]);

    const audit = await call('GET', '/v1/audit', { token: acme.token });
    const credentialEvents = audit.body.events.filter((e: any) => e.subjectType === 'credential');
    expect(credentialEvents.map((e: any) => [e.action, e.subjectId])).toEqual([
      ['credential.created', 'SHOP_API_KEY'],
      ['credential.replaced', 'SHOP_API_KEY'],
      ['credential.created', 'OPENAI_API_KEY'],
      ['credential.deleted', 'SHOP_API_KEY'],
    ]);
    expect(credentialEvents[0].actorRole).toBe('admin');

    const everything = JSON.stringify(seen);
    expect(everything).not.toContain(first);
    expect(everything).not.toContain(second);
    const auditRows = await h.db.query('SELECT * FROM audit_events WHERE org_id = $1', [acme.org.id]);
    expect(JSON.stringify(auditRows.rows)).not.toContain(first);
    expect(JSON.stringify(auditRows.rows)).not.toContain(second);
  });

  it('answers 400 with field paths for bad names and bodies, without echoing the value', async () => {
    const acme = await h.createOrg();
    const badName = await h.request('PUT', '/v1/credentials/lower_case', {
      token: acme.token,
      body: { value: 'x' },
    });
    expect(badName.status).toBe(400);
    expect(badName.body.error.details).toEqual([{ path: 'param.name', message: expect.any(String) }]);

    for (const body of [{}, { value: '' }, { value: 42 }]) {
      const invalid = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', { token: acme.token, body });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details).toEqual([{ path: 'json.value', message: expect.any(String) }]);
    }

    const tooLarge = `${secretValue()}${'x'.repeat(MAX_CREDENTIAL_VALUE_BYTES)}`;
    const large = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: acme.token,
      body: { value: tooLarge },
    });
    expect(large.status).toBe(400);
    expect(large.body.error.details).toEqual([
      { path: 'json.value', message: expect.stringMatching(/bytes/) },
    ]);
    expect(JSON.stringify(large.body)).not.toContain(tooLarge.slice(0, 30));

    const huge = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: acme.token,
      body: { value: 'x'.repeat(MAX_CREDENTIAL_VALUE_BYTES * 7) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');

    expect((await h.request('DELETE', '/v1/credentials/not-valid', { token: acme.token })).status).toBe(400);
    expect((await h.request('GET', '/v1/credentials', { token: acme.token })).body.credentials).toEqual([]);
  });

  it('refuses member keys and platform keys with 403', async () => {
    const acme = await h.createOrg();
    await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: acme.token,
      body: { value: secretValue() },
    });
    const member = await h.createOrgKey(acme.org.id, acme.token, 'member');
    const reviewer = await h.createPlatformKey('reviewer');
    for (const token of [member, reviewer, h.adminToken]) {
      const put = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', { token, body: { value: 'x' } });
      expect(put.status).toBe(403);
      expect(put.body.error.code).toBe('forbidden');
      expect((await h.request('GET', '/v1/credentials', { token })).status).toBe(403);
      expect((await h.request('DELETE', '/v1/credentials/SHOP_API_KEY', { token })).status).toBe(403);
    }
    expect((await h.request('GET', '/v1/credentials', { token: acme.token })).body.credentials).toHaveLength(
      1,
    );
    expect((await h.request('PUT', '/v1/credentials/X', { token: null, body: { value: 'x' } })).status).toBe(
      401,
    );
  });

  it("keeps tenants apart: B cannot read, list, overwrite or delete A's credentials", async () => {
    const acme = await h.createOrg();
    const globex = await h.createOrg();
    const value = secretValue();
    await h.request('PUT', '/v1/credentials/SHOP_API_KEY', { token: acme.token, body: { value } });

    expect((await h.request('GET', '/v1/credentials', { token: globex.token })).body).toEqual({
      credentials: [],
    });
    expect((await h.request('DELETE', '/v1/credentials/SHOP_API_KEY', { token: globex.token })).status).toBe(
      404,
    );
    const theirs = secretValue();
    await h.request('PUT', '/v1/credentials/SHOP_API_KEY', { token: globex.token, body: { value: theirs } });
    expect(await h.secrets.get(acme.org.id, 'SHOP_API_KEY')).toBe(value);
    expect(await h.secrets.get(globex.org.id, 'SHOP_API_KEY')).toBe(theirs);
    const acmeList = (await h.request('GET', '/v1/credentials', { token: acme.token })).body.credentials;
    expect(acmeList).toEqual([expect.objectContaining({ name: 'SHOP_API_KEY', version: 1 })]);
    const globexAudit = (await h.request('GET', '/v1/audit', { token: globex.token })).body.events;
    expect(globexAudit.every((e: any) => e.orgId === globex.org.id)).toBe(true);
  });

  it('documents the credential routes in the OpenAPI document, value write-only', async () => {
    const doc = (await h.request('GET', '/openapi.json', { token: null })).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/credentials', '/v1/credentials/{name}']),
    );
    const body = doc.paths['/v1/credentials/{name}'].put.requestBody.content['application/json'].schema;
    expect(JSON.stringify(body)).toContain('writeOnly');
  });

  describe('readSecretAudited and findMissingCredentials', () => {
    it('reads the value and records who read which secret for what, never the value', async () => {
      const acme = await h.createOrg();
      const value = secretValue();
      await h.request('PUT', '/v1/credentials/SHOP_API_KEY', { token: acme.token, body: { value } });
      const actor = { keyId: 'key_installer', role: 'admin' as const };

      const read = await readSecretAudited(h, {
        orgId: acme.org.id,
        name: 'SHOP_API_KEY',
        purpose: { installationId: 'inst-123' },
        actor,
      });
      expect(read).toBe(value);
      const missing = await readSecretAudited(h, {
        orgId: acme.org.id,
        name: 'NOT_THERE',
        purpose: { executionId: 'exec-456' },
        actor: null,
      });
      expect(missing).toBeNull();

      const audit = await h.request('GET', '/v1/audit', { token: acme.token });
      const reads = audit.body.events.filter((e: any) => e.action.startsWith('credential.read'));
      expect(reads).toEqual([
        expect.objectContaining({
          orgId: acme.org.id,
          action: 'credential.read',
          subjectType: 'credential',
          subjectId: 'SHOP_API_KEY',
          actorKeyId: 'key_installer',
          actorRole: 'admin',
          details: { installationId: 'inst-123' },
          createdAt: expect.any(String),
        }),
        expect.objectContaining({
          action: 'credential.read_missing',
          subjectId: 'NOT_THERE',
          actorKeyId: null,
          details: { executionId: 'exec-456' },
        }),
      ]);
      expect(JSON.stringify(audit.body)).not.toContain(value);
    });

    it('names the declared credentials a tenant does not hold, reading no values', async () => {
      const acme = await h.createOrg();
      await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
        token: acme.token,
        body: { value: secretValue() },
      });
      expect(
        await findMissingCredentials(h.secrets, acme.org.id, [
          'OPENAI_API_KEY',
          'SHOP_API_KEY',
          'SLACK_TOKEN',
        ]),
      ).toEqual(['OPENAI_API_KEY', 'SLACK_TOKEN']);
      const audit = await h.request('GET', '/v1/audit', { token: acme.token });
      expect(audit.body.events.some((e: any) => e.action.startsWith('credential.read'))).toBe(false);
    });
  });
});
