import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { lastLine, parseUsage } from '../local/sandbox/agent-output.js';
import type { InvocationResult } from '../runtime-driver.js';

const usageSchema = z.object({
  tokensIn: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  tokensOut: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

/**
 * What a container agent reports as its result, in its termination message (/dev/termination-log,
 * up to 4 KiB) or as the last line of its log (larger results): `{"output": ..., "usage": {...}}`.
 */
const resultSchema = z
  .object({ output: z.unknown(), usage: usageSchema.optional() })
  .refine((result) => 'output' in result, { message: 'no output field' });

/** The result envelope in a text, or null when the text is not one. */
export function parseResult(text: string | undefined): z.infer<typeof resultSchema> | null {
  if (!text?.trim().startsWith('{')) return null;
  try {
    const parsed = resultSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The last line of a log that is a result envelope, or null. */
export function resultFromLog(log: string): z.infer<typeof resultSchema> | null {
  const lines = log.trimEnd().split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    const result = parseResult(lines[index]);
    if (result) return result;
  }
  return null;
}

/**
 * Whether the Job has finished, and how: Complete, Failed (with the controller's reason) or not yet.
 * SuccessCriteriaMet and FailureTarget count too: the Job controller sets them as soon as it has
 * decided, and the terminal condition only once every pod is gone, which on a busy node takes a while.
 */
export function jobFinish(job: V1Job): { complete: true } | { complete: false; reason: string } | null {
  const holds = (type: string) =>
    job.status?.conditions?.find((condition) => condition.type === type && condition.status === 'True');
  if (holds('Complete') ?? holds('SuccessCriteriaMet')) return { complete: true };
  const failed = holds('Failed') ?? holds('FailureTarget');
  if (failed) return { complete: false, reason: failed.reason ?? 'Failed' };
  return null;
}

/** The agent container's status in the Job's pod. */
export function agentStatus(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((status) => status.name === 'agent');
}

/** What the driver knows once a Job has finished. */
export interface FinishedRun {
  finish: { complete: true } | { complete: false; reason: string };
  /** The Job's pod, when Kubernetes still has it (a deadline deletes it). */
  pod: V1Pod | undefined;
  /** The pod's log, when the node could serve it ('' when not). */
  log: string;
  timeoutSeconds: number;
  /** Wall time from Job creation to its end, used when the container reports no times. */
  wallMs: number;
}

const LOG_TAIL_BYTES = 4096;

/** What a Job tells of an invocation: the driver adds the secrets the pod was given. */
export type JobResult = Omit<InvocationResult, 'secretsGiven'>;

/** The invocation's result from a finished Job: output and usage, or why there are none. */
export function invocationResult(run: FinishedRun): JobResult {
  const status = agentStatus(run.pod);
  const terminated = status?.state?.terminated;
  const started = terminated?.startedAt?.getTime();
  const finished = terminated?.finishedAt?.getTime();
  const durationMs = started !== undefined && finished !== undefined ? finished - started : run.wallMs;
  const message = terminated?.message ?? '';
  const logTail = (run.log || message).slice(-LOG_TAIL_BYTES);

  if (run.finish.complete) {
    const result = parseResult(message) ?? resultFromLog(run.log);
    if (!result) {
      return {
        status: 'failed',
        reason:
          'the agent wrote no result: expected {"output": ...} in /dev/termination-log or as the last line of its log',
        durationMs,
        logTail,
      };
    }
    return {
      status: 'succeeded',
      output: result.output,
      usage: result.usage ?? parseUsage(run.log),
      durationMs,
      logTail,
    };
  }

  if (run.finish.reason === 'DeadlineExceeded') {
    // A container that never started says why (an image that cannot be pulled, a missing Secret...).
    const waiting = status?.state?.waiting?.reason;
    return {
      status: 'timed_out',
      reason: `the agent did not finish within ${run.timeoutSeconds} s${waiting ? ` (its container was still waiting: ${waiting})` : ''}`,
      durationMs: run.wallMs,
      logTail,
    };
  }
  const exit = terminated
    ? `the agent exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`
    : `the agent's Job failed (${run.finish.reason})`;
  const last = lastLine(logTail);
  return { status: 'failed', reason: last ? `${exit}: ${last}` : exit, durationMs, logTail };
}
