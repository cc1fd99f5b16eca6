// The manifests in k8s/ against a real kube-apiserver: every object is accepted as written, and the
// worker's identity (its ServiceAccount, with the ClusterRole and the admission policy applied) can
// run the Kubernetes driver in agent namespaces and can change nothing anywhere else.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/domain/catalog/schemas.js';
import { KubernetesRuntimeDriver } from '../../src/runtime/kubernetes/kubernetes-runtime-driver.js';
import { GATEWAY_POD_LABELS, workerRoleBinding } from '../../src/runtime/kubernetes/objects.js';
import { startKubernetesCluster, type KubernetesCluster } from '../support/kubernetes-cluster.js';
import { waitFor } from '../support/wait-for.js';

const K8S_DIR = join(import.meta.dirname, '../../k8s');

/** Every object of the kustomization's resources, in its order (plain files: no patches or generators). */
async function kustomizationObjects(): Promise<KubernetesObject[]> {
  const kustomization = (await readFile(join(K8S_DIR, 'kustomization.yaml'), 'utf8')).split('\n');
  const start = kustomization.indexOf('resources:');
  const files: string[] = [];
  for (const line of kustomization.slice(start + 1)) {
    const match = /^\s+-\s+(\S+)$/.exec(line);
    if (!match) break;
    files.push(match[1]!);
  }
  expect(files.length).toBeGreaterThan(5);
  const objects: KubernetesObject[] = [];
  for (const file of files)
    objects.push(...(loadAllYaml(await readFile(join(K8S_DIR, file), 'utf8')) as KubernetesObject[]));
  return objects;
}

/** The HTTP status of a refused call and the server's message, or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<'ok' | { code: number; message: string }> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    return { code: error.code, message: (body as { message?: string })?.message ?? '' };
  }
}

describe('k8s/ manifests on a real API server', () => {
  let cluster: KubernetesCluster;
  let worker: KubeConfig;

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
    for (const object of await kustomizationObjects()) await objects.create(object);

    worker = await serviceAccountKubeConfig('bazaar-worker');
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  /** A KubeConfig that authenticates as a bazaar-system ServiceAccount, with the token its pod would mount. */
  async function serviceAccountKubeConfig(name: string): Promise<KubeConfig> {
    const token = await cluster.kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
      name,
      namespace: 'bazaar-system',
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const admin = cluster.kubeConfig.getCurrentCluster()!;
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'cluster', server: admin.server, caData: admin.caData }],
      users: [{ name, token: token.status!.token }],
      contexts: [{ name, cluster: 'cluster', user: name }],
      currentContext: name,
    });
    return kubeConfig;
  }

  it('accepts every object of the kustomization as written', async () => {
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig);
    for (const object of await kustomizationObjects()) {
      const stored = await objects.read({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace },
      });
      expect(stored.metadata?.uid, `${object.kind} ${object.metadata?.name}`).toBeTruthy();
    }
    const deployment = await objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bazaar-worker', namespace: 'bazaar-system' },
    });
    const container = (deployment as { spec: { template: { spec: { containers: any[] } } } }).spec.template
      .spec.containers[0];
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('runs the gateway on its own, where the worker sends agents and the agent policy lets them through', async () => {
    const objects = await kustomizationObjects();
    const find = <T>(kind: string, name: string) =>
      objects.find((object) => object.kind === kind && object.metadata?.name === name) as T;
    type Deployment = {
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: Array<Record<string, any>> };
        };
      };
    };
    const deployment = find<Deployment>('Deployment', 'bazaar-gateway');
    const container = deployment.spec.template.spec.containers[0]!;
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container.env).toEqual([{ name: 'BAZAAR_ROLES', value: 'gateway' }]);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/health', port: 'gateway' } });
    const config = find<{ data: Record<string, string> }>('ConfigMap', 'bazaar-config').data;
    const port = Number(config.GATEWAY_PORT);
    expect(container.ports).toContainEqual({ name: 'gateway', containerPort: port });
    // The labels the agent namespaces' policy selects (the driver's GATEWAY_POD_LABELS).
    expect(deployment.spec.template.metadata.labels).toMatchObject(GATEWAY_POD_LABELS);
    const service = find<{ metadata: { name: string; namespace: string }; spec: any }>(
      'Service',
      'bazaar-gateway',
    );
    const url = new URL(config.GATEWAY_INTERNAL_URL!);
    expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(service.spec.ports).toContainEqual({
      name: 'gateway',
      port: Number(url.port),
      targetPort: 'gateway',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  });

  it("lets the worker's identity run the driver's whole cycle in an agent namespace", async () => {
    const driver = new KubernetesRuntimeDriver(worker, {
      namespacePrefix: 'bazaar-t-',
      workerServiceAccount: { namespace: 'bazaar-system', name: 'bazaar-worker' },
      gateway: {
        url: 'http://bazaar-gateway.bazaar-system.svc:3100',
        port: 3100,
        namespace: 'bazaar-system',
      },
    });
    const spec = {
      orgId: randomUUID(),
      installationId: randomUUID(),
      versionId: randomUUID(),
      listingId: randomUUID(),
      runtimeKind: 'container' as const,
      manifest: manifestSchema.parse({
        version: '1.0.0',
        description: 'Answers questions',
        pricing: { model: 'free' },
        requiredCredentials: [{ name: 'MODEL_API_KEY' }],
        runtime: { kind: 'container', image: `registry.example/agent@sha256:${'ab'.repeat(32)}` },
      }),
    };
    const ref = await driver.createRuntime(spec);
    // Including the namespace's gateway-egress policy.
    const policies = await cluster.kubeConfig
      .makeApiClient(NetworkingV1Api)
      .listNamespacedNetworkPolicy({ namespace: `bazaar-t-${spec.orgId}` });
    expect(policies.items.map((policy) => policy.metadata?.name).sort()).toEqual([
      'default-deny',
      'gateway-egress',
    ]);
    await driver.injectSecrets(ref, { MODEL_API_KEY: 'sk-test' });
    expect(await driver.secretNames(ref)).toEqual(['MODEL_API_KEY']);
    await driver.revokeSecrets(ref);
    await driver.destroyRuntime(ref);
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    await waitFor(
      async () => (await outcome(core.readNamespace({ name: `bazaar-t-${spec.orgId}` }))) !== 'ok',
      'the agent namespace to be deleted',
      60_000,
    );
  });

  it('refuses the worker any change outside agent namespaces, and the API any rights at all', async () => {
    const workerCore = worker.makeApiClient(CoreV1Api);
    const byPolicy = { code: 403, message: expect.stringContaining('may only change agent namespaces') };
    // RBAC gives it no rights on Secrets outside agent namespaces, to read or to write.
    for (const namespace of ['kube-system', 'bazaar-system', 'default']) {
      const secret = { metadata: { name: 'planted' }, stringData: { x: 'y' } };
      expect(await outcome(workerCore.createNamespacedSecret({ namespace, body: secret }))).toMatchObject({
        code: 403,
      });
      expect(await outcome(workerCore.listNamespacedSecret({ namespace }))).toMatchObject({ code: 403 });
    }
    // What RBAC must allow it cluster-wide (namespaces, binding its role), the policy confines.
    expect(
      await outcome(workerCore.createNamespace({ body: { metadata: { name: 'not-bazaar' } } })),
    ).toMatchObject(byPolicy);
    await cluster.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'other-workload' } } });
    expect(await outcome(workerCore.deleteNamespace({ name: 'other-workload' }))).toMatchObject(byPolicy);
    const binding = workerRoleBinding('kube-system', 'x', {
      namespace: 'bazaar-system',
      name: 'bazaar-worker',
    });
    expect(
      await outcome(
        worker
          .makeApiClient(RbacAuthorizationV1Api)
          .createNamespacedRoleBinding({ namespace: 'kube-system', body: binding }),
      ),
    ).toMatchObject(byPolicy);
    const api = await serviceAccountKubeConfig('bazaar-api');
    expect(
      await outcome(api.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'bazaar-system' })),
    ).toMatchObject({ code: 403 });
  });
});
