// Plays the scheduler and the kubelet of one node for the Kubernetes driver tests (there is no
// container runtime here): it binds Bazaar's pods to its node, "runs" the agent container by reading
// the input Secret the pod mounts and the credentials Secret it takes its environment from, and
// reports the outcome in the pod's status (Running, then Succeeded or Failed with the container's
// exit code and termination message) exactly where a kubelet would, so the Job controller finishes the
// Job. What the "agent" does is chosen by the input, `{"agent": "echo" | "fail" | "hang" | "silent" |
// "leak" | "leak-fail"}`; the last two echo the credential values (raw, base64, URL-encoded) in their
// output or in a failure message, as a careless agent would.
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  type V1PodStatus,
  type V1Secret,
} from '@kubernetes/client-node';
import { MANAGED_BY_SELECTOR } from '../../src/runtime/kubernetes/names.js';

/** What the stand-in saw: the objects exactly as the API server returned them when their pod ran. */
export interface RunRecord {
  pod: V1Pod;
  job: V1Job | undefined;
  /** The input Secret's metadata (its data is read, not kept). */
  inputSecret: V1Secret['metadata'];
  input: unknown;
  credentialNames: string[];
  /** The credential values the container's environment would hold, by name. */
  credentials: Record<string, string>;
  /** The container's whole environment as a kubelet builds it: envFrom, then env over it. */
  environment: Record<string, string>;
}

const NODE_NAME = 'bazaar-test-node';

/** A node that runs no containers: it plays them from the pod's Secrets and writes a kubelet's status. */
export class KubeletStandIn {
  readonly nodeName = NODE_NAME;
  /** Runs by pod name. */
  readonly runs = new Map<string, RunRecord>();
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastError: unknown;

  private constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  /** Registers the node and starts polling Bazaar's pods in every namespace. */
  static async start(kubeConfig: KubeConfig, pollMs = 100): Promise<KubeletStandIn> {
    const standIn = new KubeletStandIn(kubeConfig);
    await standIn.core
      .createNode({
        body: { metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } } },
      })
      .catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
    const loop = () => {
      if (standIn.stopped) return;
      standIn.ticking = standIn
        .tick()
        .catch((error: unknown) => {
          standIn.lastError = error;
        })
        .finally(() => {
          if (!standIn.stopped) standIn.timer = setTimeout(loop, pollMs);
        });
    };
    loop();
    return standIn;
  }

  /** The last error a poll met (the stand-in keeps going), for a failing test to show. */
  get error(): unknown {
    return this.lastError;
  }

  /** The run of the pod of a Job, once the stand-in has run it. */
  runOfJob(jobName: string): RunRecord | undefined {
    return [...this.runs.values()].find((run) => run.job?.metadata?.name === jobName);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private async tick(): Promise<void> {
    const pods = await this.core.listPodForAllNamespaces({ labelSelector: MANAGED_BY_SELECTOR });
    for (const pod of pods.items) {
      try {
        await this.step(pod);
      } catch (error) {
        // A conflict or a pod deleted meanwhile: the next poll sees the newer state.
        if ((error as { code?: number }).code !== 409 && (error as { code?: number }).code !== 404)
          throw error;
      }
    }
  }

  /** Moves one pod a step along, as a scheduler and a kubelet would. */
  private async step(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const namespace = pod.metadata!.namespace!;
    const phase = pod.status?.phase ?? 'Pending';
    const terminal = phase === 'Succeeded' || phase === 'Failed';

    if (pod.metadata?.deletionTimestamp) {
      // Deleted (deadline, Job deleted, namespace deleted): stop the container, then confirm.
      if (pod.spec?.nodeName && !terminal) {
        await this.writeStatus(pod, terminatedStatus(pod, 137, 'Error', ''));
      }
      await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      return;
    }
    if (!pod.spec?.nodeName) {
      await this.core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME } },
      });
      return;
    }
    if (terminal) return;

    if (phase === 'Pending') {
      const run = await this.prepare(pod);
      if (!run) return; // A mounted Secret is not there yet: a kubelet waits too.
      this.runs.set(name, run);
      await this.writeStatus(pod, runningStatus(pod));
      return;
    }
    const run = this.runs.get(name);
    if (!run) return;
    const agent = (run.input as { agent?: string } | null)?.agent ?? 'echo';
    if (agent === 'hang') return;
    if (agent === 'fail') {
      await this.writeStatus(pod, terminatedStatus(pod, 3, 'Error', 'boom: the model refused the request\n'));
      return;
    }
    if (agent === 'leak' || agent === 'leak-fail') {
      const echoed = Object.values(run.credentials).flatMap((value) => [
        value,
        Buffer.from(value).toString('base64'),
        encodeURIComponent(value),
      ]);
      const written =
        agent === 'leak'
          ? terminatedStatus(
              pod,
              0,
              'Completed',
              JSON.stringify({ output: { echoed, keyed: run.credentials } }),
            )
          : terminatedStatus(pod, 1, 'Error', `could not authenticate with ${echoed.join(' ')}\n`);
      await this.writeStatus(pod, written);
      return;
    }
    if (agent === 'silent') {
      await this.writeStatus(pod, terminatedStatus(pod, 0, 'Completed', ''));
      return;
    }
    const envelope = {
      output: { echo: run.input, credentialNames: run.credentialNames },
      usage: { tokensIn: JSON.stringify(run.input).length, tokensOut: 7 },
    };
    await this.writeStatus(pod, terminatedStatus(pod, 0, 'Completed', JSON.stringify(envelope)));
  }

  /** Reads what the container would see (input file, credentials), or null while a Secret is missing. */
  private async prepare(pod: V1Pod): Promise<RunRecord | null> {
    const namespace = pod.metadata!.namespace!;
    const inputVolume = pod.spec?.volumes?.find((volume) => volume.name === 'input');
    const secretName = inputVolume?.secret?.secretName;
    if (!secretName) throw new Error(`pod ${pod.metadata?.name} mounts no input Secret`);
    const secret = await this.core.readNamespacedSecret({ name: secretName, namespace }).catch(() => null);
    const encoded = secret?.data?.['input.json'];
    if (!secret || encoded === undefined) return null;
    const input = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown;

    const credentials: Record<string, string> = {};
    for (const source of pod.spec?.containers[0]?.envFrom ?? []) {
      const ref = source.secretRef;
      if (!ref?.name) continue;
      const held = await this.core.readNamespacedSecret({ name: ref.name, namespace }).catch(() => null);
      if (!held && !ref.optional) return null;
      for (const [name, value] of Object.entries(held?.data ?? {}))
        credentials[name] = Buffer.from(value, 'base64').toString('utf8');
    }

    const owner = pod.metadata?.ownerReferences?.find((reference) => reference.kind === 'Job');
    const job = owner
      ? await this.batch.readNamespacedJob({ name: owner.name, namespace }).catch(() => undefined)
      : undefined;
    const credentialNames = Object.keys(credentials).sort();
    const environment = { ...credentials };
    for (const variable of pod.spec?.containers[0]?.env ?? [])
      if (variable.value !== undefined) environment[variable.name] = variable.value;
    return { pod, job, inputSecret: secret.metadata, input, credentialNames, credentials, environment };
  }

  private async writeStatus(pod: V1Pod, status: V1PodStatus): Promise<void> {
    await this.core.replaceNamespacedPodStatus({
      name: pod.metadata!.name!,
      namespace: pod.metadata!.namespace!,
      body: { ...pod, status },
    });
  }
}

function runningStatus(pod: V1Pod): V1PodStatus {
  const now = new Date();
  return {
    ...pod.status,
    phase: 'Running',
    startTime: now,
    hostIP: '127.0.0.1',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
    ],
    containerStatuses: [
      {
        name: 'agent',
        image: pod.spec!.containers[0]!.image!,
        imageID: '',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      },
    ],
  };
}

function terminatedStatus(pod: V1Pod, exitCode: number, reason: string, message: string): V1PodStatus {
  const now = new Date();
  const startedAt = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? now;
  const notReady = (type: string) => ({
    type,
    status: 'False',
    reason: 'PodCompleted',
    lastTransitionTime: now,
  });
  return {
    ...pod.status,
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    startTime: pod.status?.startTime ?? now,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      notReady('ContainersReady'),
      notReady('Ready'),
    ],
    containerStatuses: [
      {
        name: 'agent',
        image: pod.spec!.containers[0]!.image!,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { terminated: { exitCode, reason, message, startedAt, finishedAt: now } },
      },
    ],
  };
}
