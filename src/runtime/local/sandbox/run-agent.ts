import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { lastLine, parseOutput, parseUsage, TailBuffer } from './agent-output.js';
import { resolveIsolation } from './isolation.js';
import { createSandboxCgroup, type SandboxCgroup } from './sandbox-cgroup.js';
import { inCgroup, namespacedCommand, plainCommand } from './sandbox-command.js';
import type { SandboxCommand } from './sandbox-command.js';
import { sandboxLimitsSchema } from './sandbox-types.js';
import type { RunAgentRequest, RunAgentResult, SandboxLimits } from './sandbox-types.js';
import { leaseSandboxUid } from './sandbox-uid.js';
import { seccompFilterFor } from './seccomp-filter.js';

const stderrTailBytes = 8 * 1024;
// After the main process exits, how long to wait for stray holders of its pipes before giving up.
const pipeDrainMs = 1_000;
// After a kill, how long before the run is declared over even if the kernel has not reported back.
const killGraceMs = 5_000;

type Stop = { status: 'timed_out' | 'killed'; reason: string };

const signalNames = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/**
 * Runs one agent invocation under the agent contract (JSON on stdin, one JSON document on stdout,
 * logs and an optional final usage line on stderr) in the strongest sandbox available, and reports
 * how it ended. It never throws for anything the agent does; it throws only for an invalid request.
 */
export async function runAgent(request: RunAgentRequest): Promise<RunAgentResult> {
  const limits = sandboxLimitsSchema.parse(request.limits);
  if (request.command.length === 0) throw new Error('command must not be empty');
  const isolation = await resolveIsolation(request.isolation);
  const agentDir = resolve(request.agentDir);
  const scratchDir = resolve(request.scratchDir);
  const lease = isolation.level === 'namespaces' ? leaseSandboxUid() : null;
  let cgroup: SandboxCgroup | null = null;
  try {
    let command: SandboxCommand;
    if (lease && isolation.bwrapPath) {
      command = namespacedCommand({
        bwrapPath: isolation.bwrapPath,
        agentDir,
        command: request.command,
        credentials: request.env,
        limits,
        uid: lease.uid,
        seccompFilter: isolation.seccomp ? seccompFilterFor(process.arch) : null,
        disableUserns: isolation.disableUserns ?? false,
        memoryCgroup: isolation.memoryCgroups ?? false,
        ...(request.gateway
          ? { gateway: { socketPath: request.gateway.socketPath, grant: request.gateway.grant } }
          : {}),
      });
      if (isolation.memoryCgroups) {
        cgroup = await createSandboxCgroup(limits.memoryMiB * 1024 * 1024);
        command = inCgroup(command, cgroup.procsFile);
      }
    } else {
      command = plainCommand({
        agentDir,
        scratchDir,
        command: request.command,
        credentials: request.env,
        limits,
        ...(request.gateway ? { gateway: { port: request.gateway.port, grant: request.gateway.grant } } : {}),
      });
    }
    // Without a cgroup the kernel keeps no count: only the per-process rlimit and its symptoms tell.
    const runCgroup = cgroup;
    const outOfMemory: MemoryVerdict = runCgroup
      ? () => (runCgroup.outOfMemory() ? 'out' : 'within')
      : () => 'unknown';
    const result = await supervise(command, request.input, limits, outOfMemory, request.signal);
    return { ...result, isolation: isolation.level };
  } finally {
    await cgroup?.remove();
    lease?.release();
  }
}

/** Spawns the sandboxed process, feeds it, watches its limits and classifies how it ended. */
function supervise(
  command: SandboxCommand,
  input: unknown,
  limits: SandboxLimits,
  outOfMemory: MemoryVerdict,
  abort: AbortSignal | undefined,
): Promise<Omit<RunAgentResult, 'isolation'>> {
  return new Promise((settle) => {
    const started = performance.now();
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      // Its own process group, so one kill reaches everything it started.
      detached: true,
      stdio: [
        'pipe',
        'pipe',
        'pipe',
        command.bwrapArgs ? 'pipe' : 'ignore',
        command.seccompFilter ? 'pipe' : 'ignore',
      ],
    });
    // Spawned with stdio pipes, so these exist.
    const [stdinPipe, stdoutPipe, stderrPipe] = [child.stdin!, child.stdout!, child.stderr!];
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    const stderr = new TailBuffer(stderrTailBytes);
    let stop: Stop | null = null;
    let finished = false;

    const kill = (reason: Stop) => {
      stop ??= reason;
      try {
        // Under bubblewrap this kills its monitor; --die-with-parent then kills the sandbox's
        // init, and the kernel kills every other process in the PID namespace with it (a
        // parent-death signal alone would not do: it is cleared when setpriv changes the uid).
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      setTimeout(() => finish(null, 'SIGKILL'), killGraceMs).unref();
    };

    const deadline = setTimeout(
      () => kill({ status: 'timed_out', reason: `the agent did not finish within ${limits.timeoutMs} ms` }),
      limits.timeoutMs,
    );
    const onAbort = () => kill({ status: 'killed', reason: 'the run was cancelled' });
    if (abort?.aborted) onAbort();
    abort?.addEventListener('abort', onAbort, { once: true });

    stdoutPipe.on('data', (chunk: Buffer) => {
      if (stop) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > limits.maxOutputBytes) {
        kill({
          status: 'killed',
          reason: `the agent wrote more than ${limits.maxOutputBytes} bytes of output`,
        });
        return;
      }
      stdout.push(chunk);
    });
    stderrPipe.on('data', (chunk: Buffer) => stderr.push(chunk));

    function finish(exitCode: number | null, signal: NodeJS.Signals | null) {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      abort?.removeEventListener('abort', onAbort);
      stdoutPipe.destroy();
      stderrPipe.destroy();
      const durationMs = Math.round(performance.now() - started);
      const stderrTail = stderr.text();
      const usage = parseUsage(stderrTail);
      const ended = { exitCode, signal, durationMs, stderrTail, ...(usage ? { usage } : {}) };
      settle({
        ...ended,
        ...classify(ended, stop, Buffer.concat(stdout), limits, Boolean(command.bwrapArgs), outOfMemory),
      });
    }

    child.on('error', (error) => {
      stderr.push(Buffer.from(`\n${error.message}\n`));
      finish(null, null);
    });
    child.on('exit', (code, signal) => {
      // Wait for the pipes to drain, but not for a stray process that kept them open.
      const drained = setTimeout(() => finish(code, signal), pipeDrainMs);
      child.on('close', () => {
        clearTimeout(drained);
        finish(code, signal);
      });
    });

    if (command.bwrapArgs) {
      const argsPipe = child.stdio[3] as Writable;
      argsPipe.on('error', () => undefined);
      argsPipe.end(command.bwrapArgs.map((arg) => `${arg}\0`).join(''));
    }
    if (command.seccompFilter) {
      const filterPipe = child.stdio[4] as Writable;
      filterPipe.on('error', () => undefined);
      filterPipe.end(command.seccompFilter);
    }
    // An agent that exits without reading its input closes the pipe: not the platform's problem.
    stdinPipe.on('error', () => undefined);
    stdinPipe.end(JSON.stringify(input ?? null));
  });
}

/** Whether the run's memory cgroup saw it go out of memory ('unknown' where it had none). */
type MemoryVerdict = () => 'out' | 'within' | 'unknown';

const allocationCrashSignals = new Set<NodeJS.Signals>(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGIOT', 'SIGTRAP']);

/** Turns how the process ended into a status and a reason a caller can read. */
function classify(
  ended: { exitCode: number | null; signal: NodeJS.Signals | null; stderrTail: string },
  stop: Stop | null,
  stdout: Buffer,
  limits: SandboxLimits,
  viaBwrap: boolean,
  outOfMemory: MemoryVerdict,
): Pick<RunAgentResult, 'status' | 'output' | 'reason' | 'signal' | 'exitCode'> {
  const { exitCode } = ended;
  let { signal } = ended;
  // bubblewrap reports an agent killed by signal N as exit status 128 + N.
  if (viaBwrap && exitCode !== null && exitCode > 128 && signalNames.has(exitCode - 128)) {
    signal = signalNames.get(exitCode - 128) as NodeJS.Signals;
  }
  if (stop) return { status: stop.status, reason: stop.reason, exitCode, signal };
  if (signal === 'SIGXCPU') {
    return {
      status: 'killed',
      reason: `the agent used more than ${limits.cpuSeconds} s of CPU time`,
      exitCode,
      signal,
    };
  }
  const crashed = signal !== null || exitCode !== 0;
  // Either one process hit its rlimit, or the kernel killed one for the whole sandbox's cgroup.
  const memoryHint = /out of memory|allocation failed|ENOMEM|Cannot allocate memory|std::bad_alloc/i;
  if (crashed && (memoryHint.test(ended.stderrTail) || outOfMemory() === 'out')) {
    return {
      status: 'failed',
      reason: `the agent ran out of memory (limit ${limits.memoryMiB} MiB)`,
      exitCode,
      signal,
    };
  }
  if (signal) {
    // Hitting RLIMIT_DATA inside native code can end in one of these before anything is printed.
    const perhapsMemory =
      outOfMemory() === 'unknown' && allocationCrashSignals.has(signal)
        ? ` (perhaps out of memory: limit ${limits.memoryMiB} MiB per process)`
        : '';
    return {
      status: 'killed',
      reason: `the agent was killed by ${signal}${perhapsMemory}`,
      exitCode,
      signal,
    };
  }
  if (exitCode !== 0) {
    const hint = lastLine(ended.stderrTail);
    return {
      status: 'failed',
      reason: `the agent exited with code ${exitCode}${hint ? `: ${hint}` : ''}`,
      exitCode,
      signal,
    };
  }
  const parsed = parseOutput(stdout);
  return parsed.ok
    ? { status: 'succeeded', output: parsed.output, exitCode, signal }
    : { status: 'failed', reason: parsed.reason, exitCode, signal };
}
