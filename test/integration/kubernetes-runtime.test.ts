// The Kubernetes runtime driver against a real kube-apiserver and kube-controller-manager (kine as the
// store), with test/support/kubelet-stand-in.ts playing the node: what is asserted is what the API
// server accepted and what its controllers did with it.
import { randomUUID } from 'node:crypto';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema, type Manifest } from '../../src/domain/catalog/schemas.js';
import {
  KubernetesRuntimeDriver,
  type KubernetesProgress,
} from '../../src/runtime/kubernetes/kubernetes-runtime-driver.js';
import {
  credentialsSecretName,
  inputSecretName,
  jobName,
  MANAGED_BY_SELECTOR,
  runtimeName,
  runtimeSelector,
  tenantNamespace,
} from '../../src/runtime/kubernetes/names.js';
import type { RuntimeRef, RuntimeSpec } from '../../src/runtime/runtime-driver.js';
import { KubeletStandIn } from '../support/kubelet-stand-in.js';
import { startKubernetesCluster, type KubernetesCluster } from '../support/kubernetes-cluster.js';
import { waitFor } from '../support/wait-for.js';

const PREFIX = 'bazaar-t-';
const IMAGE = `registry.example/agent@sha256:${'0123456789abcdef'.repeat(4)}`;
const SECRET_VALUE = 'sk-live-do-not-leak-4f1c2e';

function manifest(resources: Partial<Manifest['resources']> = {}): Manifest {
  return manifestSchema.parse({
    version: '1.0.0',
    description: 'Answers questions',
    pricing: { model: 'free' },
    requiredCredentials: [{ name: 'MODEL_API_KEY' }],
    runtime: { kind: 'container', image: IMAGE },
    resources: { cpu: '250m', memory: '128Mi', timeoutSeconds: 30, ...resources },
  });
}

function runtimeSpec(
  orgId: string = randomUUID(),
  resources: Partial<Manifest['resources']> = {},
): RuntimeSpec {
  return {
    orgId,
    installationId: randomUUID(),
    versionId: randomUUID(),
    listingId: randomUUID(),
    runtimeKind: 'container',
    manifest: manifest(resources),
  };
}

/** How the API server refused a call: its status and message (null when it did not refuse). */
async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string } | null> {
  try {
    await call;
    return null;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = error.body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
    return { code: error.code, message: status.message ?? '' };
  }
}

/** The HTTP status of a failed call, or 200 when it succeeded. */
async function statusOfCall(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

describe('KubernetesRuntimeDriver against a real kube-apiserver', () => {
  let cluster: KubernetesCluster;
  let standIn: KubeletStandIn;
  let driver: KubernetesRuntimeDriver;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let networking: NetworkingV1Api;
  let rbac: RbacAuthorizationV1Api;
  const beats: KubernetesProgress[] = [];

  beforeAll(async () => {
    cluster = await startKubernetesCluster();
    standIn = await KubeletStandIn.start(cluster.kubeConfig);
    driver = new KubernetesRuntimeDriver(cluster.kubeConfig, {
      namespacePrefix: PREFIX,
      ttlSecondsAfterFinished: 120,
      pollIntervalMs: 200,
      heartbeat: (progress) => beats.push(progress),
    });
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    networking = cluster.kubeConfig.makeApiClient(NetworkingV1Api);
    rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  }, 240_000);

  afterAll(async () => {
    await standIn?.stop();
    await cluster?.stop();
  });

  // Every runtime a test made is destroyed after it, even when the test failed half-way.
  const created: RuntimeRef[] = [];
  const provision = async (spec: RuntimeSpec) => {
    created.push(driver.refFor(spec));
    return driver.createRuntime(spec);
  };

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && cluster) {
      console.error(`kubelet stand-in error: ${String(standIn?.error)}\n${cluster.logs().slice(-30_000)}`);
    }
    for (const ref of created.splice(0)) await driver.destroyRuntime(ref);
  });

  it('fences a runtime: PSA restricted namespace, default-deny policy, a ServiceAccount with no rights', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    expect(ref).toEqual(driver.refFor(spec));
    // Creating again (a retried activity) finds what exists.
    expect(await driver.createRuntime(spec)).toEqual(ref);

    const namespace = tenantNamespace(PREFIX, spec.orgId);
    const ns = await core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'bazaar',
      'bazaar.dev/tenant': spec.orgId,
      'pod-security.kubernetes.io/enforce': 'restricted',
    });

    const policy = await networking.readNamespacedNetworkPolicy({ name: 'default-deny', namespace });
    expect(policy.spec?.podSelector).toEqual({});
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.egress ?? []).toEqual([]);

    const account = await core.readNamespacedServiceAccount({ name: runtimeName(spec), namespace });
    expect(account.automountServiceAccountToken).toBe(false);
    expect(account.metadata?.labels?.['bazaar.dev/installation']).toBe(spec.installationId);
    expect((await rbac.listNamespacedRoleBinding({ namespace })).items).toEqual([]);
    const clusterBindings = await rbac.listClusterRoleBinding();
    expect(
      clusterBindings.items.filter((binding) =>
        binding.subjects?.some((subject) => subject.namespace === namespace),
      ),
    ).toEqual([]);

    await driver.destroyRuntime(ref);
  });

  it("allows exactly the egress the version declares, to that runtime's pods only, and removes it with the runtime", async () => {
    const spec = runtimeSpec();
    spec.manifest = manifestSchema.parse({
      ...spec.manifest,
      network: {
        egress: [
          { cidr: '203.0.113.0/24', ports: [443] },
          { cidr: '2001:db8::/32', ports: [8443, 9443], protocol: 'TCP' },
        ],
      },
    });
    const ref = await provision(spec);
    const namespace = tenantNamespace(PREFIX, spec.orgId);
    const policy = await networking.readNamespacedNetworkPolicy({
      name: `${runtimeName(spec)}-egress`,
      namespace,
    });
    expect(policy.spec?.podSelector).toEqual({ matchLabels: { 'bazaar.dev/runtime': runtimeName(spec) } });
    expect(policy.spec?.policyTypes).toEqual(['Egress']);
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.egress).toEqual([
      { to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] },
      {
        to: [{ ipBlock: { cidr: '2001:db8::/32' } }],
        ports: [
          { port: 8443, protocol: 'TCP' },
          { port: 9443, protocol: 'TCP' },
        ],
      },
    ]);
    // A runtime that declares nothing gets no egress policy: the namespace's default-deny is all.
    const quiet = runtimeSpec(spec.orgId);
    await provision(quiet);
    const policies = await networking.listNamespacedNetworkPolicy({ namespace });
    expect(policies.items.map((item) => item.metadata?.name).sort()).toEqual(
      ['default-deny', `${runtimeName(spec)}-egress`].sort(),
    );

    await driver.destroyRuntime(ref);
    const left = await networking.listNamespacedNetworkPolicy({ namespace });
    expect(left.items.map((item) => item.metadata?.name)).toEqual(['default-deny']);
  });

  it('refuses a privileged pod in a tenant namespace (PodSecurity restricted, enforced by the server)', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const namespace = tenantNamespace(PREFIX, spec.orgId);
    const pod: V1Pod = {
      metadata: { name: 'privileged', namespace },
      spec: {
        serviceAccountName: runtimeName(spec),
        automountServiceAccountToken: false,
        containers: [{ name: 'shell', image: IMAGE, securityContext: { privileged: true } }],
      },
    };
    expect(await refusal(core.createNamespacedPod({ namespace, body: pod }))).toEqual({
      code: 403,
      message: expect.stringMatching(/violates PodSecurity "restricted:latest": privileged/),
    });

    // Not privileged, but without the restricted profile's settings (non-root, seccomp, no
    // capabilities): still refused, so the namespace enforces restricted, not merely baseline.
    const plain: V1Pod = {
      metadata: { name: 'plain', namespace },
      spec: { ...pod.spec!, containers: [{ name: 'shell', image: IMAGE }] },
    };
    expect(await refusal(core.createNamespacedPod({ namespace, body: plain }))).toEqual({
      code: 403,
      message: expect.stringMatching(/violates PodSecurity "restricted:latest".*runAsNonRoot != true/),
    });
    await driver.destroyRuntime(ref);
  });

  it('holds exactly the injected credential names, and revokes them (idempotently)', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const namespace = tenantNamespace(PREFIX, spec.orgId);

    await driver.injectSecrets(ref, { MODEL_API_KEY: SECRET_VALUE, SEARCH_KEY: 'other' });
    expect(await driver.secretNames(ref)).toEqual(['MODEL_API_KEY', 'SEARCH_KEY']);
    // Injecting again replaces: a name no longer given is gone.
    await driver.injectSecrets(ref, { MODEL_API_KEY: SECRET_VALUE });
    expect(await driver.secretNames(ref)).toEqual(['MODEL_API_KEY']);
    const secret = await core.readNamespacedSecret({ name: credentialsSecretName(spec), namespace });
    expect(Object.keys(secret.data ?? {})).toEqual(['MODEL_API_KEY']);
    expect(Buffer.from(secret.data!.MODEL_API_KEY!, 'base64').toString()).toBe(SECRET_VALUE);
    expect(secret.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('bazaar');

    await driver.revokeSecrets(ref);
    await driver.revokeSecrets(ref);
    expect(await driver.secretNames(ref)).toEqual([]);
    await driver.destroyRuntime(ref);
  });

  it('runs an execution as a hardened Job the server accepted, and returns its output and usage', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    await driver.injectSecrets(ref, { MODEL_API_KEY: SECRET_VALUE });
    const namespace = tenantNamespace(PREFIX, spec.orgId);
    const executionId = randomUUID();
    const input = { agent: 'echo', question: 'what is 6 x 7?' };
    beats.length = 0;

    const result = await driver.invoke(ref, { executionId, input, manifest: spec.manifest });

    expect(result).toMatchObject({
      status: 'succeeded',
      // The stand-in read the input from the Secret the pod mounts, and the names from its envFrom.
      output: { echo: input, credentialNames: ['MODEL_API_KEY'] },
      usage: { tokensIn: JSON.stringify(input).length, tokensOut: 7 },
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(beats.some((beat) => beat.executionId === executionId)).toBe(true);

    // The Job and pod as the API server stored them (captured by the stand-in while the pod ran).
    const run = standIn.runOfJob(jobName(executionId));
    expect(run).toBeDefined();
    const job = run!.job!;
    expect(job.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'bazaar',
      'bazaar.dev/tenant': spec.orgId,
      'bazaar.dev/installation': spec.installationId,
      'bazaar.dev/execution': executionId,
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 30,
      ttlSecondsAfterFinished: 120,
    });
    const podSpec = run!.pod.spec!;
    expect(podSpec.nodeName).toBe(standIn.nodeName);
    expect(podSpec).toMatchObject({
      restartPolicy: 'Never',
      serviceAccountName: runtimeName(spec),
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    });
    const container = podSpec.containers[0]!;
    expect(container.image).toBe(IMAGE);
    expect(container.resources).toEqual({
      requests: { cpu: '250m', memory: '128Mi' },
      limits: { cpu: '250m', memory: '128Mi' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.envFrom).toEqual([{ secretRef: { name: credentialsSecretName(spec), optional: true } }]);
    // The input is a Secret owned by the Job, so it goes with it.
    expect(run!.inputSecret?.name).toBe(inputSecretName(executionId));
    expect(run!.inputSecret?.ownerReferences).toMatchObject([{ kind: 'Job', uid: job.metadata!.uid! }]);

    // Cleaned up: the Job at once, its pod and input Secret by the garbage collector.
    expect(await statusOfCall(() => batch.readNamespacedJob({ name: jobName(executionId), namespace }))).toBe(
      404,
    );
    await waitFor(
      async () =>
        (await statusOfCall(() =>
          core.readNamespacedSecret({ name: inputSecretName(executionId), namespace }),
        )) === 404 &&
        (await core.listNamespacedPod({ namespace, labelSelector: `bazaar.dev/execution=${executionId}` }))
          .items.length === 0,
      'the garbage collector to remove the pod and input Secret',
      60_000,
    );
    await driver.destroyRuntime(ref);
  }, 120_000);

  it("lets a tenant's pods reach the gateway's pods only, and gives a granted Job the gateway, not the tool's key", async () => {
    const gatewayDriver = new KubernetesRuntimeDriver(cluster.kubeConfig, {
      namespacePrefix: PREFIX,
      ttlSecondsAfterFinished: 120,
      pollIntervalMs: 200,
      // A name, as a Service's is: the driver resolves it for the pod (the namespace has no DNS).
      gateway: { url: 'http://localhost:3100', port: 3100, namespace: 'bazaar-system' },
    });
    const spec = runtimeSpec();
    created.push(gatewayDriver.refFor(spec));
    const ref = await gatewayDriver.createRuntime(spec);
    // The tenant's own OpenAI key, stored for the version's llm tool: the gateway's to use, not the agent's.
    await gatewayDriver.injectSecrets(ref, { MODEL_API_KEY: 'model-key', OPENAI_API_KEY: SECRET_VALUE });
    const namespace = tenantNamespace(PREFIX, spec.orgId);

    const policy = await networking.readNamespacedNetworkPolicy({ name: 'gateway-egress', namespace });
    expect(policy.spec).toMatchObject({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bazaar-system' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'bazaar-gateway' } },
            },
          ],
          ports: [{ port: 3100, protocol: 'TCP' }],
        },
      ],
    });
    expect(policy.spec?.egress?.[0]?.to?.[0]?.ipBlock).toBeUndefined();

    const executionId = randomUUID();
    const grant = { token: 'bzgw_k8s-execution-token', tools: [{ name: 'openai', kind: 'llm' as const }] };
    const result = await gatewayDriver.invoke(ref, {
      executionId,
      input: { q: 'hi' },
      manifest: spec.manifest,
      gateway: grant,
    });
    expect(result.status).toBe('succeeded');
    expect(result.secretsGiven.BAZAAR_TOOLS_TOKEN).toBe(grant.token);
    const run = standIn.runOfJob(jobName(executionId))!;
    expect(run.environment).toMatchObject({
      BAZAAR_TOOLS_URL: 'http://localhost:3100',
      BAZAAR_TOOLS_TOKEN: grant.token,
      OPENAI_BASE_URL: 'http://localhost:3100/v1',
      OPENAI_API_KEY: grant.token,
      MODEL_API_KEY: 'model-key',
    });
    expect(Object.values(run.environment)).not.toContain(SECRET_VALUE);
    expect(run.pod.spec?.hostAliases).toEqual([
      { ip: expect.stringMatching(/^(127\.0\.0\.1|::1)$/), hostnames: ['localhost'] },
    ]);

    // A run without a grant gets none of it.
    const plainId = randomUUID();
    await gatewayDriver.invoke(ref, { executionId: plainId, input: {}, manifest: spec.manifest });
    const plain = standIn.runOfJob(jobName(plainId))!;
    expect(Object.keys(plain.environment).filter((name) => name.startsWith('BAZAAR_TOOLS'))).toEqual([]);
    expect(plain.environment.OPENAI_API_KEY).toBe(SECRET_VALUE);
    expect(plain.pod.spec?.hostAliases).toBeUndefined();
    await gatewayDriver.destroyRuntime(ref);
  }, 120_000);

  it('reports an agent that exits non-zero as failed, with its exit code and message', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const result = await driver.invoke(ref, {
      executionId: randomUUID(),
      input: { agent: 'fail' },
      manifest: spec.manifest,
    });
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('exited with code 3');
    expect(result.reason).toContain('boom: the model refused the request');
    await driver.destroyRuntime(ref);
  }, 120_000);

  it('reports an agent that exits 0 without a result as failed', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const result = await driver.invoke(ref, {
      executionId: randomUUID(),
      input: { agent: 'silent' },
      manifest: spec.manifest,
    });
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('the agent wrote no result');
    await driver.destroyRuntime(ref);
  }, 120_000);

  it('times out an agent that outlives activeDeadlineSeconds (the Job controller ends it)', async () => {
    const spec = runtimeSpec(randomUUID(), { timeoutSeconds: 2 });
    const ref = await provision(spec);
    const result = await driver.invoke(ref, {
      executionId: randomUUID(),
      input: { agent: 'hang' },
      manifest: spec.manifest,
    });
    expect(result.status).toBe('timed_out');
    expect(result.reason).toContain('within 2 s');
    // Ended by the Job controller's activeDeadlineSeconds, not by the driver's own fallback.
    expect(result.reason).not.toContain('did not end its Job');
    await driver.destroyRuntime(ref);
  }, 120_000);

  it('stops a run when the invocation is cancelled, deleting its Job', async () => {
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const namespace = tenantNamespace(PREFIX, spec.orgId);
    const executionId = randomUUID();
    const controller = new AbortController();
    const running = driver.invoke(ref, {
      executionId,
      input: { agent: 'hang' },
      manifest: spec.manifest,
      signal: controller.signal,
    });
    await waitFor(async () => standIn.runOfJob(jobName(executionId)), 'the pod to run', 30_000);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ status: 'failed', reason: 'the run was cancelled' });
    expect(await statusOfCall(() => batch.readNamespacedJob({ name: jobName(executionId), namespace }))).toBe(
      404,
    );
    await driver.destroyRuntime(ref);
  }, 120_000);

  it('never puts a secret value in an error', async () => {
    // A runtime that was never created: every call fails on the missing namespace.
    const missing = driver.refFor(runtimeSpec());
    const failure = await driver
      .injectSecrets(missing, { MODEL_API_KEY: SECRET_VALUE })
      .catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('HTTP 404');
    expect(`${(failure as Error).message} ${(failure as Error).stack}`).not.toContain(SECRET_VALUE);

    // A value the server rejects (an invalid key) comes back as the reason only.
    const spec = runtimeSpec();
    const ref = await provision(spec);
    const invalid = await driver.injectSecrets(ref, { 'not a key!': SECRET_VALUE }).catch((e: Error) => e);
    expect(invalid).toBeInstanceOf(Error);
    expect((invalid as Error).message).toMatch(/HTTP 422/);
    expect(JSON.stringify(invalid)).not.toContain(SECRET_VALUE);
    expect(`${(invalid as Error).message} ${(invalid as Error).stack}`).not.toContain(SECRET_VALUE);
    await driver.destroyRuntime(ref);
  });

  it('provisions, executes and deprovisions, leaving nothing behind', async () => {
    const orgId = randomUUID();
    const first = runtimeSpec(orgId);
    const second = runtimeSpec(orgId);
    const namespace = tenantNamespace(PREFIX, orgId);
    const firstRef = await provision(first);
    const secondRef = await provision(second);
    await driver.injectSecrets(firstRef, { MODEL_API_KEY: SECRET_VALUE });
    await driver.injectSecrets(secondRef, { MODEL_API_KEY: 'second' });
    const result = await driver.invoke(firstRef, {
      executionId: randomUUID(),
      input: { agent: 'echo' },
      manifest: first.manifest,
    });
    expect(result.status).toBe('succeeded');

    // The first runtime goes; the tenant's namespace stays for the second.
    await driver.destroyRuntime(firstRef);
    await driver.destroyRuntime(firstRef);
    const firstLabelled = async () => [
      ...(await core.listNamespacedSecret({ namespace, labelSelector: runtimeSelector(first) })).items,
      ...(await core.listNamespacedServiceAccount({ namespace, labelSelector: runtimeSelector(first) }))
        .items,
    ];
    expect(await firstLabelled()).toEqual([]);
    expect(await driver.secretNames(secondRef)).toEqual(['MODEL_API_KEY']);
    expect((await core.readNamespace({ name: namespace })).metadata?.deletionTimestamp).toBeUndefined();

    // The last runtime takes the namespace with it.
    await driver.destroyRuntime(secondRef);
    await waitFor(
      async () => (await statusOfCall(() => core.readNamespace({ name: namespace }))) === 404,
      'the namespace controller to delete the tenant namespace',
      90_000,
    );
    await driver.destroyRuntime(secondRef);
    expect(await leftovers(orgId)).toEqual([]);
  }, 180_000);

  it('leaves nothing labelled as Bazaar anywhere once every runtime is gone', async () => {
    await waitFor(
      async () => (await leftovers()).length === 0,
      'every Bazaar object to be gone',
      90_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await leftovers())}`);
    });
  }, 120_000);

  /** Every object labelled managed-by=bazaar (of the tenant, when given), as kind/namespace/name. */
  async function leftovers(orgId?: string): Promise<string[]> {
    const labelSelector = orgId ? `${MANAGED_BY_SELECTOR},bazaar.dev/tenant=${orgId}` : MANAGED_BY_SELECTOR;
    const name = (kind: string) => (item: { metadata?: { namespace?: string; name?: string } }) =>
      `${kind}/${item.metadata?.namespace ?? ''}/${item.metadata?.name}`;
    return [
      ...(await core.listNamespace({ labelSelector })).items.map(name('Namespace')),
      ...(await core.listPodForAllNamespaces({ labelSelector })).items.map(name('Pod')),
      ...(await core.listSecretForAllNamespaces({ labelSelector })).items.map(name('Secret')),
      ...(await core.listServiceAccountForAllNamespaces({ labelSelector })).items.map(name('ServiceAccount')),
      ...(await batch.listJobForAllNamespaces({ labelSelector })).items.map(name('Job')),
      ...(await networking.listNetworkPolicyForAllNamespaces({ labelSelector })).items.map(
        name('NetworkPolicy'),
      ),
    ];
  }
});
