// The generated typed client (src/client) against a real Bazaar: typed answers, the error shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBazaarClient, describeApiError } from '../../src/client/bazaar-client.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('the typed API client', () => {
  let h: Harness;
  const clientAs = (apiKey?: string) =>
    createBazaarClient({
      baseUrl: 'http://bazaar.test',
      apiKey,
      fetch: async (request) => h.app.fetch(request),
    });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('creates an organisation and reads back its key as that organisation', async () => {
    const admin = clientAs(h.adminToken);
    const created = await admin.POST('/v1/orgs', { body: { name: 'client-test-org' } });
    expect(created.response.status).toBe(201);
    const orgToken = created.data!.apiKey.token;

    const listing = await clientAs(orgToken).POST('/v1/listings', {
      body: { slug: 'client-test-agent', name: 'Client test agent', category: 'support', tags: [] },
    });
    expect(listing.response.status).toBe(201);
    const read = await clientAs(orgToken).GET('/v1/listings/{id}', {
      params: { path: { id: 'client-test-agent' } },
    });
    expect(read.data?.id).toBe(listing.data?.id);
  });

  it('gives the error shape and a line a person can act on', async () => {
    const anonymous = await clientAs().GET('/v1/installations');
    expect(anonymous.response.status).toBe(401);
    expect(anonymous.error?.error.code).toBe('unauthorized');
    const line = describeApiError(anonymous.response.status, anonymous.error);
    expect(line).toContain('401 unauthorized');
    expect(line).toContain(anonymous.response.headers.get('x-request-id')!);
  });
});
