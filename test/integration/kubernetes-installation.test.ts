// A container agent through the whole product with the Kubernetes runtime configured: published,
// installed (provision:<id> creates the tenant's place in a real kube-apiserver), invoked over the API
// (execute:<id> runs a Job, played to completion by the kubelet stand-in), metered, and removed
// (deprovision:<id>) with nothing left in the cluster.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_BY_SELECTOR, tenantNamespace } from '../../src/runtime/kubernetes/names.js';
import { installAgent } from '../support/agents.js';
import { startHarness, type Harness } from '../support/harness.js';
import { KubeletStandIn } from '../support/kubelet-stand-in.js';
import { startKubernetesCluster, type KubernetesCluster } from '../support/kubernetes-cluster.js';
import { publishListing } from '../support/publish.js';
import { secretLeaks, storedAboutRun } from '../support/secret-leaks.js';
import { waitFor } from '../support/wait-for.js';

const CREDENTIAL_VALUE = 'sk-container-agent-7d41';

describe('container agents on Kubernetes, through the API', () => {
  let cluster: KubernetesCluster;
  let standIn: KubeletStandIn;
  let h: Harness;
  let kubeconfigDir: string;

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
    standIn = await KubeletStandIn.start(cluster.kubeConfig);
    kubeconfigDir = await mkdtemp(join(tmpdir(), 'bazaar-kubeconfig-'));
    const kubeconfigPath = join(kubeconfigDir, 'kubeconfig');
    await writeFile(kubeconfigPath, cluster.kubeConfig.exportConfig(), { mode: 0o600 });
    h = await startHarness({
      env: {
        KUBERNETES_RUNTIME: 'true',
        KUBERNETES_KUBECONFIG: kubeconfigPath,
        KUBERNETES_POLL_INTERVAL_MS: '200',
      },
    });
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
    await standIn?.stop();
    await cluster?.stop();
    await rm(kubeconfigDir, { recursive: true, force: true });
  });

  it('says on /health that it runs container agents', async () => {
    const health = await h.request('GET', '/health', { token: null });
    expect(health.body.agentRuntimes).toEqual(['process', 'container', 'remote']);
  });

  it('installs, runs and removes a container agent, metering the run and leaving nothing behind', async () => {
    const publisher = await h.createOrg('container publisher');
    const reviewer = await h.createPlatformKey('reviewer');
    const listing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: reviewer,
      manifest: {
        pricing: { model: 'usage_based', pricePerInvocation: 0.05 },
        requiredCredentials: [{ name: 'MODEL_API_KEY', description: 'the model provider key' }],
        runtime: { kind: 'container', image: `registry.example/answers@sha256:${'c0'.repeat(32)}` },
        resources: { cpu: '250m', memory: '128Mi', timeoutSeconds: 30 },
      },
    });

    const consumer = await h.createOrg('container consumer');
    const stored = await h.request('PUT', '/v1/credentials/MODEL_API_KEY', {
      token: consumer.token,
      body: { value: CREDENTIAL_VALUE },
    });
    expect(stored.status).toBe(204);
    const { installationId } = await installAgent(h, listing.slug, { consumer });
    const installation = await h.request('GET', `/v1/installations/${installationId}`, {
      token: consumer.token,
    });
    expect(installation.body.status).toBe('active');

    // The tenant's namespace holds the credentials Secret with exactly the declared name.
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = tenantNamespace('bazaar-t-', consumer.org.id);
    const secrets = await core.listNamespacedSecret({ namespace, labelSelector: MANAGED_BY_SELECTOR });
    expect(secrets.items.map((secret) => Object.keys(secret.data ?? {}))).toEqual([['MODEL_API_KEY']]);
    expect(Buffer.from(secrets.items[0]!.data!.MODEL_API_KEY!, 'base64').toString()).toBe(CREDENTIAL_VALUE);

    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { agent: 'echo', question: 'what is our refund window?' }, mode: 'sync' },
    });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      output: {
        echo: { agent: 'echo', question: 'what is our refund window?' },
        credentialNames: ['MODEL_API_KEY'],
      },
      tokensOut: 7,
      cost: expect.stringMatching(/^0\.05/),
    });
    const usage = await h.db.query(
      'SELECT count(*)::int AS events, sum(invocations)::int AS invocations FROM usage_events WHERE installation_id = $1',
      [installationId],
    );
    expect(usage.rows[0]).toEqual({ events: 1, invocations: 1 });

    const failed = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { agent: 'fail' }, mode: 'sync' },
    });
    expect(failed.body).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('exited with code 3'),
    });
    expect(JSON.stringify(failed.body)).not.toContain(CREDENTIAL_VALUE);

    const removal = await h.request('DELETE', `/v1/installations/${installationId}`, {
      token: consumer.token,
    });
    expect(removal.status).toBe(202);
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
    await waitFor(
      async () =>
        await core.readNamespace({ name: namespace }).then(
          () => false,
          () => true,
        ),
      'the tenant namespace to be deleted',
      60_000,
    );
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
    for (const [apiVersion, kind] of [
      ['v1', 'Secret'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Pod'],
      ['batch/v1', 'Job'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
    ] as const) {
      // (namespace, pretty, exact, export, fieldSelector, labelSelector): every namespace, by label.
      const left = await objects.list(
        apiVersion,
        kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        MANAGED_BY_SELECTOR,
      );
      expect(left.items, kind).toEqual([]);
    }
  });

  it('stores and returns nothing of a credential the container echoes, in its output or its failure', async () => {
    const publisher = await h.createOrg('leaky container publisher');
    const listing = await publishListing(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      manifest: {
        requiredCredentials: [{ name: 'MODEL_API_KEY', description: 'the model provider key' }],
        runtime: { kind: 'container', image: `registry.example/answers@sha256:${'c1'.repeat(32)}` },
        resources: { cpu: '250m', memory: '128Mi', timeoutSeconds: 30 },
      },
    });
    const consumer = await h.createOrg('leaky container consumer');
    const value = `${randomUUID()}>>>???&scope=all`;
    await h.request('PUT', '/v1/credentials/MODEL_API_KEY', { token: consumer.token, body: { value } });
    const { installationId } = await installAgent(h, listing.slug, { consumer });

    for (const [agent, status] of [
      ['leak', 'succeeded'],
      ['leak-fail', 'failed'],
    ]) {
      const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { agent }, mode: 'sync' },
      });
      expect(run.body.status).toBe(status);
      const stored = await storedAboutRun(h, {
        runAnswer: run.body,
        executionId: run.body.id,
        token: consumer.token,
      });
      const everything = Object.values(stored).join('\n');
      expect(secretLeaks(everything, value)).toEqual([]);
      expect(everything).toContain('[redacted:MODEL_API_KEY]');
    }
    const removal = await h.request('DELETE', `/v1/installations/${installationId}`, {
      token: consumer.token,
    });
    await h.temporal.workflow.getHandle(removal.body.workflowId).result();
  });
});
