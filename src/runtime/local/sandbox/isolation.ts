import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { agentScratchMiB } from '../../runtime-driver.js';
import { memoryCgroupsAvailable } from './sandbox-cgroup.js';
import { disableUsernsProbeArgs, probeArgs } from './sandbox-command.js';
import type { IsolationLevel } from './sandbox-types.js';
import { leaseSandboxUid } from './sandbox-uid.js';
import { seccompFilterFor } from './seccomp-filter.js';

const run = promisify(execFile);

/** The isolation in force for agents on this machine, for /health and the execution record. */
export interface Isolation {
  level: IsolationLevel;
  description: string;
  /** The bubblewrap binary, when level is "namespaces". */
  bwrapPath?: string;
  /** Whether each namespaces run gets a memory cgroup (a cap on all its processes together). */
  memoryCgroups?: boolean;
  /** Whether each namespaces run gets the seccomp filter (built for x86_64 only). */
  seccomp?: boolean;
  /** Whether bubblewrap's --disable-userns holds for each namespaces run (see userNamespaceGuard). */
  disableUserns?: boolean;
}

// Fixed locations rather than a PATH search: the sandbox must not run whatever binary the
// environment happens to name.
const bwrapCandidates = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'];

const descriptions: Record<IsolationLevel, string> = {
  namespaces:
    'bubblewrap: new mount, PID, network, IPC and UTS namespaces; the agent sees only its code (read-only), ' +
    `a private ${agentScratchMiB} MiB scratch tmpfs and read-only system directories, has no network but the tool gateway (when its run is granted tools), and runs as an unprivileged ` +
    'uid of its own with rlimits on CPU time and tasks',
  process:
    'plain child process: clean environment, own process group and rlimits on memory and CPU time only; ' +
    'no filesystem, network or process-count isolation (bubblewrap missing or not running as root): ' +
    "an agent granted tools reaches the gateway's TCP port, and whatever else the host can",
};

async function findBwrap(): Promise<string | undefined> {
  for (const candidate of bwrapCandidates) {
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return undefined;
}

/** The namespaces level's description, saying which of its optional layers this machine has. */
function namespacesDescription(layers: { memoryCgroups: boolean; seccomp: boolean; disableUserns: boolean }) {
  const parts = [descriptions.namespaces];
  parts.push(
    layers.memoryCgroups
      ? ', and a memory cgroup capping all its processes together'
      : ', and an rlimit on the memory of each process (no memory cgroups here)',
  );
  parts.push(
    layers.seccomp
      ? "; a seccomp filter modelled on Docker's default profile refuses the syscalls an agent has no use for " +
          '(namespaces, mount, keyrings, ptrace, BPF, io_uring, kernel modules, the clock, …)'
      : `; no seccomp filter (it is built for x86_64 only; this machine is ${process.arch})`,
  );
  if (layers.disableUserns) {
    parts.push(
      layers.seccomp
        ? "; it cannot create user namespaces (bubblewrap's --disable-userns, and the filter)"
        : "; it cannot create user namespaces (bubblewrap's --disable-userns)",
    );
  } else {
    parts.push(
      layers.seccomp
        ? "; it cannot create user namespaces (the filter; bubblewrap's --disable-userns does not work on this host)"
        : '; nothing stops it creating user namespaces where the host allows unprivileged ones',
    );
  }
  return parts.join('');
}

/** Whether bubblewrap run as an unprivileged uid can disable user namespaces on this host. */
async function disableUsernsWorks(bwrapPath: string): Promise<boolean> {
  const lease = leaseSandboxUid();
  try {
    return await run(bwrapPath, disableUsernsProbeArgs(bwrapPath, lease.uid), {
      timeout: 10_000,
      env: {},
    }).then(
      () => true,
      () => false,
    );
  } finally {
    lease.release();
  }
}

async function detect(): Promise<Isolation> {
  const bwrapPath = await findBwrap();
  // The namespaces level relies on root: bubblewrap mounts the (owner-only) runtime directories
  // and the agent then drops to a uid of its own, which is what makes RLIMIT_NPROC bite.
  if (bwrapPath && process.getuid?.() === 0) {
    const probe = await run(bwrapPath, probeArgs(), { timeout: 10_000, env: {} }).then(
      () => true,
      () => false,
    );
    if (probe) {
      const layers = {
        memoryCgroups: await memoryCgroupsAvailable(),
        seccomp: seccompFilterFor(process.arch) !== null,
        disableUserns: await disableUsernsWorks(bwrapPath),
      };
      return { level: 'namespaces', description: namespacesDescription(layers), bwrapPath, ...layers };
    }
  }
  return { level: 'process', description: descriptions.process };
}

let detected: Promise<Isolation> | undefined;

/** The strongest isolation this machine supports (probed once, then cached). */
export function isolationLevel(): Promise<Isolation> {
  detected ??= detect();
  return detected;
}

/** The isolation a run asked for, or the strongest available; refuses a level the machine lacks. */
export async function resolveIsolation(requested?: IsolationLevel): Promise<Isolation> {
  const best = await isolationLevel();
  if (!requested || requested === best.level) return best;
  if (requested === 'process') return { level: 'process', description: descriptions.process };
  throw new Error(`isolation level "${requested}" is not available here (${best.description})`);
}
