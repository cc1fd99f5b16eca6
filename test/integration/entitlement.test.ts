import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitlementRefusal } from '../../src/domain/executions/entitlement.js';
import { createExecution } from '../../src/domain/executions/repository.js';
import { echoArtifact, installAgent } from '../support/agents.js';
import { publishAgent } from '../support/publish.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('entitlement: suspension, free quota and monthly budget', () => {
  let h: Harness;
  let publisher: { org: { id: string }; token: string };
  let reviewer: string;
  let platformAdmin: string;
  let freeSlug: string;
  let paidSlug: string;

  const run = (token: string, installationId: string, input: unknown = {}) =>
    h.request('POST', `/v1/installations/${installationId}/executions`, {
      token,
      body: { input, mode: 'sync' },
    });

  beforeAll(async () => {
    h = await startHarness();
    publisher = await h.createOrg('publisher');
    reviewer = await h.createPlatformKey('reviewer');
    platformAdmin = await h.createPlatformKey('platform-admin');
    const publish = async (pricing: Record<string, unknown>) =>
      (
        await publishAgent(h, {
          publisherToken: publisher.token,
          reviewerToken: reviewer,
          artifact: echoArtifact(),
          manifest: { pricing },
        })
      ).slug;
    freeSlug = await publish({ model: 'free', freeInvocations: 2 });
    paidSlug = await publish({ model: 'usage_based', pricePerInvocation: 0.02 });
  }, 120_000);
  afterAll(() => h.stop());

  it('refuses a suspended organisation’s executions and installations until it is reinstated', async () => {
    const { consumer, installationId } = await installAgent(h, paidSlug);
    const suspend = (token: string, body: unknown = { reason: 'unpaid invoices' }) =>
      h.request('POST', `/v1/orgs/${consumer.org.id}/suspend`, { token, body });
    expect((await suspend(consumer.token)).status).toBe(403);
    expect((await suspend(platformAdmin, {})).status).toBe(400);
    const suspended = await suspend(platformAdmin);
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', statusReason: 'unpaid invoices' });

    const refused = await run(consumer.token, installationId);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/suspended: unpaid invoices/);
    const install = await h.request('POST', '/v1/installations', {
      token: consumer.token,
      body: { listing: freeSlug },
    });
    expect(install.status).toBe(403);
    const executions = await h.db.query(
      'SELECT count(*)::int AS n FROM executions WHERE installation_id = $1',
      [installationId],
    );
    expect(executions.rows[0].n).toBe(0);

    const audit = await h.request('GET', '/v1/audit', { token: consumer.token });
    expect(audit.body.events.map((event: { action: string }) => event.action)).toContain('org.suspended');
    expect(
      (await h.request('POST', `/v1/orgs/${consumer.org.id}/reinstate`, { token: platformAdmin })).status,
    ).toBe(200);
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded');
    expect(
      (
        await h.request('POST', '/v1/orgs/00000000-0000-0000-0000-000000000000/suspend', {
          token: platformAdmin,
          body: { reason: 'x' },
        })
      ).status,
    ).toBe(404);
  });

  it('answers 429 once a free listing’s monthly quota is used, per organisation', async () => {
    const { consumer, installationId } = await installAgent(h, freeSlug);
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded');
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded');
    const refused = await run(consumer.token, installationId);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      message: expect.stringContaining('free quota of 2 invocations this month is used up'),
    });
    // Another organisation has its own quota.
    const other = await installAgent(h, freeSlug);
    expect((await run(other.consumer.token, other.installationId)).body.status).toBe('succeeded');

    // The workflow checks again when the execution begins: one that got past the API while the quota
    // was being used up is refused there; the executions before it are not.
    const { rows } = await h.db.query(
      `SELECT id FROM executions WHERE installation_id = $1 ORDER BY created_at, id`,
      [installationId],
    );
    const late = await createExecution(h.db, {
      orgId: consumer.org.id,
      installationId,
      versionId: (await h.db.query('SELECT version_id FROM installations WHERE id = $1', [installationId]))
        .rows[0].version_id,
      input: {},
      idempotencyKey: null,
      requestSha256: 'x',
      createdBy: 'test',
    });
    expect(await entitlementRefusal(h.db, { installationId, executionId: late.execution.id })).toMatchObject({
      code: 'rate_limited',
    });
    expect(await entitlementRefusal(h.db, { installationId, executionId: rows[1].id })).toBeNull();
  });

  it('stops a usage-based installation at its monthly budget, which its admin can raise', async () => {
    const { consumer, installationId } = await installAgent(h, paidSlug, { body: { monthlyBudget: 0.03 } });
    const shown = await h.request('GET', `/v1/installations/${installationId}`, { token: consumer.token });
    expect(shown.body.monthlyBudget).toBe('0.03');
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded'); // spent 0.02+
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded'); // spent 0.04+
    const refused = await run(consumer.token, installationId);
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/monthly budget of 0.03 usd is spent/);

    const patch = (token: string, body: unknown, id = installationId) =>
      h.request('PATCH', `/v1/installations/${id}`, { token, body });
    expect((await patch(consumer.token, { monthlyBudget: -1 })).status).toBe(400);
    expect((await patch(consumer.token, { monthlyBudget: 0.1234567 })).status).toBe(400);
    expect((await patch((await h.createOrg()).token, { monthlyBudget: 5 })).status).toBe(404);
    const member = await h.createOrgKey(consumer.org.id, consumer.token, 'member');
    expect((await patch(member, { monthlyBudget: 5 })).status).toBe(403);
    const raised = await patch(consumer.token, { monthlyBudget: 5 });
    expect(raised.status).toBe(200);
    expect(raised.body.monthlyBudget).toBe('5');
    expect((await run(consumer.token, installationId)).body.status).toBe('succeeded');
    expect((await patch(consumer.token, { monthlyBudget: null })).body.monthlyBudget).toBeNull();
  });
});
