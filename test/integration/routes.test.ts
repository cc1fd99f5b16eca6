import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { uploadCodeIfProcess } from '../support/publish.js';

describe('API spine', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  describe('public endpoints', () => {
    it('reports health of the API, database and Temporal, with a request id', async () => {
      const health = await h.request('GET', '/health', { token: null });
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', api: 'ok', database: 'ok', temporal: 'ok' });
      // Container agents need KUBERNETES_RUNTIME, which this harness leaves off.
      expect(health.body.agentRuntimes).toEqual(['process', 'remote']);
      expect(health.body.agentIsolation).toEqual({
        level: expect.stringMatching(/^(namespaces|process)$/),
        description: expect.any(String),
      });
      expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const echoed = await h.request('GET', '/health', {
        token: null,
        headers: { 'x-request-id': 'trace-abc-123' },
      });
      expect(echoed.headers.get('x-request-id')).toBe('trace-abc-123');
    });

    it('serves an OpenAPI 3.1 document generated from the schemas, and a docs page', async () => {
      const doc = await h.request('GET', '/openapi.json', { token: null });
      expect(doc.body.openapi).toBe('3.1.0');
      for (const path of [
        '/v1/orgs',
        '/v1/listings',
        '/v1/listings/{id}/versions/{version}/submit',
        '/v1/reviews/{versionId}/decision',
        '/v1/workflows/{workflowId}',
        '/health',
      ]) {
        expect(Object.keys(doc.body.paths)).toContain(path);
      }
      const manifestSchema =
        doc.body.paths['/v1/listings/{id}/versions'].post.requestBody.content['application/json'].schema;
      expect(JSON.stringify(manifestSchema)).toContain('requiredCredentials');
      const docs = await h.app.request('/docs');
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('/openapi.json');
    });

    it('answers unknown routes with the error shape', async () => {
      const missing = await h.request('GET', '/v1/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
    });
  });

  describe('authentication', () => {
    it('refuses a missing, malformed, unknown or revoked key with 401', async () => {
      expect((await h.request('GET', '/v1/listings', { token: null })).status).toBe(401);
      expect((await h.request('GET', '/v1/listings', { token: 'nonsense' })).status).toBe(401);
      const forged = 'bzr_key_0123456789abcdef_' + 'A'.repeat(43);
      expect((await h.request('GET', '/v1/listings', { token: forged })).body.error.code).toBe(
        'unauthorized',
      );

      const acme = await h.createOrg();
      const member = await h.createOrgKey(acme.org.id, acme.token, 'member');
      expect((await h.request('GET', '/v1/listings', { token: member })).status).toBe(200);
      const keys = await h.request('GET', `/v1/orgs/${acme.org.id}/keys`, { token: acme.token });
      const memberKey = keys.body.keys.find((k: any) => k.role === 'member');
      expect(JSON.stringify(keys.body)).not.toContain(member.slice(-43)); // the secret (base64url, may hold '_')
      expect((await h.request('DELETE', `/v1/keys/${memberKey.id}`, { token: acme.token })).status).toBe(204);
      expect((await h.request('GET', '/v1/listings', { token: member })).status).toBe(401);
    });
  });

  describe('organisations and keys', () => {
    it('lets only platform-admin create organisations, and validates the body', async () => {
      const acme = await h.createOrg();
      expect((await h.request('POST', '/v1/orgs', { token: acme.token, body: { name: 'x' } })).status).toBe(
        403,
      );
      const reviewer = await h.createPlatformKey('reviewer');
      expect((await h.request('POST', '/v1/orgs', { token: reviewer, body: { name: 'x' } })).status).toBe(
        403,
      );
      const invalid = await h.request('POST', '/v1/orgs', { body: { name: '' } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details).toEqual([{ path: 'json.name', message: expect.any(String) }]);
      const malformed = await h.request('POST', '/v1/orgs', { body: '{"name":' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('invalid_request');
    });

    it('issues keys for org admins only, and hides other organisations', async () => {
      const acme = await h.createOrg();
      const globex = await h.createOrg();
      const member = await h.createOrgKey(acme.org.id, acme.token, 'member');
      expect(
        (
          await h.request('POST', `/v1/orgs/${acme.org.id}/keys`, {
            token: member,
            body: { name: 'k', role: 'admin' },
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await h.request('POST', `/v1/orgs/${acme.org.id}/keys`, {
            token: globex.token,
            body: { name: 'k', role: 'admin' },
          })
        ).status,
      ).toBe(404);
      const badRole = await h.request('POST', `/v1/orgs/${acme.org.id}/keys`, {
        token: acme.token,
        body: { name: 'k', role: 'reviewer' },
      });
      expect(badRole.status).toBe(400);
      expect(badRole.body.error.details[0].path).toBe('json.role');
      expect((await h.request('GET', `/v1/orgs/${acme.org.id}/keys`, { token: globex.token })).status).toBe(
        404,
      );

      const acmeKeys = await h.request('GET', `/v1/orgs/${acme.org.id}/keys`, { token: acme.token });
      const someAcmeKey = acmeKeys.body.keys[0].id;
      expect((await h.request('DELETE', `/v1/keys/${someAcmeKey}`, { token: globex.token })).status).toBe(
        404,
      );
      expect((await h.request('DELETE', `/v1/keys/${someAcmeKey}`, { token: member })).status).toBe(403);
    });
  });

  describe('listings and versions', () => {
    it('creates listings with unique slugs and field-level validation', async () => {
      const acme = await h.createOrg();
      const body = listingBody();
      const created = await h.request('POST', '/v1/listings', { token: acme.token, body });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        slug: body.slug,
        orgId: acme.org.id,
        visibility: 'public',
        latestVersion: null,
      });
      expect((await h.request('POST', '/v1/listings', { token: acme.token, body })).status).toBe(409);
      const invalid = await h.request('POST', '/v1/listings', {
        token: acme.token,
        body: { slug: 'Bad Slug', name: 'x', category: 'support', tags: ['OK!'] },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details.map((d: any) => d.path).sort()).toEqual(['json.slug', 'json.tags.0']);
      expect((await h.request('POST', '/v1/listings', { body: listingBody() })).status).toBe(403);
    });

    it('hides private and unpublished listings from other organisations (404)', async () => {
      const acme = await h.createOrg();
      const globex = await h.createOrg();
      const priv = await h.request('POST', '/v1/listings', {
        token: acme.token,
        body: listingBody({ visibility: 'private' }),
      });
      const pub = await h.request('POST', '/v1/listings', { token: acme.token, body: listingBody() });
      await h.request('POST', `/v1/listings/${pub.body.id}/versions`, {
        token: acme.token,
        body: manifest(),
      });
      for (const listing of [priv.body, pub.body]) {
        expect((await h.request('GET', `/v1/listings/${listing.id}`, { token: globex.token })).status).toBe(
          404,
        );
        expect((await h.request('GET', `/v1/listings/${listing.slug}`, { token: globex.token })).status).toBe(
          404,
        );
      }
      const own = await h.request('GET', `/v1/listings/${pub.body.slug}`, { token: acme.token });
      expect(own.body.versions.map((v: any) => v.status)).toEqual(['draft']);
      const ownList = await h.request('GET', '/v1/listings', { token: acme.token });
      expect(ownList.body.listings.map((l: any) => l.id).sort()).toEqual([priv.body.id, pub.body.id].sort());
      expect((await h.request('GET', '/v1/listings', { token: globex.token })).body.listings).toEqual([]);
    });

    it('validates manifests field by field, and pricing per model', async () => {
      const acme = await h.createOrg();
      const listing = await h.request('POST', '/v1/listings', { token: acme.token, body: listingBody() });
      const invalid = await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
        token: acme.token,
        body: manifest({
          version: 'v1',
          pricing: { model: 'one_time', monthlyPrice: 5 },
          requiredCredentials: [{ name: 'lower' }],
        }),
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details.map((d: any) => d.path).sort()).toEqual([
        'json.pricing.monthlyPrice',
        'json.pricing.oneTimePrice',
        'json.requiredCredentials.0.name',
        'json.version',
      ]);
    });

    it('lets only the publisher add and edit versions; edits must keep the version', async () => {
      const acme = await h.createOrg();
      const globex = await h.createOrg();
      const listing = await h.request('POST', '/v1/listings', { token: acme.token, body: listingBody() });
      expect(
        (
          await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
            token: globex.token,
            body: manifest(),
          })
        ).status,
      ).toBe(404);
      expect(
        (await h.request('POST', `/v1/listings/${listing.body.id}/versions`, { body: manifest() })).status,
      ).toBe(403);
      await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
        token: acme.token,
        body: manifest(),
      });
      const edited = await h.request('PUT', `/v1/listings/${listing.body.id}/versions/1.0.0`, {
        token: acme.token,
        body: manifest({ description: 'Now with better docs' }),
      });
      expect(edited).toMatchObject({
        status: 200,
        body: { manifest: { description: 'Now with better docs' } },
      });
      const mismatch = await h.request('PUT', `/v1/listings/${listing.body.id}/versions/1.0.0`, {
        token: acme.token,
        body: manifest({ version: '2.0.0' }),
      });
      expect(mismatch.status).toBe(400);
      expect(
        (
          await h.request('PUT', `/v1/listings/${listing.body.id}/versions/1.0.0`, {
            token: globex.token,
            body: manifest(),
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
            token: globex.token,
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await h.request('POST', `/v1/listings/${listing.body.id}/versions/9.9.9/submit`, {
            token: acme.token,
          })
        ).status,
      ).toBe(404);
    });

    it('moves versions only along the allowed lifecycle', async () => {
      const acme = await h.createOrg();
      const listing = await h.request('POST', '/v1/listings', { token: acme.token, body: listingBody() });
      await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
        token: acme.token,
        body: manifest(),
      });
      const deprecateDraft = await h.request(
        'POST',
        `/v1/listings/${listing.body.id}/versions/1.0.0/deprecate`,
        { token: acme.token },
      );
      expect(deprecateDraft.status).toBe(409);
      expect(deprecateDraft.body.error.message).toBe('a draft version cannot become deprecated');
      expect(
        (
          await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/suspend`, {
            token: acme.token,
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/suspend`, {
            body: { reason: 'x' },
          })
        ).status,
      ).toBe(409);
    });
  });

  describe('workflows and audit', () => {
    it('shows a workflow only to its owner organisation and the platform', async () => {
      const acme = await h.createOrg();
      const globex = await h.createOrg();
      const listing = await h.request('POST', '/v1/listings', { token: acme.token, body: listingBody() });
      const version = await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
        token: acme.token,
        body: manifest(),
      });
      await uploadCodeIfProcess(h, acme.token, listing.body.id, version.body);
      const submitted = await h.request('POST', `/v1/listings/${listing.body.id}/versions/1.0.0/submit`, {
        token: acme.token,
      });
      const path = `/v1/workflows/${encodeURIComponent(submitted.body.workflowId)}`;
      expect((await h.request('GET', path, { token: acme.token })).body.workflowId).toBe(
        submitted.body.workflowId,
      );
      expect((await h.request('GET', path, { token: h.adminToken })).status).toBe(200);
      expect((await h.request('GET', path, { token: globex.token })).status).toBe(404);
      expect((await h.request('GET', '/v1/workflows/publish%3Anope', { token: acme.token })).status).toBe(
        404,
      );
    });

    it('shows an org admin its own audit trail only', async () => {
      const acme = await h.createOrg();
      const globex = await h.createOrg();
      await h.request('POST', '/v1/listings', { token: globex.token, body: listingBody() });
      const member = await h.createOrgKey(acme.org.id, acme.token, 'member');
      expect((await h.request('GET', '/v1/audit', { token: member })).status).toBe(403);
      const trail = await h.request('GET', '/v1/audit', { token: acme.token });
      expect(trail.status).toBe(200);
      expect(trail.body.events.every((e: any) => e.orgId === acme.org.id)).toBe(true);
      expect(trail.body.events.map((e: any) => e.action)).toEqual(['org.created', 'key.created']);
      expect(
        (await h.request('GET', '/v1/audit?from=yesterday', { token: acme.token })).body.error.details[0]
          .path,
      ).toBe('query.from');
    });
  });
});
