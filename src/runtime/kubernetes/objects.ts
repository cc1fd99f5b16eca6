import type {
  V1HostAlias,
  V1Job,
  V1RoleBinding,
  V1Namespace,
  V1NetworkPolicy,
  V1Secret,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { Manifest } from '../../domain/catalog/schemas.js';
import { agentScratchMiB } from '../runtime-driver.js';
import {
  credentialsSecretName,
  inputSecretName,
  jobName,
  labelKeys,
  MANAGED_BY,
  runtimeLabels,
  runtimeName,
  type RuntimeAddress,
} from './names.js';

/** Where a container agent finds its input, and where it writes its result (the container contract). */
export const containerContract = {
  inputDir: '/var/run/bazaar/input',
  inputFile: '/var/run/bazaar/input/input.json',
  resultFile: '/dev/termination-log',
  scratchDir: '/tmp',
} as const;

/** The unprivileged uid/gid agents run as, whatever user their image declares. */
export const AGENT_UID = 65532;

/** The tenant's namespace: Pod Security Admission `restricted` enforced (and warned, audited). */
export function namespaceObject(namespace: string, orgId: string): V1Namespace {
  return {
    metadata: {
      name: namespace,
      labels: {
        ...MANAGED_BY,
        [labelKeys.tenant]: orgId,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  };
}

/** The name of the namespace-wide default-deny NetworkPolicy. */
export const DEFAULT_DENY_POLICY = 'default-deny';

/**
 * Selects every pod in the tenant namespace and allows no ingress and no egress (not even DNS): an
 * agent reaches only what its version declares, through its runtime's own egressPolicy.
 */
export function defaultDenyPolicy(namespace: string, orgId: string): V1NetworkPolicy {
  return {
    metadata: {
      name: DEFAULT_DENY_POLICY,
      namespace,
      labels: { ...MANAGED_BY, [labelKeys.tenant]: orgId },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  };
}

/**
 * Allows the runtime's pods exactly the egress its version declares (next to the namespace's
 * default-deny, policies add up), or null when it declares none. Only address blocks: a policy
 * cannot name hosts, and DNS stays closed.
 */
export function egressPolicy(address: RuntimeAddress, manifest: Manifest): V1NetworkPolicy | null {
  const { egress } = manifest.network;
  if (egress.length === 0) return null;
  return {
    metadata: {
      name: `${runtimeName(address)}-egress`,
      namespace: address.namespace,
      labels: runtimeLabels(address),
    },
    spec: {
      podSelector: { matchLabels: { [labelKeys.runtime]: runtimeName(address) } },
      policyTypes: ['Egress'],
      egress: egress.map((rule) => ({
        to: [{ ipBlock: { cidr: rule.cidr } }],
        ports: rule.ports.map((port) => ({ port, protocol: rule.protocol })),
      })),
    },
  };
}

/** The labels of the tool gateway's pods (k8s/gateway.yaml): the one in-cluster egress agents get. */
export const GATEWAY_POD_LABELS = { 'app.kubernetes.io/name': 'bazaar-gateway' } as const;

/** The name of the namespace-wide NetworkPolicy that lets agents call the tool gateway. */
export const GATEWAY_EGRESS_POLICY = 'gateway-egress';

/** Where agent pods reach the tool and LLM gateway. */
export interface GatewayTarget {
  /** The gateway as agents call it (its Service), e.g. config.gateway.internalUrl. */
  url: string;
  /** The namespace its pods run in. */
  namespace: string;
  /** The port its pods listen on (config.gateway.port): a policy sees the pod's port, not the Service's. */
  port: number;
}

/**
 * Next to the namespace's default-deny, lets every pod in the tenant namespace open TCP connections
 * to the gateway's pods (by namespace and label, on the gateway's port) and nowhere else. DNS stays
 * closed: a Job finds the gateway's address in its hostAliases.
 */
export function gatewayEgressPolicy(
  namespace: string,
  orgId: string,
  gateway: GatewayTarget,
): V1NetworkPolicy {
  return {
    metadata: {
      name: GATEWAY_EGRESS_POLICY,
      namespace,
      labels: { ...MANAGED_BY, [labelKeys.tenant]: orgId },
    },
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': gateway.namespace } },
              podSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
            },
          ],
          ports: [{ port: gateway.port, protocol: 'TCP' }],
        },
      ],
    },
  };
}

/** The runtime's identity: bound to no Role, and never mounted into its pods. */
export function serviceAccountObject(address: RuntimeAddress): V1ServiceAccount {
  return {
    metadata: { name: runtimeName(address), namespace: address.namespace, labels: runtimeLabels(address) },
    automountServiceAccountToken: false,
  };
}

/** The runtime's credentials, one key per declared name (values never logged). */
export function credentialsSecret(address: RuntimeAddress, secrets: Record<string, string>): V1Secret {
  return {
    metadata: {
      name: credentialsSecretName(address),
      namespace: address.namespace,
      labels: runtimeLabels(address),
    },
    type: 'Opaque',
    stringData: secrets,
  };
}

/** One execution's input as a Secret (inputs may be sensitive), owned by its Job so it goes with it. */
export function inputSecret(
  address: RuntimeAddress,
  executionId: string,
  input: unknown,
  owner: { name: string; uid: string },
): V1Secret {
  return {
    metadata: {
      name: inputSecretName(executionId),
      namespace: address.namespace,
      labels: { ...runtimeLabels(address), [labelKeys.execution]: executionId },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: owner.name, uid: owner.uid }],
    },
    type: 'Opaque',
    stringData: { 'input.json': JSON.stringify(input ?? null) },
  };
}

/** How a Job is built beyond what the manifest says. */
export interface JobOptions {
  /** How long a finished Job (and its pod) stays for inspection before Kubernetes removes it. */
  ttlSecondsAfterFinished: number;
  /**
   * For a run granted tools: the gateway's variables (see gatewayEnvironment), which win over a
   * credential of the same name, and the gateway host's address (the namespace has no DNS).
   */
  gateway?: { env: Record<string, string>; hostAliases: V1HostAlias[] };
}

/**
 * The Job that runs one execution: the version's digest-pinned image with the manifest's resources
 * (requests = limits), `activeDeadlineSeconds` from its timeout, no retries (Temporal owns them), and
 * every restriction PSA `restricted` asks for and more: non-root fixed uid, read-only root
 * filesystem, no capabilities, no privilege escalation, seccomp RuntimeDefault, no API token, no
 * service links. Credentials come from the runtime's Secret as environment variables; a run granted
 * tools also gets the gateway's variables.
 */
export function jobObject(
  address: RuntimeAddress,
  executionId: string,
  manifest: Manifest,
  options: JobOptions,
): V1Job {
  if (manifest.runtime.kind !== 'container') throw new Error('only container agents run as Kubernetes Jobs');
  const labels = { ...runtimeLabels(address), [labelKeys.execution]: executionId };
  const { cpu, memory, timeoutSeconds } = manifest.resources;
  return {
    metadata: { name: jobName(executionId), namespace: address.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: timeoutSeconds,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: runtimeName(address),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(options.gateway?.hostAliases.length ? { hostAliases: options.gateway.hostAliases } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            fsGroup: AGENT_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'agent',
              image: manifest.runtime.image,
              imagePullPolicy: 'IfNotPresent',
              env: [
                { name: 'BAZAAR_INPUT_FILE', value: containerContract.inputFile },
                { name: 'BAZAAR_RESULT_FILE', value: containerContract.resultFile },
                // `env` wins over `envFrom`: a tool's real key of the same name never reaches the agent.
                ...Object.entries(options.gateway?.env ?? {}).map(([name, value]) => ({ name, value })),
              ],
              // Optional: a runtime whose credentials were revoked still starts, without them.
              envFrom: [{ secretRef: { name: credentialsSecretName(address), optional: true } }],
              resources: { requests: { cpu, memory }, limits: { cpu, memory } },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'input', mountPath: containerContract.inputDir, readOnly: true },
                { name: 'scratch', mountPath: containerContract.scratchDir },
              ],
              terminationMessagePath: containerContract.resultFile,
              // A failed agent that wrote no result still explains itself: the end of its log.
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
          volumes: [
            {
              name: 'input',
              secret: { secretName: inputSecretName(executionId), defaultMode: 0o440 },
            },
            { name: 'scratch', emptyDir: { sizeLimit: `${agentScratchMiB}Mi` } },
          ],
        },
      },
    },
  };
}

/** The ClusterRole that holds the worker's rights inside an agent namespace (k8s/rbac.yaml). */
export const AGENT_NAMESPACE_ROLE = 'bazaar-agent-namespace';

/** Bazaar's own identity in the cluster: the ServiceAccount the worker runs as. */
export interface WorkerIdentity {
  namespace: string;
  name: string;
}

/**
 * Grants the worker its rights inside this one tenant namespace: it holds none cluster-wide beyond
 * creating and removing agent namespaces, so it can read no Secret of any other workload.
 */
export function workerRoleBinding(namespace: string, orgId: string, worker: WorkerIdentity): V1RoleBinding {
  return {
    metadata: {
      name: 'bazaar-worker',
      namespace,
      labels: { ...MANAGED_BY, [labelKeys.tenant]: orgId },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAMESPACE_ROLE },
    subjects: [{ kind: 'ServiceAccount', namespace: worker.namespace, name: worker.name }],
  };
}
