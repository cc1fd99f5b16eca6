import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayEnvironment } from '../../gateway-env.js';
import { agentScratchMiB, type GatewayGrant } from '../../runtime-driver.js';
import { agentEnvironment } from './sandbox-env.js';
import type { SandboxLimits } from './sandbox-types.js';

/** A process to spawn: file, argv, environment, working directory, and bubblewrap's own arguments. */
export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** Options handed to bubblewrap on fd 3 (`--args 3`), so credentials never appear in a command line. */
  bwrapArgs?: string[];
  /** The compiled seccomp filter, handed to bubblewrap on fd 4 (`--seccomp 4`). */
  seccompFilter?: Buffer;
}

/** Where the agent's directories appear inside the namespaces sandbox. */
export const sandboxPaths = { agent: '/agent', scratch: '/scratch', tmp: '/tmp' } as const;

/**
 * Where the gateway appears inside a namespaces sandbox: its Unix socket and the forwarder script
 * (both mounted read-only), and the port on the sandbox's own loopback the forwarder serves it on.
 */
export const sandboxGateway = {
  dir: '/run/bazaar',
  socket: '/run/bazaar/gateway.sock',
  forwarder: '/run/bazaar/gateway-forwarder.mjs',
  port: 3100,
} as const;
const forwarderScript = fileURLToPath(new URL('./gateway-forwarder.mjs', import.meta.url));
// How long the sandbox waits for the forwarder to listen before it gives up on the run.
const forwarderStartSeconds = 10;
const tmpfsBytes = 16 * 1024 * 1024;
// The file descriptors the spawned bubblewrap reads its options and its seccomp filter from.
const argsFd = '3';
const seccompFd = '4';

// Runs the command with only fds 0-2 open: an fd the platform inherited without close-on-exec
// (a pipe from whatever started it) must not leak into the agent.
const withOnlyStdio = [
  '/bin/bash',
  '-c',
  'for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec /usr/bin/env -u SHLVL "$@"',
  'close-fds',
];

/**
 * The command, started by a shell that first moves itself into a cgroup (by its `cgroup.procs`
 * file), so everything the command starts is in it from its first instruction.
 */
export function inCgroup(command: SandboxCommand, procsFile: string): SandboxCommand {
  return {
    ...command,
    file: '/bin/sh',
    args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, command.file, ...command.args],
  };
}

/** The agent's PATH: Node's directory first, then the usual system directories, each once. */
function agentPath(): string {
  return [...new Set([nodeBinDir(), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
}

/** The directory holding the Node binary that runs Bazaar, which agents' `node` must find. */
function nodeBinDir(): string {
  return dirname(realpathSync(process.execPath));
}

/**
 * prlimit's arguments for the limits that hold per process (memory, CPU time, no core dumps). Where a
 * memory cgroup caps the run, memory is left to it: the kernel then kills the run cleanly and says so,
 * while a process hitting RLIMIT_DATA inside native code may die of SIGSEGV without a word.
 */
function rlimitArgs(limits: SandboxLimits, memoryCgroup = false): string[] {
  return [
    ...(memoryCgroup ? [] : [`--data=${limits.memoryMiB * 1024 * 1024}`]),
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    // A core dump would write the agent's memory, credentials included, into its directory.
    '--core=0',
  ];
}

/** Read-only system directories (and the merged-/usr symlinks) an agent needs to run programs. */
function systemMounts(nodeDir: string): string[] {
  const mounts = ['--ro-bind', '/usr', '/usr'];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const stats = (() => {
      try {
        return lstatSync(`/${name}`);
      } catch {
        return null;
      }
    })();
    if (stats?.isSymbolicLink()) mounts.push('--symlink', readlinkSync(`/${name}`), `/${name}`);
    else if (stats?.isDirectory()) mounts.push('--ro-bind', `/${name}`, `/${name}`);
  }
  // Node installed outside /usr (e.g. /opt/node/bin/node): expose its installation, read-only.
  if (!nodeDir.startsWith('/usr/')) {
    const prefix = dirname(nodeDir);
    mounts.push('--ro-bind', prefix, prefix);
  }
  return mounts;
}

/** The minimal bubblewrap invocation that proves namespaces work here (used by the probe). */
export function probeArgs(): string[] {
  return [
    '--unshare-net',
    '--unshare-pid',
    ...systemMounts(nodeBinDir()),
    '--proc',
    '/proc',
    '--',
    '/usr/bin/true',
  ];
}

/**
 * The invocation that proves a second, unprivileged bubblewrap can disable user namespaces for the
 * run's uid (see userNamespaceGuard); it needs the host to allow unprivileged user namespaces.
 */
export function disableUsernsProbeArgs(bwrapPath: string, uid: number): string[] {
  return [
    ...systemMounts(nodeBinDir()),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // Where the second bubblewrap builds its root, as in a run.
    '--tmpfs',
    '/tmp',
    '--cap-add',
    'CAP_SETUID',
    '--cap-add',
    'CAP_SETGID',
    '--',
    ...dropToUid(uid),
    ...userNamespaceGuard(bwrapPath, false),
    '/usr/bin/true',
  ];
}

/**
 * A shell (still root, inside the sandbox) that starts the gateway forwarder, waits until it listens,
 * then execs the agent's chain (its arguments). The forwarder runs as root with no capability at all
 * (an empty bounding set) and no_new_privs: the agent's uid can neither signal nor trace it, and it
 * is not counted in the agent's RLIMIT_NPROC. It gets no environment, no stdin, no stderr (nothing
 * of it may land in the agent's logs or usage line) and no inherited descriptor but its stdout pipe,
 * which tells the shell it is listening. It dies with the sandbox's PID namespace, like the agent.
 */
function withGatewayForwarder(socketPath: string, limits: SandboxLimits, memoryCgroup: boolean): string[] {
  const forwarder = [
    '/usr/bin/setpriv',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    '/usr/bin/prlimit',
    ...rlimitArgs(limits, memoryCgroup),
    '--',
    '/usr/bin/env',
    '-i',
    realpathSync(process.execPath),
    sandboxGateway.forwarder,
    String(sandboxGateway.port),
    socketPath,
  ];
  const script = [
    'n=$1; shift; forwarder=("${@:1:n}"); shift "$n"',
    'exec 5< <(for fd in /proc/self/fd/*; do k=${fd##*/}; [ "$k" -gt 2 ] && eval "exec $k>&-"; done; exec "${forwarder[@]}" </dev/null 2>/dev/null)',
    `read -r -t ${forwarderStartSeconds} -u 5 ready; exec 5<&-`,
    '[ "$ready" = listening ] || { echo "bazaar: the gateway forwarder did not start" >&2; exit 125; }',
    'exec "$@"',
  ].join('\n');
  return ['/bin/bash', '-c', script, 'gateway-forwarder', String(forwarder.length), ...forwarder];
}

/** setpriv switching to the run's uid with no capabilities, for good (no_new_privs). */
function dropToUid(uid: number): string[] {
  return [
    '/usr/bin/setpriv',
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
}

/**
 * A second bubblewrap, run as the agent's uid, that only applies bubblewrap's --disable-userns (and
 * the seccomp filter, which must come after it: it refuses the namespaces this step creates). The
 * outer bubblewrap cannot: as root it would map the agent to host root in its user namespace.
 * Its monitor process stays outside the filter, but in the parent user namespace, whose processes
 * the agent may not ptrace nor open the /proc files of (the kernel's cross-namespace check).
 */
function userNamespaceGuard(bwrapPath: string, withSeccomp: boolean): string[] {
  return [
    bwrapPath,
    '--unshare-user',
    '--disable-userns',
    // The sandbox as the outer bubblewrap built it (devices included), nothing added.
    '--dev-bind',
    '/',
    '/',
    '--die-with-parent',
    ...(withSeccomp ? ['--seccomp', seccompFd] : []),
    '--',
  ];
}

/**
 * Runs the agent under bubblewrap (as root): fresh mount, PID, network, IPC, UTS and cgroup
 * namespaces; only /usr (read-only), the agent directory (read-only) and two small private tmpfs
 * (/scratch, its HOME, and /tmp, so no agent can fill the host's disk) are visible; then setpriv drops to the run's own uid with no capabilities, and prlimit sets the
 * rlimits, RLIMIT_NPROC included (it binds because the uid is not root and is this run's alone).
 * With `disableUserns`, a second bubblewrap keeps the agent from creating user namespaces; the
 * seccomp filter, when given, is loaded last, just before the agent's command.
 * The network namespace has only loopback. With a `gateway`, the gateway's Unix socket is mounted
 * in and a forwarder serves it on 127.0.0.1:<sandboxGateway.port>, the one address the agent's
 * gateway variables name (see withGatewayForwarder); without one there is no socket and no forwarder.
 */
export function namespacedCommand(input: {
  bwrapPath: string;
  agentDir: string;
  command: string[];
  credentials: Record<string, string>;
  limits: SandboxLimits;
  uid: number;
  seccompFilter: Buffer | null;
  disableUserns: boolean;
  /** Whether the run's processes go into a memory cgroup (see inCgroup), which then caps memory. */
  memoryCgroup: boolean;
  gateway?: { socketPath: string; grant: GatewayGrant };
}): SandboxCommand {
  const nodeDir = nodeBinDir();
  const { gateway } = input;
  const env = agentEnvironment(
    input.credentials,
    { path: agentPath(), home: sandboxPaths.scratch, tmp: sandboxPaths.tmp },
    gateway ? gatewayEnvironment(`http://127.0.0.1:${sandboxGateway.port}`, gateway.grant) : {},
  );
  const bwrapArgs = [
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'agent',
    '--die-with-parent',
    '--new-session',
    // Only to let setpriv switch to the run's uid; setpriv then drops every capability.
    '--cap-add',
    'CAP_SETUID',
    '--cap-add',
    'CAP_SETGID',
    ...systemMounts(nodeDir),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--size',
    String(tmpfsBytes),
    '--tmpfs',
    sandboxPaths.tmp,
    // Root-owned tmpfs: writable by the agent's uid, the only other one inside.
    '--perms',
    '1777',
    '--size',
    String(agentScratchMiB * 1024 * 1024),
    '--tmpfs',
    sandboxPaths.scratch,
    '--ro-bind',
    input.agentDir,
    sandboxPaths.agent,
    // Connecting needs no write access to the mount: read-only like everything else.
    ...(gateway
      ? [
          '--dir',
          sandboxGateway.dir,
          '--ro-bind',
          gateway.socketPath,
          sandboxGateway.socket,
          '--ro-bind',
          forwarderScript,
          sandboxGateway.forwarder,
        ]
      : []),
    '--remount-ro',
    '/',
    '--chdir',
    sandboxPaths.agent,
    '--clearenv',
    ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
    ...(input.seccompFilter && !input.disableUserns ? ['--seccomp', seccompFd] : []),
  ];
  // bubblewrap reads only options from fd 3; the command (no secrets in it) stays on its argv.
  const sandboxed = [
    ...(gateway ? withGatewayForwarder(sandboxGateway.socket, input.limits, input.memoryCgroup) : []),
    ...dropToUid(input.uid),
    ...(input.disableUserns ? userNamespaceGuard(input.bwrapPath, input.seccompFilter !== null) : []),
    '/usr/bin/prlimit',
    `--nproc=${input.limits.maxProcesses}`,
    ...rlimitArgs(input.limits, input.memoryCgroup),
    '--',
    ...withOnlyStdio,
    ...input.command,
  ];
  return {
    file: input.bwrapPath,
    args: ['--args', argsFd, '--', ...sandboxed],
    env: {},
    bwrapArgs,
    ...(input.seccompFilter ? { seccompFilter: input.seccompFilter } : {}),
  };
}

/**
 * The fallback: the agent as a plain child process in the agent directory, with a clean
 * environment and rlimits on memory and CPU time. RLIMIT_NPROC is left out: without a uid of its
 * own it would count (or, as root, ignore) every process of the platform's user.
 * With a `gateway`, the agent's variables name the gateway's TCP port on the host's loopback; this
 * level isolates no network, so the agent can reach whatever the host can.
 */
export function plainCommand(input: {
  agentDir: string;
  scratchDir: string;
  command: string[];
  credentials: Record<string, string>;
  limits: SandboxLimits;
  gateway?: { port: number; grant: GatewayGrant };
}): SandboxCommand {
  const env = agentEnvironment(
    input.credentials,
    { path: agentPath(), home: input.scratchDir, tmp: input.scratchDir },
    input.gateway ? gatewayEnvironment(`http://127.0.0.1:${input.gateway.port}`, input.gateway.grant) : {},
  );
  return {
    file: '/usr/bin/prlimit',
    args: [...rlimitArgs(input.limits), '--', ...withOnlyStdio, ...input.command],
    env,
    cwd: input.agentDir,
  };
}
