// The reads the console needs beyond the original contract: an installation's execution history,
// usage per day, and the platform admin's list of organisations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';

describe('console read routes', () => {
  let h: Harness;
  let consumer: { org: { id: string; name: string }; token: string };
  let installationId: string;
  const executionIds: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const publisher = await h.createOrg('Acme Tools');
    const reviewer = await h.createPlatformKey('reviewer');
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [], pricing: { model: 'usage_based', pricePerInvocation: 0.02 } },
    });
    consumer = await h.createOrg('Globex');
    ({ installationId } = await installAgent(h, listing.slug, { consumer }));
    for (const n of [1, 2, 3]) {
      const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { n }, mode: 'sync' },
      });
      expect(run.status).toBe(200);
      executionIds.push(run.body.id);
    }
  }, 180_000);
  afterAll(() => h.stop());

  it('lists an installation’s executions newest first, paged with before', async () => {
    const all = await h.request('GET', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
    });
    expect(all.status).toBe(200);
    expect(all.body.executions.map((e: { id: string }) => e.id)).toEqual([...executionIds].reverse());
    expect(all.body.executions[0]).toMatchObject({
      status: 'succeeded',
      cost: expect.any(String),
      durationMs: expect.any(Number),
      output: { echo: { n: 3 } },
    });
    expect(all.body.executions[0]).not.toHaveProperty('input');
    const page = await h.request(
      'GET',
      `/v1/installations/${installationId}/executions?limit=1&before=${encodeURIComponent(all.body.executions[0].createdAt)}`,
      { token: consumer.token },
    );
    expect(page.body.executions.map((e: { id: string }) => e.id)).toEqual([executionIds[1]]);
    const bad = await h.request('GET', `/v1/installations/${installationId}/executions?limit=0`, {
      token: consumer.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('query.limit');
  });

  it('summarises usage per UTC day with by=day, and per listing by default', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await h.request('GET', '/v1/usage?by=day', { token: consumer.token });
    expect(byDay.status).toBe(200);
    expect(byDay.body.usage).toEqual([
      expect.objectContaining({ day: today, invocations: 3, cost: expect.stringMatching(/^0\.06/) }),
    ]);
    const byListing = await h.request('GET', '/v1/usage', { token: consumer.token });
    expect(byListing.body.usage[0]).not.toHaveProperty('day');
    expect(byListing.body.usage[0].invocations).toBe(3);
  });

  it('lists organisations for the platform admin only', async () => {
    const listed = await h.request('GET', '/v1/orgs');
    expect(listed.status).toBe(200);
    const names = listed.body.organizations.map((o: { name: string }) => o.name);
    expect(names).toEqual(expect.arrayContaining(['Acme Tools', 'Globex']));
    expect(names.indexOf('Globex')).toBeLessThan(names.indexOf('Acme Tools')); // newest first
    expect((await h.request('GET', '/v1/orgs', { token: consumer.token })).status).toBe(403);
  });
});
