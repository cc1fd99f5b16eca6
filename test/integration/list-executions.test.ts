// GET /v1/installations/{id}/executions: an installation's executions, newest first, for its
// organisation only (what `bazaar executions <installation>` shows).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';

describe('listing an installation’s executions', () => {
  let h: Harness;
  let consumer: { org: { id: string }; token: string };
  let installationId: string;
  const ids: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    const publisher = await h.createOrg('publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    const { slug } = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      artifact: echoArtifact(),
    });
    ({ consumer, installationId } = await installAgent(h, slug));
    for (const n of [1, 2]) {
      const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { n }, mode: 'sync' },
      });
      expect(run.status).toBe(200);
      ids.push(run.body.id);
    }
  }, 120_000);
  afterAll(() => h.stop());

  it('lists them newest first, with output and cost, up to limit', async () => {
    const all = await h.request('GET', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
    });
    expect(all.status).toBe(200);
    expect(all.body.executions.map((e: any) => e.id)).toEqual([...ids].reverse());
    expect(all.body.executions[0]).toMatchObject({
      status: 'succeeded',
      output: { echo: { n: 2 } },
      installationId,
    });
    const one = await h.request('GET', `/v1/installations/${installationId}/executions?limit=1`, {
      token: consumer.token,
    });
    expect(one.body.executions.map((e: any) => e.id)).toEqual([ids[1]]);
  });

  it('refuses a bad limit (400 with the field) and another organisation (404)', async () => {
    const bad = await h.request('GET', `/v1/installations/${installationId}/executions?limit=0`, {
      token: consumer.token,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('limit');
    const other = await h.createOrg('other');
    const hidden = await h.request('GET', `/v1/installations/${installationId}/executions`, {
      token: other.token,
    });
    expect(hidden.status).toBe(404);
  });
});
