import type { Manifest } from '../domain/catalog/schemas.js';

/** The writable scratch space (HOME) every agent gets, in MiB: a tmpfs in the local sandbox, an emptyDir in Kubernetes. */
export const agentScratchMiB = 64;

/** Where a driver put an installation's runtime: its kind and a reference only it interprets. */
export interface RuntimeRef {
  driver: string;
  location: string;
}

/** How a version's agent runs (manifest `runtime.kind`): a process, a container image or a publisher's endpoint. */
export type RuntimeKind = Manifest['runtime']['kind'];

/** Identifies one runtime: an installation holds one per version while it is being upgraded. */
export interface RuntimeSlot {
  installationId: string;
  orgId: string;
  versionId: string;
  /** Which kind of runtime the version needs; it chooses the driver. */
  runtimeKind: RuntimeKind;
}

/** What a driver needs to create an installation's runtime. */
export interface RuntimeSpec extends RuntimeSlot {
  listingId: string;
  manifest: Manifest;
  /** The version's agent artifact (tar.gz), for runtimes that run the agent's code themselves. */
  artifact?: Uint8Array | null;
}

/** A tool of the platform catalog, as a run is granted it. */
export interface GrantedTool {
  name: string;
  kind: 'llm' | 'http';
}

/**
 * What one execution may use of the tool and LLM gateway: a short-lived token naming the execution
 * and allowing exactly its version's declared tools. Each driver tells the agent where the gateway
 * is for its kind of runtime (see gatewayEnvironment); the tools' real credentials stay with the gateway.
 */
export interface GatewayGrant {
  token: string;
  tools: GrantedTool[];
}

/** One invocation of the agent in an installation's runtime. */
export interface Invocation {
  executionId: string;
  input: unknown;
  manifest: Manifest;
  /** Present when the version declares tools: the agent reaches them only through the gateway. */
  gateway?: GatewayGrant;
  /** Aborting stops the agent (e.g. the activity was cancelled). */
  signal?: AbortSignal;
}

/**
 * How an invocation ended, as the driver saw it: the agent's output, or a reason the caller can read.
 * Output, reason and log tail may hold a credential the agent echoed: nothing of it is stored or
 * returned before redactInvocationResult has removed the values in `secretsGiven`.
 */
export interface InvocationResult {
  status: 'succeeded' | 'failed' | 'timed_out';
  output?: unknown;
  usage?: { tokensIn: number; tokensOut: number };
  durationMs: number;
  reason?: string;
  /** The end of the agent's own logs (stderr). */
  logTail: string;
  /**
   * Every secret value this run made available to the agent (or to a remote endpoint), by name:
   * only for redacting the result, never stored, logged or returned. Empty when none was given.
   */
  secretsGiven: Record<string, string>;
}

/**
 * Creates, fills and removes the isolated place where one installation's agent runs. Every method
 * is idempotent: creating what exists, or removing what is gone, succeeds.
 */
export interface RuntimeDriver {
  /** The driver's name, recorded in RuntimeRef.driver. */
  readonly kind: string;
  /**
   * Where the installation's runtime is, or would be: derived from the ids alone, so an undo can
   * remove a runtime whose creation never reported back.
   */
  refFor(spec: RuntimeSlot): RuntimeRef;
  /** Creates the installation's runtime at refFor(spec) (or finds the one an earlier attempt made). */
  createRuntime(spec: RuntimeSpec): Promise<RuntimeRef>;
  /** Removes the runtime and everything in it. */
  destroyRuntime(ref: RuntimeRef): Promise<void>;
  /** Makes exactly these secrets available to the agent (replacing any injected before). */
  injectSecrets(ref: RuntimeRef, secrets: Record<string, string>): Promise<void>;
  /** Removes every secret from the runtime. */
  revokeSecrets(ref: RuntimeRef): Promise<void>;
  /** Runs one invocation of the agent in the runtime, within the version's limits. */
  invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult>;
  /** The secret names the runtime currently holds (names only), for checks and audits. */
  secretNames(ref: RuntimeRef): Promise<string[]>;
}
