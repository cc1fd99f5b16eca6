import { chmod, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { unpackArtifact } from '../artifacts/unpack-artifact.js';
import type {
  GatewayGrant,
  Invocation,
  InvocationResult,
  RuntimeDriver,
  RuntimeRef,
  RuntimeSlot,
  RuntimeSpec,
} from '../runtime-driver.js';
import { limitsFromManifest } from './sandbox/limits-from-manifest.js';
import { runAgent } from './sandbox/run-agent.js';
import type { SandboxGateway } from './sandbox/sandbox-types.js';

const SECRETS_FILE = 'secrets.json';
const AGENT_DIR = 'agent';
const CONFIG_FILE = 'runtime.json';
const idPattern = /^[A-Za-z0-9-]{1,64}$/;

/** Where this worker serves the tool and LLM gateway (config.gateway): its Unix socket and TCP port. */
export interface LocalGatewayAddress {
  socketPath: string;
  port: number;
}

/**
 * The embedded default: each installation version gets a directory under `<root>/<tenant>/<installation>/<version>/`
 * (owner-only), holding its runtime configuration and, once injected, its secrets in an owner-only
 * file. Executions (the sandbox that runs the agent) read them from there. An invocation with a
 * gateway grant reaches the gateway at `gateway` (its socket mounted into the sandbox) and nothing else.
 */
export class LocalRuntimeDriver implements RuntimeDriver {
  readonly kind = 'local';
  private readonly root: string;
  private readonly gateway?: LocalGatewayAddress;

  constructor(root: string, gateway?: LocalGatewayAddress) {
    this.root = resolve(root);
    // Absolute: bubblewrap mounts it from whatever directory the worker runs in.
    if (gateway) this.gateway = { ...gateway, socketPath: resolve(gateway.socketPath) };
  }

  refFor(slot: RuntimeSlot): RuntimeRef {
    if (![slot.orgId, slot.installationId, slot.versionId].every((id) => idPattern.test(id))) {
      throw new Error('tenant, installation and version ids must be plain identifiers');
    }
    return {
      driver: this.kind,
      location: join(this.root, slot.orgId, slot.installationId, slot.versionId),
    };
  }

  async createRuntime(spec: RuntimeSpec): Promise<RuntimeRef> {
    const ref = this.refFor(spec);
    const location = this.locate(ref);
    await mkdir(join(location, 'scratch'), { recursive: true, mode: 0o700 });
    await chmod(location, 0o700);
    const config = {
      installationId: spec.installationId,
      orgId: spec.orgId,
      listingId: spec.listingId,
      versionId: spec.versionId,
      runtime: spec.manifest.runtime,
      resources: spec.manifest.resources,
      credentialNames: spec.manifest.requiredCredentials.map((credential) => credential.name),
    };
    await writeFile(join(location, CONFIG_FILE), JSON.stringify(config, null, 2), { mode: 0o600 });
    if (spec.artifact)
      await unpackArtifact({ archive: spec.artifact, destination: join(location, AGENT_DIR) });
    return ref;
  }

  async destroyRuntime(ref: RuntimeRef): Promise<void> {
    const location = this.locate(ref);
    await rm(location, { recursive: true, force: true });
    // The installation's own directory goes with its last runtime.
    await rmdir(dirname(location)).catch(() => undefined);
  }

  async injectSecrets(ref: RuntimeRef, secrets: Record<string, string>): Promise<void> {
    const path = join(this.locate(ref), SECRETS_FILE);
    // Written to a fresh owner-only file and renamed into place, so a reader never sees half of it.
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(secrets), { mode: 0o600 });
    await rename(temporary, path);
  }

  async revokeSecrets(ref: RuntimeRef): Promise<void> {
    await rm(join(this.locate(ref), SECRETS_FILE), { force: true });
  }

  async invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
    const location = this.locate(ref);
    const { runtime } = invocation.manifest;
    const failed = (reason: string): InvocationResult => ({
      status: 'failed',
      reason,
      durationMs: 0,
      logTail: '',
      secretsGiven: {},
    });
    if (runtime.kind !== 'process')
      return failed(`the local runtime runs process agents; this version is ${runtime.kind}`);
    const agentDir = join(location, AGENT_DIR);
    if (!(await stat(agentDir).catch(() => null))?.isDirectory()) {
      return failed('this version has no agent code: its publisher uploaded no artifact');
    }
    const secrets = (await this.readSecrets(location)) ?? {};
    const gateway = invocation.gateway ? await this.gatewayFor(invocation.gateway) : undefined;
    const scratchDir = join(location, 'scratch', invocation.executionId);
    await mkdir(scratchDir, { recursive: true, mode: 0o700 });
    try {
      const result = await runAgent({
        agentDir,
        command: runtime.command,
        input: invocation.input,
        env: secrets,
        scratchDir,
        limits: limitsFromManifest(invocation.manifest.resources),
        signal: invocation.signal,
        gateway,
      });
      return {
        status: result.status === 'killed' ? 'failed' : result.status,
        output: result.output,
        usage: result.usage,
        durationMs: result.durationMs,
        reason: result.reason,
        logTail: result.stderrTail,
        // The token too: an agent that echoes it must not put it in the execution's record.
        secretsGiven: invocation.gateway
          ? { ...secrets, BAZAAR_TOOLS_TOKEN: invocation.gateway.token }
          : secrets,
      };
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }
  }

  async secretNames(ref: RuntimeRef): Promise<string[]> {
    return Object.keys((await this.readSecrets(this.locate(ref))) ?? {}).sort();
  }

  /**
   * Where the sandbox finds the gateway for this grant. A worker that serves no gateway socket is
   * the platform's failure, not the agent's: it throws, so the activity is retried.
   */
  private async gatewayFor(grant: GatewayGrant): Promise<SandboxGateway> {
    if (!this.gateway) throw new Error('this worker was started without a tool gateway; the run needs one');
    const socket = await stat(this.gateway.socketPath).catch(() => null);
    if (!socket?.isSocket())
      throw new Error(`the tool gateway is not being served on ${this.gateway.socketPath}`);
    return { grant, ...this.gateway };
  }

  /** The injected secrets, or null when none are; a damaged file throws without quoting its content. */
  private async readSecrets(location: string): Promise<Record<string, string> | null> {
    const text = await readFile(join(location, SECRETS_FILE), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return JSON.parse(text) as Record<string, string>;
    } catch {
      // JSON.parse quotes the text it could not parse: that text is secret values.
      throw new Error(`the runtime's ${SECRETS_FILE} is not valid JSON; provision the installation again`);
    }
  }

  /** The runtime's directory, refusing any reference that points outside this driver's root. */
  private locate(ref: RuntimeRef): string {
    const location = resolve(ref.location);
    if (ref.driver !== this.kind || !location.startsWith(this.root + sep)) {
      throw new Error(`runtime reference is not a local runtime under ${this.root}`);
    }
    return location;
  }
}
