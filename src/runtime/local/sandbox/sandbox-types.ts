import { z } from 'zod';
import type { GatewayGrant } from '../../runtime-driver.js';

/** Limits on one agent invocation. */
export const sandboxLimitsSchema = z.object({
  /** Wall-clock deadline; the whole sandbox is killed when it passes. */
  timeoutMs: z.number().int().positive(),
  /** Writable private memory of each process (RLIMIT_DATA). */
  memoryMiB: z.number().int().min(32),
  /** CPU time of each process (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL a second later. */
  cpuSeconds: z.number().int().positive(),
  /** Tasks (processes and threads) the agent may have at once (RLIMIT_NPROC); Node alone uses ~11. */
  maxProcesses: z.number().int().min(16),
  /** Bytes of stdout accepted; the sandbox is killed when the agent writes more. */
  maxOutputBytes: z.number().int().positive(),
});
export type SandboxLimits = z.infer<typeof sandboxLimitsSchema>;

/** How strongly the agent is separated from the machine it runs on. */
export type IsolationLevel = 'namespaces' | 'process';

/** One agent invocation. */
export interface RunAgentRequest {
  /** The unpacked artifact: mounted read-only, the agent's working directory. */
  agentDir: string;
  /** The manifest's runtime.command, e.g. ["node", "main.js"], run inside agentDir. */
  command: string[];
  /** The invocation's input, written as JSON to the agent's stdin. */
  input: unknown;
  /** The declared credentials only, as environment variables of the same name. */
  env: Record<string, string>;
  /**
   * The agent's HOME and TMPDIR under process isolation. Under namespaces it is not used: the agent
   * writes only to its own /scratch and /tmp, small tmpfs that go with the sandbox.
   */
  scratchDir: string;
  limits: SandboxLimits;
  /** Aborting kills the sandbox (status "killed"), e.g. when the activity is cancelled. */
  signal?: AbortSignal;
  /** Force an isolation level (tests); by default the strongest available one. */
  isolation?: IsolationLevel;
  /** The run's gateway grant and where the worker serves the gateway; absent: no gateway at all. */
  gateway?: SandboxGateway;
}

/**
 * How a sandboxed agent reaches the tool and LLM gateway. Under namespaces the Unix socket is
 * mounted in and a forwarder inside serves it on the sandbox's own loopback; under process
 * isolation the agent calls the gateway's TCP port on the host's loopback.
 */
export interface SandboxGateway {
  grant: GatewayGrant;
  /** The Unix socket the worker serves the gateway on (config.gateway.socketPath). */
  socketPath: string;
  /** The gateway's TCP port on the host (config.gateway.port), for process isolation only. */
  port: number;
}

/** How one invocation ended. */
export type RunStatus = 'succeeded' | 'failed' | 'timed_out' | 'killed';

/** What one invocation produced. */
export interface RunAgentResult {
  status: RunStatus;
  /** The agent's JSON document, when it succeeded. */
  output?: unknown;
  /** From the agent's final stderr line `{"usage": {...}}`, when present and well-formed. */
  usage?: { tokensIn: number; tokensOut: number };
  exitCode: number | null;
  /** The signal that ended the agent's main process, e.g. "SIGKILL". */
  signal: string | null;
  durationMs: number;
  /** The last few KiB of the agent's stderr (its logs), for the execution record. */
  stderrTail: string;
  /** Why it did not succeed, readable by the caller; absent on success. */
  reason?: string;
  isolation: IsolationLevel;
}
