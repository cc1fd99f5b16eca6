import { createHash } from 'node:crypto';

const MANAGED_BY_KEY = 'app.kubernetes.io/managed-by';

/** The label every object the driver creates carries, so a selector finds all of them. */
export const MANAGED_BY = { [MANAGED_BY_KEY]: 'bazaar' };

/** A label selector for every object the driver created. */
export const MANAGED_BY_SELECTOR = `${MANAGED_BY_KEY}=bazaar`;

/** Whether an object's labels say the driver created it. */
export function isManagedByBazaar(labels: Record<string, string> | undefined): boolean {
  return labels?.[MANAGED_BY_KEY] === MANAGED_BY[MANAGED_BY_KEY];
}

/** Label keys the driver sets on the objects it creates. */
export const labelKeys = {
  tenant: 'bazaar.dev/tenant',
  installation: 'bazaar.dev/installation',
  version: 'bazaar.dev/version',
  runtime: 'bazaar.dev/runtime',
  execution: 'bazaar.dev/execution',
} as const;

// UUIDs in practice; anything else a label value and a DNS label can carry is accepted too.
const idPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** One installation version's runtime: the tenant namespace it lives in and the ids it is labelled with. */
export interface RuntimeAddress {
  namespace: string;
  orgId: string;
  installationId: string;
  versionId: string;
}

/** An id as used in Kubernetes names and labels (lowercase), or an error naming it. */
export function kubernetesId(id: string, what: string): string {
  const lower = id.toLowerCase();
  if (!idPattern.test(lower)) throw new Error(`${what} must be a plain identifier of at most 63 characters`);
  return lower;
}

/** The tenant's namespace: prefix + tenant id. */
export function tenantNamespace(prefix: string, orgId: string): string {
  const name = `${prefix}${kubernetesId(orgId, 'tenant id')}`;
  if (name.length > 63) throw new Error(`namespace ${name} is longer than 63 characters; shorten the prefix`);
  return name;
}

/**
 * The short name of one installation version's runtime (its ServiceAccount, and the prefix of its
 * Secret): a hash, since two ids would not fit the 63 characters a label value allows.
 */
export function runtimeName(address: Pick<RuntimeAddress, 'installationId' | 'versionId'>): string {
  const digest = createHash('sha256').update(`${address.installationId}/${address.versionId}`).digest('hex');
  return `runtime-${digest.slice(0, 16)}`;
}

/** The Secret holding a runtime's credentials. */
export function credentialsSecretName(address: Pick<RuntimeAddress, 'installationId' | 'versionId'>): string {
  return `${runtimeName(address)}-credentials`;
}

/** The Job that runs one execution (deterministic, so a retried activity finds the run it started). */
export function jobName(executionId: string): string {
  return `execution-${kubernetesId(executionId, 'execution id')}`.slice(0, 63).replace(/-+$/, '');
}

/** The Secret holding one execution's input. */
export function inputSecretName(executionId: string): string {
  return `${jobName(executionId)}-input`;
}

/** The labels that identify one runtime's objects. */
export function runtimeLabels(address: RuntimeAddress): Record<string, string> {
  return {
    ...MANAGED_BY,
    [labelKeys.tenant]: address.orgId,
    [labelKeys.installation]: address.installationId,
    [labelKeys.version]: address.versionId,
    [labelKeys.runtime]: runtimeName(address),
  };
}

/** A label selector for exactly one runtime's objects. */
export function runtimeSelector(address: Pick<RuntimeAddress, 'installationId' | 'versionId'>): string {
  return `${MANAGED_BY_SELECTOR},${labelKeys.runtime}=${runtimeName(address)}`;
}

/** The runtime of one installation version, in the tenant's namespace (ids lowercased, checked). */
export function runtimeAddress(
  namespacePrefix: string,
  slot: { orgId: string; installationId: string; versionId: string },
): RuntimeAddress {
  return {
    namespace: tenantNamespace(namespacePrefix, slot.orgId),
    orgId: kubernetesId(slot.orgId, 'tenant id'),
    installationId: kubernetesId(slot.installationId, 'installation id'),
    versionId: kubernetesId(slot.versionId, 'version id'),
  };
}

/** The label the Job controller puts on the pods of a Job. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/** RuntimeRef.location for a runtime: `<namespace>/<installationId>/<versionId>`. */
export function formatLocation(address: RuntimeAddress): string {
  return `${address.namespace}/${address.installationId}/${address.versionId}`;
}

/** The runtime a RuntimeRef.location names, refusing one outside this driver's namespaces. */
export function parseLocation(location: string, namespacePrefix: string): RuntimeAddress {
  const [namespace, installationId, versionId, ...rest] = location.split('/');
  if (
    rest.length > 0 ||
    !namespace?.startsWith(namespacePrefix) ||
    namespace.length > 63 ||
    !installationId ||
    !versionId
  ) {
    throw new Error(`runtime reference is not a Kubernetes runtime in a ${namespacePrefix}* namespace`);
  }
  return {
    namespace,
    orgId: kubernetesId(namespace.slice(namespacePrefix.length), 'tenant id'),
    installationId: kubernetesId(installationId, 'installation id'),
    versionId: kubernetesId(versionId, 'version id'),
  };
}
