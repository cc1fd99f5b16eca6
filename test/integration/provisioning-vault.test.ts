// The provisioning path with tenants' credentials in a real OpenBao (KV v2, a policy and token per
// tenant) instead of the embedded PostgreSQL store.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startOpenBao, type OpenBao } from '../support/openbao.js';
import { publishListing } from '../support/publish.js';

describe('provisioning with the OpenBao secret store', () => {
  let bao: OpenBao;
  let h: Harness;
  let listing: { id: string; slug: string };

  beforeAll(async () => {
    bao = await startOpenBao();
    h = await startHarness({
      env: { SECRET_STORE: 'vault', VAULT_ADDR: bao.address, VAULT_TOKEN: bao.rootToken },
    });
    const publisher = await h.createOrg('publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    listing = await publishListing(h, { publisherToken: publisher.token, reviewerToken: reviewer });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await bao?.stop();
  });

  it("installs with the tenant's own secret from OpenBao, and never with another tenant's", async () => {
    expect(h.secrets.kind).toBe('vault');
    const a = await h.createOrg();
    const b = await h.createOrg();
    expect(
      (
        await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
          token: a.token,
          body: { value: 'a-secret-in-bao' },
        })
      ).status,
    ).toBe(204);

    const started = await h.request('POST', '/v1/installations', {
      token: a.token,
      body: { listing: listing.slug },
    });
    expect(started.status).toBe(202);
    expect(await h.temporal.workflow.getHandle(started.body.workflowId).result()).toEqual({
      phase: 'active',
    });
    const row = await h.db.query('SELECT version_id FROM installations WHERE id = $1', [
      started.body.installationId,
    ]);
    const secretsFile = join(
      h.runtimeRoot,
      a.org.id,
      started.body.installationId,
      row.rows[0].version_id,
      'secrets.json',
    );
    expect(JSON.parse(await readFile(secretsFile, 'utf8'))).toEqual({ SHOP_API_KEY: 'a-secret-in-bao' });

    const refused = await h.request('POST', '/v1/installations', {
      token: b.token,
      body: { listing: listing.slug },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.details.missing).toEqual(['SHOP_API_KEY']);
    expect(await h.secrets.get(b.org.id, 'SHOP_API_KEY')).toBeNull();

    const removal = await h.request('DELETE', `/v1/installations/${started.body.installationId}`, {
      token: a.token,
    });
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
    expect(
      (await h.request('GET', `/v1/installations/${started.body.installationId}`, { token: a.token })).body
        .status,
    ).toBe('removed');
  });
});
