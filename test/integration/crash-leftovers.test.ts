// What an API killed between recording work and starting its workflow leaves behind is started
// after all: an execution, when its request is repeated; an installation, by the worker's sweep.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoArtifact, installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';
import { seedActiveInstallation } from '../support/seed.js';
import { waitFor } from '../support/wait-for.js';
import { resumeStalledInstallations } from '../../src/services/resume-stalled-installations.js';

describe('work an API crash left unstarted', () => {
  let h: Harness;
  let listing: { id: string; slug: string };
  beforeAll(async () => {
    h = await startHarness({ ownDatabase: true }); // the sweep looks at every installation
    const publisher = await h.createOrg();
    listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: echoArtifact(),
      manifest: { requiredCredentials: [] },
    });
  }, 120_000);
  afterAll(() => h?.stop());

  it('starts a recorded execution whose workflow never started when its request is repeated', async () => {
    const { consumer, installationId } = await installAgent(h, listing.slug);
    const body = { input: { order: 7 }, mode: 'sync' };
    const first = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      headers: { 'idempotency-key': 'first' },
      body,
    });
    expect(first.body.status).toBe('succeeded');
    // What a crash between recording the execution and starting its workflow leaves: a queued row.
    const { rows } = await h.db.query(
      `INSERT INTO executions (org_id, installation_id, version_id, input, idempotency_key, request_sha256, created_by)
       SELECT org_id, installation_id, version_id, input, 'lost', request_sha256, created_by
       FROM executions WHERE id = $1 RETURNING id`,
      [first.body.id],
    );
    const repeated = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      headers: { 'idempotency-key': 'lost' },
      body,
    });
    expect(repeated.body).toMatchObject({
      id: rows[0].id,
      status: 'succeeded',
      output: { echo: { order: 7 } },
    });
  });

  it('provisions an installation recorded without its workflow once the sweep finds it', async () => {
    const consumer = await h.createOrg();
    const { rows } = await h.db.query('SELECT id FROM listing_versions WHERE listing_id = $1', [listing.id]);
    // What a crash between recording the installation and starting provision:<id> leaves.
    const installationId = await seedActiveInstallation(h.db, {
      orgId: consumer.org.id,
      listing: { id: listing.id, versionId: rows[0].id },
      pricing: { model: 'free' },
      status: 'provisioning',
    });
    const deps = { db: h.db, temporal: h.temporal, config: h.config };
    expect(await resumeStalledInstallations(deps, { olderThanMs: 60_000 })).toBe(0); // too recent
    expect(await resumeStalledInstallations(deps, { olderThanMs: 0 })).toBe(1);
    await waitFor(
      async () => {
        const answer = await h.request('GET', `/v1/installations/${installationId}`, {
          token: consumer.token,
        });
        return answer.body.status === 'active';
      },
      'the installation to be active',
      30_000,
    );
    expect(await resumeStalledInstallations(deps, { olderThanMs: 0 })).toBe(0);
  });
});
