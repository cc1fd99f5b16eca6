import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { meterStatus } from '../../src/domain/installations/repository.js';
import { manifest, startHarness, type Harness } from '../support/harness.js';
import { recordHistory } from '../support/histories.js';
import { approveSubmission, publishListing, uploadCodeIfProcess } from '../support/publish.js';

const SECRET = 'sk_live_0a1b2c3d4e5f-never-print-me';
/** Every string in a value, with byte arrays (payload data) decoded as UTF-8, joined for searching. */
function allText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(allText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(allText).join('\n');
  return String(value);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('provisioning', () => {
  let h: Harness;
  let reviewer: string;
  let publisher: { org: { id: string }; token: string };
  let listing: { id: string; slug: string };
  let twoCredentialListing: { id: string; slug: string };
  // Failure injection: the step named here does its real work, then reports a failure (an unclear
  // outcome, the hardest case for compensation), or fails before any work for activateInstallation.
  let failAfter: string | null = null;
  let beforeCredentialCheck: (() => Promise<void>) | null = null;
  const responses: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      captureLogs: true,
      activities: (real) => {
        const wrapped: Record<string, (input: { installationId: string }) => Promise<unknown>> = {};
        for (const step of [
          'createInstallationRuntime',
          'injectInstallationSecrets',
          'openInstallationMeter',
        ] as const) {
          wrapped[step] = async (input) => {
            const result = await real[step](input);
            if (failAfter === step)
              throw ApplicationFailure.nonRetryable(`injected failure after ${step}`, 'Injected');
            return result;
          };
        }
        wrapped.activateInstallation = async (input) => {
          if (failAfter === 'activateInstallation')
            throw ApplicationFailure.nonRetryable('injected failure in activateInstallation', 'Injected');
          await real.activateInstallation(input);
        };
        wrapped.checkInstallationCredentials = async (input) => {
          await beforeCredentialCheck?.();
          await real.checkInstallationCredentials(input);
        };
        return wrapped;
      },
    });
    reviewer = await h.createPlatformKey('reviewer');
    publisher = await h.createOrg('publisher');
    listing = await publishListing(h, { publisherToken: publisher.token, reviewerToken: reviewer });
    twoCredentialListing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      manifest: { requiredCredentials: [{ name: 'SHOP_API_KEY' }, { name: 'MAIL_TOKEN' }] },
    });
  }, 120_000);
  afterAll(() => h.stop());
  beforeEach(() => {
    failAfter = null;
    beforeCredentialCheck = null;
  });

  async function call(method: string, path: string, token: string, body?: unknown) {
    const response = await h.request(method, path, { token, body });
    responses.push(JSON.stringify(response.body));
    return response;
  }

  async function consumerWithCredential() {
    const consumer = await h.createOrg();
    expect(
      (await call('PUT', '/v1/credentials/SHOP_API_KEY', consumer.token, { value: SECRET })).status,
    ).toBe(204);
    return consumer;
  }

  async function install(token: string, target = listing.slug, version?: string) {
    const started = await call('POST', '/v1/installations', token, { listing: target, version });
    expect(started.status).toBe(202);
    const outcome = await h.temporal.workflow
      .getHandle(started.body.workflowId)
      .result()
      .then(
        (result) => ({ result, error: null }),
        (error: Error) => ({ result: null, error }),
      );
    const installation = await call('GET', `/v1/installations/${started.body.installationId}`, token);
    return { ...started.body, ...outcome, installation: installation.body } as {
      installationId: string;
      workflowId: string;
      result: unknown;
      error: Error | null;
      installation: any;
    };
  }

  /** An installation's directory under the local driver's root (one subdirectory per version runtime). */
  const runtimeDir = (orgId: string, installationId: string) => join(h.runtimeRoot, orgId, installationId);
  /** The directory of the runtime of one version (default: the one the installation runs now). */
  async function versionDir(orgId: string, installationId: string, versionId?: string) {
    const current = await h.db.query('SELECT version_id FROM installations WHERE id = $1', [installationId]);
    return join(runtimeDir(orgId, installationId), versionId ?? current.rows[0].version_id);
  }

  it('checks credentials, creates the runtime, injects exactly the declared secret, opens the meter, goes active', async () => {
    const consumer = await consumerWithCredential();
    await call('PUT', '/v1/credentials/UNRELATED_TOKEN', consumer.token, { value: 'not-for-this-agent' });
    const { installationId, workflowId, result, installation } = await install(consumer.token);
    expect(result).toEqual({ phase: 'active' });
    expect(installation).toMatchObject({
      status: 'active',
      statusReason: null,
      version: '1.0.0',
      credentialNames: ['SHOP_API_KEY'],
      workflowId,
    });
    await recordHistory(workflowId, 'provision-active');

    const dir = await versionDir(consumer.org.id, installationId);
    const injected = JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8'));
    expect(injected).toEqual({ SHOP_API_KEY: SECRET });
    expect(await meterStatus(h.db, installationId)).toBe('open');

    const audit = await call('GET', '/v1/audit', consumer.token);
    const read = audit.body.events.find((e: any) => e.action === 'credential.read');
    expect(read).toMatchObject({ subjectId: 'SHOP_API_KEY', details: { installationId } });

    const description = await h.temporal.workflow.getHandle(workflowId).describe();
    expect(description.searchAttributes).toMatchObject({
      BazaarTenantId: [consumer.org.id],
      BazaarListingId: [listing.id],
      BazaarInstallationId: [installationId],
    });
    expect((await call('GET', `/v1/workflows/${workflowId}`, consumer.token)).body.status).toBe('COMPLETED');
    const credentials = await call('GET', '/v1/credentials', consumer.token);
    expect(credentials.body.credentials.map((c: any) => [c.name, c.usedBy])).toEqual([
      ['SHOP_API_KEY', [installationId]],
      ['UNRELATED_TOKEN', []],
    ]);
  });

  it('answers 422 naming every missing credential, and creates nothing', async () => {
    const consumer = await h.createOrg();
    const refused = await call('POST', '/v1/installations', consumer.token, {
      listing: twoCredentialListing.slug,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'rule_violation',
      details: { missing: ['SHOP_API_KEY', 'MAIL_TOKEN'] },
    });
    expect(refused.body.error.message).toContain('SHOP_API_KEY, MAIL_TOKEN');
    expect((await call('GET', '/v1/installations', consumer.token)).body.installations).toEqual([]);
  });

  it('fails cleanly when a credential is deleted after the request was accepted', async () => {
    const consumer = await consumerWithCredential();
    beforeCredentialCheck = async () => {
      await h.request('DELETE', '/v1/credentials/SHOP_API_KEY', { token: consumer.token });
    };
    const { installationId, error, installation } = await install(consumer.token);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(installation.status).toBe('failed');
    expect(installation.statusReason).toMatch(/^missing credentials: SHOP_API_KEY/);
    expect(await exists(runtimeDir(consumer.org.id, installationId))).toBe(false);
    expect(await meterStatus(h.db, installationId)).toBeNull();
  });

  it.each([
    'createInstallationRuntime',
    'injectInstallationSecrets',
    'openInstallationMeter',
    'activateInstallation',
  ])('a failure at %s leaves no runtime, no secret and no open meter behind', async (step) => {
    const consumer = await consumerWithCredential();
    failAfter = step;
    const { installationId, workflowId, error, installation } = await install(consumer.token);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toMatchObject({ type: 'ProvisioningFailed' });
    expect(installation).toMatchObject({
      status: 'failed',
      statusReason: expect.stringContaining(`injected failure`),
    });
    expect(await exists(runtimeDir(consumer.org.id, installationId))).toBe(false);
    expect(await meterStatus(h.db, installationId)).not.toBe('open');
    if (step === 'openInstallationMeter') await recordHistory(workflowId, 'provision-compensated');
  });

  it('never puts a secret value in workflow history, logs, API responses or the audit trail', async () => {
    const consumer = await consumerWithCredential();
    const { workflowId } = await install(consumer.token);
    const history = await h.temporal.workflow.getHandle(workflowId).fetchHistory();
    const historyText = allText(history);
    // Positive control: payload bytes are searched too (the installation id is inside the input payload).
    expect(historyText).toContain(`"installationId":"${workflowId.replace('provision:', '')}"`);
    expect(historyText).not.toContain(SECRET);
    responses.push(JSON.stringify((await call('GET', '/v1/audit', consumer.token)).body));
    responses.push(JSON.stringify((await call('GET', '/v1/credentials', consumer.token)).body));
    expect(responses.join('\n')).not.toContain(SECRET);
    expect(h.logs.length).toBeGreaterThan(20); // the control: logging was on, at trace level
    expect(h.logs.join('\n')).not.toContain(SECRET);
  });

  it("keeps tenants apart: B cannot see, list, or install with A's credentials or installations", async () => {
    const a = await consumerWithCredential();
    const b = await h.createOrg();
    const { installationId } = await install(a.token);
    expect((await call('GET', `/v1/installations/${installationId}`, b.token)).status).toBe(404);
    expect((await call('GET', '/v1/installations', b.token)).body.installations).toEqual([]);
    expect((await call('GET', `/v1/workflows/provision:${installationId}`, b.token)).status).toBe(404);
    const bInstall = await call('POST', '/v1/installations', b.token, { listing: listing.slug });
    expect(bInstall.status).toBe(422);
    expect(bInstall.body.error.details.missing).toEqual(['SHOP_API_KEY']);
    expect((await call('GET', '/v1/credentials', b.token)).body.credentials).toEqual([]);
    expect((await call('DELETE', '/v1/credentials/SHOP_API_KEY', b.token)).status).toBe(404);
    const stillThere = await h.secrets.get(a.org.id, 'SHOP_API_KEY');
    expect(stillThere).toBe(SECRET);
  });

  it('validates the request and roles', async () => {
    const consumer = await consumerWithCredential();
    const member = await h.createOrgKey(consumer.org.id, consumer.token, 'member');
    expect((await call('POST', '/v1/installations', member, { listing: listing.slug })).status).toBe(403);
    const invalid = await call('POST', '/v1/installations', consumer.token, {
      listing: '',
      version: 'latest',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.map((d: any) => d.path).sort()).toEqual([
      'json.listing',
      'json.version',
    ]);
    expect(
      (await call('POST', '/v1/installations', consumer.token, { listing: 'no-such-agent' })).status,
    ).toBe(404);
    expect(
      (await call('POST', '/v1/installations', consumer.token, { listing: listing.slug, version: '9.9.9' }))
        .status,
    ).toBe(404);
    expect((await call('GET', '/v1/installations', member)).status).toBe(200);
  });

  it('deprovisions: revokes the secret, destroys the runtime, closes the meter, and is safe to repeat', async () => {
    const consumer = await consumerWithCredential();
    const other = await h.createOrg();
    const member = await h.createOrgKey(consumer.org.id, consumer.token, 'member');
    const { installationId } = await install(consumer.token);
    const dir = runtimeDir(consumer.org.id, installationId);
    expect(await exists(join(await versionDir(consumer.org.id, installationId), 'secrets.json'))).toBe(true);

    expect((await call('DELETE', `/v1/installations/${installationId}`, other.token)).status).toBe(404);
    expect((await call('DELETE', `/v1/installations/${installationId}`, member)).status).toBe(403);
    const removal = await call('DELETE', `/v1/installations/${installationId}`, consumer.token);
    expect(removal).toMatchObject({ status: 202, body: { workflowId: `deprovision:${installationId}` } });
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
    await recordHistory(removal.body.workflowId, 'deprovision');

    expect((await call('GET', `/v1/installations/${installationId}`, consumer.token)).body.status).toBe(
      'removed',
    );
    expect(await exists(dir)).toBe(false);
    expect(await meterStatus(h.db, installationId)).toBe('closed');
    const credentials = await call('GET', '/v1/credentials', consumer.token);
    expect(credentials.body.credentials[0]).toMatchObject({ name: 'SHOP_API_KEY', usedBy: [] });

    const again = await call('DELETE', `/v1/installations/${installationId}`, consumer.token);
    expect(again.status).toBe(202);
    await h.temporal.workflow.getHandle(again.body.workflowId).result();
    expect((await call('GET', `/v1/installations/${installationId}`, consumer.token)).body.status).toBe(
      'removed',
    );
  });

  it('shows when a newer version of the installed listing is published', async () => {
    const consumer = await consumerWithCredential();
    const { installationId } = await install(consumer.token);
    expect(
      (await call('GET', `/v1/installations/${installationId}`, consumer.token)).body.upgradeAvailable,
    ).toBeNull();
    const added = await call(
      'POST',
      `/v1/listings/${listing.id}/versions`,
      publisher.token,
      manifest({ version: '1.1.0' }),
    );
    await uploadCodeIfProcess(h, publisher.token, listing.id, added.body);
    const submitted = await call('POST', `/v1/listings/${listing.id}/versions/1.1.0/submit`, publisher.token);
    await approveSubmission(h, submitted.body.workflowId, reviewer);
    const installation = await call('GET', `/v1/installations/${installationId}`, consumer.token);
    expect(installation.body).toMatchObject({
      version: '1.0.0',
      upgradeAvailable: { version: '1.1.0', risk: 'low' },
    });
  });

  describe('upgrades', () => {
    let upgradable: { id: string; slug: string };
    beforeAll(async () => {
      upgradable = await publishListing(h, { publisherToken: publisher.token, reviewerToken: reviewer });
      const v2 = manifest({
        version: '2.0.0',
        pricing: { model: 'usage_based', pricePerInvocation: 0.05 },
        requiredCredentials: [{ name: 'SHOP_API_KEY' }, { name: 'MAIL_TOKEN' }],
      });
      const added = await call('POST', `/v1/listings/${upgradable.id}/versions`, publisher.token, v2);
      await uploadCodeIfProcess(h, publisher.token, upgradable.id, added.body);
      const submitted = await call(
        'POST',
        `/v1/listings/${upgradable.id}/versions/2.0.0/submit`,
        publisher.token,
      );
      await approveSubmission(h, submitted.body.workflowId, reviewer);
    }, 60_000);

    async function installedOnV1() {
      const consumer = await consumerWithCredential();
      const installed = await install(consumer.token, upgradable.slug, '1.0.0');
      expect(installed.installation).toMatchObject({
        status: 'active',
        version: '1.0.0',
        upgradeAvailable: { version: '2.0.0', risk: 'high' },
      });
      return {
        consumer,
        installationId: installed.installationId,
        v1Dir: await versionDir(consumer.org.id, installed.installationId),
      };
    }

    it('moves to the new version: new runtime with its credentials, old runtime removed, meter repriced', async () => {
      const { consumer, installationId, v1Dir } = await installedOnV1();
      const refused = await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
        version: '2.0.0',
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.details.missing).toEqual(['MAIL_TOKEN']);
      await call('PUT', '/v1/credentials/MAIL_TOKEN', consumer.token, { value: 'mail-secret' });
      // A new credential and a new per-invocation price make the advisory high: it must be accepted.
      const unaccepted = await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
        version: '2.0.0',
      });
      expect(unaccepted.status).toBe(422);
      expect(unaccepted.body.error.details).toMatchObject({
        risk: 'high',
        reasons: expect.arrayContaining(['needs a new credential: MAIL_TOKEN']),
      });
      expect(unaccepted.body.error.message).toContain('acceptRisk');

      const started = await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
        version: '2.0.0',
        acceptRisk: true,
      });
      expect(started).toMatchObject({ status: 202, body: { workflowId: `upgrade:${installationId}:2.0.0` } });
      expect(await h.temporal.workflow.getHandle(started.body.workflowId).result()).toEqual({
        upgraded: true,
      });
      await recordHistory(started.body.workflowId, 'upgrade');

      const after = await call('GET', `/v1/installations/${installationId}`, consumer.token);
      expect(after.body).toMatchObject({
        status: 'active',
        version: '2.0.0',
        upgradeAvailable: null,
        credentialNames: ['SHOP_API_KEY', 'MAIL_TOKEN'],
      });
      const v2Dir = await versionDir(consumer.org.id, installationId);
      expect(JSON.parse(await readFile(join(v2Dir, 'secrets.json'), 'utf8'))).toEqual({
        SHOP_API_KEY: SECRET,
        MAIL_TOKEN: 'mail-secret',
      });
      expect(await exists(v1Dir)).toBe(false);
      const meter = await h.db.query('SELECT status, pricing FROM usage_meters WHERE installation_id = $1', [
        installationId,
      ]);
      expect(meter.rows[0]).toMatchObject({
        status: 'open',
        pricing: { model: 'usage_based', pricePerInvocation: 0.05 },
      });
      expect(
        (
          await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
            version: '2.0.0',
          })
        ).status,
      ).toBe(409);
    });

    it('rolls back when a step before the switch fails, and keeps serving the old version', async () => {
      const { consumer, installationId, v1Dir } = await installedOnV1();
      await call('PUT', '/v1/credentials/MAIL_TOKEN', consumer.token, { value: 'mail-secret' });
      failAfter = 'injectInstallationSecrets';
      const started = await call('POST', `/v1/installations/${installationId}/upgrade`, consumer.token, {
        version: '2.0.0',
        acceptRisk: true,
      });
      const failure = await h.temporal.workflow
        .getHandle(started.body.workflowId)
        .result()
        .catch((error) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect(failure.cause).toMatchObject({ type: 'UpgradeFailed' });

      const after = await call('GET', `/v1/installations/${installationId}`, consumer.token);
      expect(after.body).toMatchObject({
        status: 'active',
        version: '1.0.0',
        statusReason: expect.stringMatching(
          /^upgrade failed, still running the previous version: injected failure/,
        ),
      });
      expect(JSON.parse(await readFile(join(v1Dir, 'secrets.json'), 'utf8'))).toEqual({
        SHOP_API_KEY: SECRET,
      });
      const versionDirs = await readdir(runtimeDir(consumer.org.id, installationId));
      expect(versionDirs).toEqual([v1Dir.split('/').at(-1)]);
    });

    it("refuses another tenant's installation and unknown versions", async () => {
      const { installationId } = await installedOnV1();
      const other = await h.createOrg();
      expect(
        (await call('POST', `/v1/installations/${installationId}/upgrade`, other.token, { version: '2.0.0' }))
          .status,
      ).toBe(404);
      const { consumer, installationId: mine } = await installedOnV1();
      expect(
        (await call('POST', `/v1/installations/${mine}/upgrade`, consumer.token, { version: '3.0.0' }))
          .status,
      ).toBe(404);
      expect(
        (await call('POST', `/v1/installations/${mine}/upgrade`, consumer.token, { version: 'latest' }))
          .status,
      ).toBe(400);
    });
  });
});
