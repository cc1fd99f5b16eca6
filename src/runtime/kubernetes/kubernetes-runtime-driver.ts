import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1HostAlias,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { gatewayEnvironment } from '../gateway-env.js';
import type {
  GatewayGrant,
  Invocation,
  InvocationResult,
  RuntimeDriver,
  RuntimeRef,
  RuntimeSlot,
  RuntimeSpec,
} from '../runtime-driver.js';
import { createOrExisting, describeFailure, KubernetesApiError, statusOf, unlessGone } from './api-errors.js';
import {
  agentStatus,
  invocationResult,
  jobFinish,
  parseResult,
  type FinishedRun,
  type JobResult,
} from './job-outcome.js';
import {
  credentialsSecretName,
  formatLocation,
  inputSecretName,
  JOB_NAME_LABEL,
  jobName,
  isManagedByBazaar,
  MANAGED_BY_SELECTOR,
  parseLocation,
  runtimeAddress,
  runtimeName,
  runtimeSelector,
  type RuntimeAddress,
} from './names.js';
import {
  credentialsSecret,
  defaultDenyPolicy,
  egressPolicy,
  gatewayEgressPolicy,
  type GatewayTarget,
  inputSecret,
  jobObject,
  namespaceObject,
  serviceAccountObject,
  workerRoleBinding,
  type WorkerIdentity,
} from './objects.js';

/** What the driver reports while it waits for a Job, for callers that heartbeat with progress. */
export interface KubernetesProgress {
  executionId: string;
  job: string;
  /** Where the run is: 'pending', 'running' or 'finishing'. */
  state: string;
}

/** How the Kubernetes driver names, builds and watches what it creates. */
export interface KubernetesRuntimeDriverOptions {
  /** Prefix of the per-tenant namespaces, e.g. 'bazaar-t-' (the tenant id follows). */
  namespacePrefix: string;
  /** How long Kubernetes keeps a finished Job the driver could not delete itself (default 600 s). */
  ttlSecondsAfterFinished?: number;
  /** How often a running Job is polled (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * How long past the manifest's timeout the driver waits for the Job controller to report the
   * deadline before it gives up on the Job itself (default 20 s: inside the 30 s the execute
   * workflow allows its activity beyond the timeout, so the driver answers before Temporal retries).
   */
  deadlineGraceSeconds?: number;
  /**
   * The worker's own ServiceAccount: each agent namespace gets a RoleBinding granting it the
   * `bazaar-agent-namespace` ClusterRole there (k8s/rbac.yaml). Unset when Bazaar runs with rights of
   * its own everywhere (a kubeconfig of an administrator, as in tests).
   */
  workerServiceAccount?: WorkerIdentity;
  /** Called at every poll of a running Job (an activity passes Temporal's heartbeat here). */
  heartbeat?: (progress: KubernetesProgress) => void;
  /**
   * The tool and LLM gateway: every agent namespace lets its pods reach it, and a Job granted tools
   * gets its variables. Unset: no gateway egress, and a run granted tools is refused.
   */
  gateway?: GatewayTarget;
}

const LOG_LIMIT_BYTES = 64 * 1024;

/**
 * Runs container agents (`runtime.kind: "container"`) as Kubernetes Jobs.
 *
 * One namespace per tenant (`<prefix><orgId>`), shared by that tenant's installations: the
 * namespace is the unit Kubernetes fences with, so each tenant gets its own Pod Security Admission
 * `restricted` enforcement, its own default-deny NetworkPolicy and its own RBAC scope, and no tenant's
 * pods, Secrets or policies share a namespace with another's. A namespace per installation would fence
 * more finely but multiply namespaces (and their admission and controller work) by installations;
 * inside a tenant, installations are kept apart by their own ServiceAccount (bound to nothing, never
 * mounted) and their own credentials Secret, and every object carries labels naming its runtime so
 * deprovisioning removes exactly what it created.
 *
 * Each execution is a Job named after the execution id (so a retried activity finds the run it
 * started), with its input in a Secret the Job owns; the result comes back in the agent container's
 * termination message (or the last line of its log). Errors never carry a Secret's content.
 */
export class KubernetesRuntimeDriver implements RuntimeDriver {
  readonly kind = 'kubernetes';
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly options: Required<
    Omit<KubernetesRuntimeDriverOptions, 'heartbeat' | 'workerServiceAccount' | 'gateway'>
  > &
    Pick<KubernetesRuntimeDriverOptions, 'heartbeat' | 'workerServiceAccount' | 'gateway'>;

  constructor(kubeConfig: KubeConfig, options: KubernetesRuntimeDriverOptions) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.networking = kubeConfig.makeApiClient(NetworkingV1Api);
    this.rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    this.options = {
      ttlSecondsAfterFinished: 600,
      pollIntervalMs: 1000,
      deadlineGraceSeconds: 20,
      ...options,
    };
  }

  refFor(slot: RuntimeSlot): RuntimeRef {
    return {
      driver: this.kind,
      location: formatLocation(runtimeAddress(this.options.namespacePrefix, slot)),
    };
  }

  /**
   * The tenant's namespace (PSA restricted, default-deny, egress to the gateway only), and the
   * runtime's ServiceAccount in it.
   */
  async createRuntime(spec: RuntimeSpec): Promise<RuntimeRef> {
    if (spec.manifest.runtime.kind !== 'container')
      throw new Error(
        `the Kubernetes runtime runs container agents; this version is ${spec.manifest.runtime.kind}`,
      );
    const address = runtimeAddress(this.options.namespacePrefix, spec);
    const { namespace } = address;
    await this.ensureNamespace(address);
    await this.call('create the default-deny NetworkPolicy', () =>
      onceAuthorized(() =>
        createOrExisting(() =>
          this.networking.createNamespacedNetworkPolicy({
            namespace,
            body: defaultDenyPolicy(namespace, address.orgId),
          }),
        ),
      ),
    );
    const { gateway } = this.options;
    if (gateway)
      await this.call('create the gateway egress NetworkPolicy', () =>
        createOrExisting(() =>
          this.networking.createNamespacedNetworkPolicy({
            namespace,
            body: gatewayEgressPolicy(namespace, address.orgId, gateway),
          }),
        ),
      );
    const egress = egressPolicy(address, spec.manifest);
    if (egress)
      await this.call('create the runtime egress NetworkPolicy', () =>
        createOrExisting(() => this.networking.createNamespacedNetworkPolicy({ namespace, body: egress })),
      );
    await this.call('create the runtime ServiceAccount', () =>
      createOrExisting(() =>
        this.core.createNamespacedServiceAccount({ namespace, body: serviceAccountObject(address) }),
      ),
    );
    return { driver: this.kind, location: formatLocation(address) };
  }

  /**
   * Removes the runtime's Jobs (their pods and input Secrets go with them), Secrets, NetworkPolicies and
   * ServiceAccount, then the tenant's namespace when no other runtime of the tenant is left in it.
   */
  async destroyRuntime(ref: RuntimeRef): Promise<void> {
    const address = this.parse(ref);
    const { namespace } = address;
    const labelSelector = runtimeSelector(address);
    await this.call('delete the runtime Jobs', () =>
      unlessGone(() =>
        this.batch.deleteCollectionNamespacedJob({
          namespace,
          labelSelector,
          propagationPolicy: 'Background',
        }),
      ),
    );
    await this.call(
      'delete the runtime Secrets',
      () => unlessGone(() => this.core.deleteCollectionNamespacedSecret({ namespace, labelSelector })),
      true,
    );
    await this.call('delete the runtime NetworkPolicies', () =>
      unlessGone(() => this.networking.deleteCollectionNamespacedNetworkPolicy({ namespace, labelSelector })),
    );
    await this.call('delete the runtime ServiceAccount', () =>
      unlessGone(() => this.core.deleteNamespacedServiceAccount({ name: runtimeName(address), namespace })),
    );
    // Each runtime has exactly one ServiceAccount: none left means no other installation lives here.
    // (A runtime created for the same tenant at this very moment can lose this race; its provisioning
    // then fails on the terminating namespace and is retried once the namespace is gone.)
    const others = await this.call('list the tenant runtimes', () =>
      unlessGone(() =>
        this.core.listNamespacedServiceAccount({ namespace, labelSelector: MANAGED_BY_SELECTOR }),
      ),
    );
    if (others && others.items.length === 0)
      await this.call('delete the tenant namespace', () =>
        unlessGone(() => this.core.deleteNamespace({ name: namespace })),
      );
  }

  /** Creates or replaces the credentials Secret so it holds exactly these names. */
  async injectSecrets(ref: RuntimeRef, secrets: Record<string, string>): Promise<void> {
    const address = this.parse(ref);
    const { namespace } = address;
    const name = credentialsSecretName(address);
    const body = credentialsSecret(address, secrets);
    // A replace without resourceVersion overwrites `data` with exactly `stringData`.
    const replace = () => this.core.replaceNamespacedSecret({ name, namespace, body });
    await this.call(
      'write the credentials Secret',
      async () => {
        try {
          await replace();
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          if ((await createOrExisting(() => this.core.createNamespacedSecret({ namespace, body }))) === null)
            await replace();
        }
      },
      true,
    );
  }

  async revokeSecrets(ref: RuntimeRef): Promise<void> {
    const address = this.parse(ref);
    await this.call(
      'delete the credentials Secret',
      () =>
        unlessGone(() =>
          this.core.deleteNamespacedSecret({
            name: credentialsSecretName(address),
            namespace: address.namespace,
          }),
        ),
      true,
    );
  }

  async secretNames(ref: RuntimeRef): Promise<string[]> {
    return Object.keys(await this.readCredentials(this.parse(ref))).sort();
  }

  /** The values in the runtime's credentials Secret, by name ({} when it has none). */
  private async readCredentials(address: RuntimeAddress): Promise<Record<string, string>> {
    const secret = await this.call(
      'read the credentials Secret',
      () =>
        unlessGone(() =>
          this.core.readNamespacedSecret({
            name: credentialsSecretName(address),
            namespace: address.namespace,
          }),
        ),
      true,
    );
    return Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([name, encoded]) => [
        name,
        Buffer.from(encoded, 'base64').toString('utf8'),
      ]),
    );
  }

  /**
   * Runs one execution as a Job and waits for it (polling, heartbeating), then deletes the Job (its pod
   * and input Secret go with it). The agent's own failures are results; only failures of Kubernetes
   * itself throw, so the activity retries them and finds the same Job again.
   */
  async invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
    const address = this.parse(ref);
    const { manifest } = invocation;
    if (manifest.runtime.kind !== 'container')
      return {
        status: 'failed',
        reason: `the Kubernetes runtime runs container agents; this version is ${manifest.runtime.kind}`,
        durationMs: 0,
        logTail: '',
        secretsGiven: {},
      };
    // The values the pod takes its environment from, for the caller to redact from the result.
    const secretsGiven = await this.readCredentials(address);
    if (invocation.gateway) secretsGiven.BAZAAR_TOOLS_TOKEN = invocation.gateway.token;
    const started = Date.now();
    const job = await this.startJob(address, invocation);
    // When polling fails the Job is left running: the retried activity finds it and waits again.
    const result = await this.awaitJob(address, job, invocation, started);
    // Whatever the outcome (the TTL controller is only the backstop). When this delete fails the
    // activity is retried, finds the finished Job again and reads the same result from it.
    await this.deleteJob(address, invocation.executionId);
    return { ...result, secretsGiven };
  }

  /** Creates the execution's Job (or finds the one an earlier attempt created) and its input Secret. */
  private async startJob(address: RuntimeAddress, invocation: Invocation): Promise<V1Job> {
    const { namespace } = address;
    const name = jobName(invocation.executionId);
    const body = jobObject(address, invocation.executionId, invocation.manifest, {
      ttlSecondsAfterFinished: this.options.ttlSecondsAfterFinished,
      ...(invocation.gateway ? { gateway: await this.gatewayFor(invocation.gateway) } : {}),
    });
    const job =
      (await this.call('create the execution Job', () =>
        createOrExisting(() => this.batch.createNamespacedJob({ namespace, body })),
      )) ??
      (await this.call('read the execution Job', () => this.batch.readNamespacedJob({ name, namespace })));
    if (job.metadata?.deletionTimestamp)
      throw new KubernetesApiError(
        `the Job ${name} of an earlier attempt is still being deleted; try again`,
        409,
      );
    const uid = job.metadata?.uid;
    if (!uid)
      throw new KubernetesApiError(`the API server returned the Job ${name} without a uid`, undefined);

    const input = inputSecret(address, invocation.executionId, invocation.input, { name, uid });
    const secretName = inputSecretName(invocation.executionId);
    await this.call(
      'write the execution input Secret',
      async () => {
        if (await createOrExisting(() => this.core.createNamespacedSecret({ namespace, body: input })))
          return;
        // One left by an earlier Job of the same name is replaced, so this Job owns it.
        const existing = await this.core.readNamespacedSecret({ name: secretName, namespace });
        if (existing.metadata?.ownerReferences?.some((owner) => owner.uid === uid)) return;
        await this.core.replaceNamespacedSecret({ name: secretName, namespace, body: input });
      },
      true,
    );
    return job;
  }

  /**
   * The gateway's variables for this grant, and the address of the gateway's host for the pod's
   * hostAliases (resolved here, in the cluster: the agent namespace allows no DNS). Failing to
   * resolve is the platform's failure: it throws, so the activity is retried.
   */
  private async gatewayFor(
    grant: GatewayGrant,
  ): Promise<{ env: Record<string, string>; hostAliases: V1HostAlias[] }> {
    const { gateway } = this.options;
    if (!gateway)
      throw new Error(
        'this worker was started without a tool gateway for Kubernetes agents; the run needs one',
      );
    const env = gatewayEnvironment(gateway.url, grant);
    const host = new URL(gateway.url).hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) return { env, hostAliases: [] };
    const resolved = await lookup(host).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot resolve the tool gateway's address ${host} (${error.code ?? 'error'})`);
    });
    return { env, hostAliases: [{ ip: resolved.address, hostnames: [host] }] };
  }

  /** Polls the Job until it finishes, the invocation is cancelled, or the driver's own deadline passes. */
  private async awaitJob(
    address: RuntimeAddress,
    job: V1Job,
    invocation: Invocation,
    started: number,
  ): Promise<JobResult> {
    const { namespace } = address;
    const name = job.metadata!.name!;
    const { signal, executionId } = invocation;
    const { timeoutSeconds } = invocation.manifest.resources;
    const giveUpAt = started + (timeoutSeconds + this.options.deadlineGraceSeconds) * 1000;
    for (;;) {
      if (signal?.aborted)
        return {
          status: 'failed',
          reason: 'the run was cancelled',
          durationMs: Date.now() - started,
          logTail: '',
        };
      const current = await this.call('read the execution Job', () =>
        unlessGone(() => this.batch.readNamespacedJob({ name, namespace })),
      );
      if (!current)
        return {
          status: 'failed',
          reason: `the Job ${name} was deleted before it finished`,
          durationMs: Date.now() - started,
          logTail: '',
        };
      const finish = jobFinish(current);
      if (finish) {
        const pod = await this.findPod(namespace, name);
        const message = agentStatus(pod)?.state?.terminated?.message;
        // The log holds results too large for the termination message; read it only then.
        const log = finish.complete && pod && !parseResult(message) ? await this.readLog(namespace, pod) : '';
        const run: FinishedRun = { finish, pod, log, timeoutSeconds, wallMs: Date.now() - started };
        return invocationResult(run);
      }
      if (Date.now() > giveUpAt)
        return {
          status: 'timed_out',
          reason: `the agent did not finish within ${timeoutSeconds} s (and Kubernetes did not end its Job)`,
          durationMs: Date.now() - started,
          logTail: '',
        };
      this.options.heartbeat?.({
        executionId,
        job: name,
        state:
          (current.status?.active ?? 0) > 0 ? 'running' : current.status?.startTime ? 'finishing' : 'pending',
      });
      await sleep(this.options.pollIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** The Job's pod: the one whose agent has terminated, else the newest (there is one: no retries). */
  private async findPod(namespace: string, job: string): Promise<V1Pod | undefined> {
    const pods = await this.call('list the execution pods', () =>
      this.core.listNamespacedPod({ namespace, labelSelector: `${JOB_NAME_LABEL}=${job}` }),
    );
    const newestFirst = [...pods.items].sort(
      (a, b) =>
        (b.metadata?.creationTimestamp?.getTime() ?? 0) - (a.metadata?.creationTimestamp?.getTime() ?? 0),
    );
    return newestFirst.find((pod) => agentStatus(pod)?.state?.terminated) ?? newestFirst[0];
  }

  /** The agent container's log, or '' when the node cannot serve it (gone, unreachable, no kubelet). */
  private async readLog(namespace: string, pod: V1Pod): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({
        name: pod.metadata!.name!,
        namespace,
        container: 'agent',
        limitBytes: LOG_LIMIT_BYTES,
      });
    } catch {
      return '';
    }
  }

  /** Deletes the execution's Job in the background: the garbage collector takes its pod and input Secret. */
  private async deleteJob(address: RuntimeAddress, executionId: string): Promise<void> {
    await this.call('delete the execution Job', () =>
      unlessGone(() =>
        this.batch.deleteNamespacedJob({
          name: jobName(executionId),
          namespace: address.namespace,
          propagationPolicy: 'Background',
        }),
      ),
    );
  }

  /**
   * The tenant's namespace, created with its PSA labels, or an existing one made by Bazaar with its
   * labels restored; a namespace Bazaar did not make, or one being deleted, is refused.
   */
  private async ensureNamespace(address: RuntimeAddress): Promise<void> {
    const { namespace } = address;
    const wanted = namespaceObject(namespace, address.orgId);
    const created = await this.call('create the tenant namespace', () =>
      createOrExisting(() => this.core.createNamespace({ body: wanted })),
    );
    if (created) return this.grantWorker(address);
    const existing = await this.call('read the tenant namespace', () =>
      this.core.readNamespace({ name: namespace }),
    );
    const labels = existing.metadata?.labels ?? {};
    if (!isManagedByBazaar(labels))
      throw new KubernetesApiError(
        `namespace ${namespace} exists and was not created by Bazaar; not using it`,
        409,
      );
    if (existing.metadata?.deletionTimestamp || existing.status?.phase === 'Terminating')
      throw new KubernetesApiError(`namespace ${namespace} is still being deleted; try again`, 409);
    const wantedLabels = wanted.metadata!.labels!;
    if (Object.entries(wantedLabels).some(([key, value]) => labels[key] !== value)) {
      existing.metadata!.labels = { ...labels, ...wantedLabels };
      await this.call('restore the tenant namespace labels', () =>
        this.core.replaceNamespace({ name: namespace, body: existing }),
      );
    }
    await this.grantWorker(address);
  }

  /** Binds the worker's ServiceAccount (when configured) to its role inside the tenant namespace. */
  private async grantWorker(address: RuntimeAddress): Promise<void> {
    const worker = this.options.workerServiceAccount;
    if (!worker) return;
    const { namespace } = address;
    await this.call('grant the worker its role in the tenant namespace', () =>
      createOrExisting(() =>
        this.rbac.createNamespacedRoleBinding({
          namespace,
          body: workerRoleBinding(namespace, address.orgId, worker),
        }),
      ),
    );
  }

  /** Runs a Kubernetes call, turning its failure into a short error (without the server's message when `quiet`). */
  private async call<T>(what: string, run: () => Promise<T>, quiet = false): Promise<T> {
    try {
      return await run();
    } catch (error) {
      describeFailure(what, error, quiet);
    }
  }

  /** The runtime a reference names, refusing references that are not this driver's. */
  private parse(ref: RuntimeRef): RuntimeAddress {
    if (ref.driver !== this.kind) throw new Error('runtime reference is not a Kubernetes runtime');
    return parseLocation(ref.location, this.options.namespacePrefix);
  }
}

/**
 * Runs a call, retrying a 403 for a few seconds: right after the worker's RoleBinding is created, the
 * API server's authorizer may not have seen it yet.
 */
async function onceAuthorized<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (statusOf(error) !== 403 || attempt >= 20) throw error;
      await sleep(250);
    }
  }
}
