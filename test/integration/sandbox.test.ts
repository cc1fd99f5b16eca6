// The local sandbox, for real: the example agents run under it, and for each limit and isolation
// property an agent from test/fixtures/agents/ tries to break it. Runs as root with bubblewrap
// (scripts/setup.sh installs it), so the namespaces level is required, not assumed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/domain/catalog/schemas.js';
import { unpackArtifact } from '../../src/runtime/artifacts/unpack-artifact.js';
import { LocalRuntimeDriver } from '../../src/runtime/local/local-runtime-driver.js';
import { isolationLevel } from '../../src/runtime/local/sandbox/isolation.js';
import { limitsFromManifest } from '../../src/runtime/local/sandbox/limits-from-manifest.js';
import { runAgent } from '../../src/runtime/local/sandbox/run-agent.js';
import { memoryCgroupsAvailable } from '../../src/runtime/local/sandbox/sandbox-cgroup.js';
import { namespacedCommand, type SandboxCommand } from '../../src/runtime/local/sandbox/sandbox-command.js';
import type { RunAgentRequest, SandboxLimits } from '../../src/runtime/local/sandbox/sandbox-types.js';
import { leaseSandboxUid } from '../../src/runtime/local/sandbox/sandbox-uid.js';

const repo = resolve(import.meta.dirname, '../..');
const fixture = (name: string) => join(repo, 'test/fixtures/agents', name);
// Where runs' memory cgroups live (cgroup v1, which this machine has).
const cgroupsDir = '/sys/fs/cgroup/memory/bazaar-sandboxes';
const limits: SandboxLimits = {
  timeoutMs: 15_000,
  memoryMiB: 256,
  cpuSeconds: 15,
  maxProcesses: 64,
  maxOutputBytes: 1024 * 1024,
};

let work: string;
let dataDir: string;

/** A fresh scratch directory for one run. */
async function scratch(): Promise<string> {
  return mkdtemp(join(work, 'scratch-'));
}

/** Runs a test agent (main.mjs in its fixture directory) with the default limits and overrides. */
async function runFixture(
  name: string,
  input: unknown,
  overrides: Partial<SandboxLimits> = {},
  extra: Partial<RunAgentRequest> = {},
) {
  return runAgent({
    agentDir: fixture(name),
    command: ['node', 'main.mjs'],
    input,
    env: {},
    scratchDir: await scratch(),
    limits: { ...limits, ...overrides },
    ...extra,
  });
}

/** Spawns a namespaces command built by hand (not through runAgent): its options go on fd 3. */
async function spawnSandboxed(command: SandboxCommand, input: unknown) {
  const child = spawn(command.file, command.args, {
    env: command.env,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  (child.stdio[3] as Writable).end(command.bwrapArgs!.map((arg) => `${arg}\0`).join(''));
  child.stdin!.end(JSON.stringify(input));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [exitCode] = (await once(child, 'close')) as [number | null];
  return { exitCode, stdout, stderr };
}

/** Host processes (pids) running as `uid`. */
async function processesOf(uid: number): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const owned: string[] = [];
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) owned.push(pid);
  }
  return owned;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bazaar-sandbox-'));
  dataDir = join(work, 'data');
  await mkdir(dataDir);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('sandbox isolation level', () => {
  it('is namespaces on this machine, with a description for /health', async () => {
    const isolation = await isolationLevel();
    expect(isolation.level).toBe('namespaces');
    expect(isolation.description).toMatch(/bubblewrap/);
    expect(isolation.memoryCgroups).toBe(true);
    expect(isolation.description).toMatch(/memory cgroup capping all its processes together/);
    expect(isolation).toMatchObject({ seccomp: true, disableUserns: true });
    expect(isolation.description).toMatch(/a seccomp filter modelled on Docker's default profile/);
    expect(isolation.description).toMatch(
      /cannot create user namespaces \(bubblewrap's --disable-userns, and the filter\)/,
    );
  });
});

describe('example agents', () => {
  it('runs the echo agent from its artifact, with its output, logs and usage', async () => {
    const archive = join(work, 'echo.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', join(repo, 'agents/echo'), '.']);
    const unpacked = await unpackArtifact({
      archive: await readFile(archive),
      destination: join(work, 'echo'),
    });
    const manifest = manifestSchema.parse(
      JSON.parse(await readFile(join(unpacked.destination, 'manifest.json'), 'utf8')),
    );
    if (manifest.runtime.kind !== 'process') throw new Error('echo must be a process agent');

    const result = await runAgent({
      agentDir: unpacked.destination,
      command: manifest.runtime.command,
      input: { hello: 'world', n: [1, 2, 3] },
      env: {},
      scratchDir: await scratch(),
      limits: limitsFromManifest(manifest.resources),
    });

    expect(result).toMatchObject({
      status: 'succeeded',
      output: { echo: { hello: 'world', n: [1, 2, 3] } },
      exitCode: 0,
      signal: null,
      isolation: 'namespaces',
    });
    expect(result.usage).toEqual({ tokensIn: 8, tokensOut: 8 });
    expect(result.stderrTail).toContain(
      `echo: received ${JSON.stringify({ hello: 'world', n: [1, 2, 3] }).length} characters`,
    );
    expect(result.reason).toBeUndefined();
  });

  describe('refund-policy agent', async () => {
    const agentDir = join(repo, 'agents/refund-policy');
    const manifest = manifestSchema.parse(
      JSON.parse(await readFile(join(agentDir, 'manifest.json'), 'utf8')),
    );
    const policy = { windowDays: 30, defectWindowDays: 90, maxAmount: 500, restockingFeePercent: 10 };
    const decide = async (request: Record<string, unknown>) =>
      runAgent({
        agentDir,
        command: manifest.runtime.kind === 'process' ? manifest.runtime.command : [],
        input: { request, policy },
        env: {},
        scratchDir: await scratch(),
        limits: limitsFromManifest(manifest.resources),
      });
    const order = { orderDate: '2026-03-01', amount: 120 };

    it('approves a defective item without a fee, after the normal window', async () => {
      const result = await decide({ ...order, requestDate: '2026-05-01', condition: 'defective' });
      expect(result.status).toBe('succeeded');
      expect(result.output).toMatchObject({ decision: 'approve', refundAmount: 120 });
    });

    it('grants a partial refund for an unopened item, less the restocking fee', async () => {
      const result = await decide({ ...order, requestDate: '2026-03-10', condition: 'unopened' });
      expect(result.output).toMatchObject({ decision: 'partial', refundAmount: 108 });
    });

    it('denies late, opened or over-limit requests, giving every reason', async () => {
      const result = await decide({ ...order, amount: 900, requestDate: '2026-04-20', condition: 'opened' });
      expect(result.output).toMatchObject({ decision: 'deny', refundAmount: 0 });
      const reasons = (result.output as { reasons: string[] }).reasons.join(' | ');
      expect(reasons).toMatch(/window is 30 days/);
      expect(reasons).toMatch(/"opened" are not accepted/);
      expect(reasons).toMatch(/exceeds the automatic refund limit/);
    });

    it('fails with a readable reason on invalid input', async () => {
      const result = await decide({ ...order, requestDate: 'soon', condition: 'unopened' });
      expect(result.status).toBe('failed');
      expect(result.reason).toMatch(/exited with code 2: refund-policy: .*must be dates/);
    });
  });
});

describe('limits', () => {
  it('kills an agent at the wall-clock deadline', async () => {
    const result = await runFixture('infinite-loop', {}, { timeoutMs: 1_500, cpuSeconds: 60 });
    expect(result.status).toBe('timed_out');
    expect(result.reason).toMatch(/did not finish within 1500 ms/);
  });

  it('kills the whole sandbox at the deadline, even a child that left for its own session', async () => {
    const result = await runFixture('daemonizer', {}, { timeoutMs: 2_000 });
    expect(result.status).toBe('timed_out');
    const uid = Number(/uid (\d+)/.exec(result.stderrTail)?.[1]);
    expect(uid).toBeGreaterThan(0);
    // The PID namespace goes down with bubblewrap; give the kernel a moment to reap it.
    let survivors = await processesOf(uid);
    for (let i = 0; i < 30 && survivors.length > 0; i++) {
      await new Promise((done) => setTimeout(done, 100));
      survivors = await processesOf(uid);
    }
    expect(survivors).toEqual([]);
  });

  it('stops an agent that exceeds its CPU time', async () => {
    const result = await runFixture('infinite-loop', {}, { cpuSeconds: 1, timeoutMs: 30_000 });
    expect(result.status).toBe('killed');
    expect(result.signal).toBe('SIGXCPU');
    expect(result.reason).toMatch(/more than 1 s of CPU time/);
  });

  it('stops an agent that allocates more memory than allowed', async () => {
    const result = await runFixture('memory-hog', { mib: 512 }, { memoryMiB: 128 });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/ran out of memory \(limit 128 MiB\)/);
    expect(result.output).toBeUndefined();
  });

  it('caps the memory of all its processes together, not only of each', async () => {
    // Three children of 48 MiB each stay under 128 MiB one by one; with Node's own memory they are
    // well over 128 MiB together, which the run's memory cgroup does not allow.
    const result = await runFixture('memory-team', { children: 3, mib: 48 }, { memoryMiB: 128 });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/ran out of memory \(limit 128 MiB\)/);
    // The run's cgroup went with it.
    const runs = await readdir(cgroupsDir);
    expect(runs.filter((name) => name.startsWith(`run-${process.pid}-`))).toEqual([]);
  });

  it('removes the empty memory cgroups of runs whose worker died, and only those', async () => {
    const deadPid = spawnSync('true').pid;
    const orphan = join(cgroupsDir, `run-${deadPid}-orphan`);
    const ours = join(cgroupsDir, `run-${process.pid}-ours`);
    await mkdir(orphan);
    await mkdir(ours);
    try {
      expect(await memoryCgroupsAvailable()).toBe(true);
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(ours)).toBe(true);
    } finally {
      await rmdir(ours);
      await rmdir(orphan).catch(() => undefined);
    }
  });

  it('lets an agent use memory within its limit', async () => {
    const result = await runFixture('memory-hog', { mib: 64 }, { memoryMiB: 256 });
    expect(result).toMatchObject({ status: 'succeeded', output: { allocatedMiB: 64 } });
  });

  it('gives the agent 64 MiB of scratch space, not the host disk', async () => {
    const scratchDir = await scratch();
    const result = await runFixture('disk-filler', { maxMiB: 512 }, {}, { scratchDir });
    expect(result.status).toBe('succeeded');
    const { writtenMiB, error } = result.output as { writtenMiB: number; error: string | null };
    expect(error).toBe('ENOSPC');
    expect(writtenMiB).toBeGreaterThanOrEqual(60);
    expect(writtenMiB).toBeLessThanOrEqual(64);
    expect(await readdir(scratchDir)).toEqual([]);
  });

  it('bounds the number of processes an agent can start (a fork bomb)', async () => {
    const result = await runFixture('fork-bomb', { count: 200 }, { maxProcesses: 48 });
    expect(result.status).toBe('succeeded');
    const { started, refused } = result.output as { started: number; refused: string | null };
    expect(started).toBeLessThan(48);
    expect(refused).toBe('EAGAIN');
  });

  it('kills an agent that writes more output than allowed', async () => {
    const result = await runFixture('huge-output', { mib: 64 }, { maxOutputBytes: 64 * 1024 });
    expect(result.status).toBe('killed');
    expect(result.reason).toMatch(/more than 65536 bytes of output/);
    expect(result.output).toBeUndefined();
  });

  it('fails an agent whose output is not one JSON document, saying so', async () => {
    const result = await runFixture('bad-output', {});
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/not one JSON document.*Sure! Here is your answer/);
  });

  it('kills a run when its caller cancels it', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const result = await runFixture(
      'infinite-loop',
      {},
      { timeoutMs: 30_000, cpuSeconds: 60 },
      { signal: controller.signal },
    );
    expect(result).toMatchObject({ status: 'killed', reason: 'the run was cancelled' });
  });
});

describe('isolation', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end('hello from the host'));
    await new Promise<void>((listening) => server.listen(0, '0.0.0.0', listening));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
  });

  it('gives the agent no network: not the host loopback, not the host interfaces, no DNS', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && address.family === 'IPv4' && !address.internal)
      .map((address) => address!.address);
    const targets = ['127.0.0.1', ...external].map((host) => ({ host, port }));
    const result = await runFixture('network-probe', { targets });

    expect(result.status).toBe('succeeded');
    const { results, dns } = result.output as { results: Record<string, string>; dns: string };
    expect(Object.keys(results)).toHaveLength(targets.length);
    for (const outcome of Object.values(results)) expect(outcome).not.toBe('connected');
    expect(dns).not.toBe('resolved');
  });

  it('gives the agent only its declared credential and the platform variables, none of the platform env', async () => {
    process.env.BAZAAR_SANDBOX_CANARY = 'platform-secret';
    try {
      const result = await runFixture(
        'env-reader',
        { pids: [process.pid, 2] },
        {},
        { env: { SHOP_API_KEY: 'tenant-key' } },
      );
      expect(result.status).toBe('succeeded');
      const { env, others } = result.output as {
        env: Record<string, string>;
        others: Record<string, string>;
      };
      expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PWD', 'SHOP_API_KEY', 'TMPDIR']);
      expect(env).toMatchObject({ SHOP_API_KEY: 'tenant-key', HOME: '/scratch', PWD: '/agent' });
      // PID 1 is the sandbox's own init, owned by root; the worker is not in the PID namespace at all.
      expect(others['1']).toBe('EACCES');
      expect(others[String(process.pid)]).toBe('ENOENT');
      // PID 2 is the second bubblewrap (--disable-userns): the agent's uid, but outside its filter
      // and in the parent user namespace, so as out of reach as PID 1.
      expect(others['2']).toBe('EACCES');
      expect(JSON.stringify(result.output)).not.toContain('platform-secret');
    } finally {
      delete process.env.BAZAAR_SANDBOX_CANARY;
    }
  });

  it('refuses credential names that would override the platform variables or the loader', async () => {
    for (const name of ['PATH', 'HOME', 'LD_PRELOAD', 'NODE_OPTIONS']) {
      await expect(runFixture('env-reader', {}, {}, { env: { [name]: 'x' } })).rejects.toThrow(/reserved/);
    }
  });

  describe('between tenants', () => {
    const driver = () => new LocalRuntimeDriver(join(dataDir, 'runtimes'));
    let ours: string;
    let theirs: string;

    beforeAll(async () => {
      const manifest = manifestSchema.parse(
        JSON.parse(await readFile(join(repo, 'agents/echo/manifest.json'), 'utf8')),
      );
      const spec = (orgId: string, installationId: string) => ({
        orgId,
        installationId,
        listingId: 'listing-1',
        versionId: 'version-1',
        runtimeKind: 'process' as const,
        manifest,
      });
      const ourRef = await driver().createRuntime(spec('org-ours', 'inst-ours'));
      const theirRef = await driver().createRuntime(spec('org-theirs', 'inst-theirs'));
      await driver().injectSecrets(ourRef, { SHOP_API_KEY: 'our-key' });
      await driver().injectSecrets(theirRef, { SHOP_API_KEY: 'their-key' });
      ours = ourRef.location;
      theirs = theirRef.location;
      await writeFile(join(theirs, 'scratch', 'notes.txt'), 'their private notes');
      await writeFile(join(dataDir, 'admin-token'), 'platform admin token');
    });

    it("cannot see another tenant's runtime, its own secrets file, or the platform's data dir", async () => {
      const paths = [
        join(theirs, 'scratch'),
        join(theirs, 'scratch', 'notes.txt'),
        join(theirs, 'secrets.json'),
        join(ours, 'secrets.json'),
        join(dataDir, 'admin-token'),
        dataDir,
        repo,
        '/etc/passwd',
        '/root',
      ];
      const result = await runAgent({
        agentDir: fixture('tenant-snoop'),
        command: ['node', 'main.mjs'],
        input: { paths: [...paths, '/scratch', '/'] },
        env: { SHOP_API_KEY: 'our-key' },
        scratchDir: join(ours, 'scratch'),
        limits,
      });

      expect(result.status).toBe('succeeded');
      const { results } = result.output as { results: Record<string, string> };
      // Not "permission denied": the paths do not exist in the agent's world.
      for (const path of paths) expect({ path, outcome: results[path] }).toEqual({ path, outcome: 'ENOENT' });
      expect(results['/scratch']).toBe('ok: ');
      const root = results['/']!.replace('ok: ', '').split(',');
      expect(root).toEqual(expect.arrayContaining(['agent', 'scratch', 'tmp', 'usr', 'proc', 'dev']));
      expect(root).not.toContain('etc');
      expect(root).not.toContain('root');
      expect(root).not.toContain('home');
    });

    it('writes only to its scratch directory and /tmp: not its code, not the system, not another tenant', async () => {
      const targets = {
        code: '/agent/injected.mjs',
        system: '/usr/local/bin/injected',
        root: '/injected',
        theirs: join(theirs, 'scratch', 'injected.txt'),
        scratch: '/scratch/mine.txt',
        tmp: '/tmp/mine.txt',
      };
      const result = await runAgent({
        agentDir: fixture('escape-writer'),
        command: ['node', 'main.mjs'],
        input: { paths: Object.values(targets) },
        env: {},
        scratchDir: join(ours, 'scratch'),
        limits,
      });

      expect(result.status).toBe('succeeded');
      const { results } = result.output as { results: Record<string, string> };
      expect(results[targets.code]).toBe('EROFS');
      expect(results[targets.system]).toBe('EROFS');
      expect(['EROFS', 'EACCES']).toContain(results[targets.root]);
      expect(results[targets.theirs]).toBe('ENOENT');
      expect(results[targets.scratch]).toBe('written');
      expect(results[targets.tmp]).toBe('written');
      // Its scratch is its own tmpfs: nothing reaches the host's disk.
      expect(await readdir(join(ours, 'scratch'))).toEqual([]);
      expect(await readdir(fixture('escape-writer'))).toEqual(['main.mjs']);
      expect(await readdir(join(theirs, 'scratch'))).toEqual(['notes.txt']);
    });
  });
});

describe('kernel surface', () => {
  let probed: { results: Record<string, string>; seccomp: string };

  beforeAll(async () => {
    const result = await runFixture('syscall-prober', {});
    expect(result.status).toBe('succeeded');
    probed = result.output as typeof probed;
  });

  it('runs the agent under a seccomp filter (Seccomp: 2) that lets ordinary syscalls through', () => {
    expect(probed.seccomp).toBe('2');
    expect(probed.results.getpid).toBe('ok');
    expect(probed.results.personality_query).toBe('ok');
  });

  it('gives the agent no user namespace: unshare -Ur fails with EPERM', async () => {
    const result = await runFixture('userns-maker', {});
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual({
      exitCode: 1,
      signal: null,
      stderr: 'unshare: unshare failed: Operation not permitted',
    });
  });

  it('refuses clone with a namespace flag (EPERM), and clone3 with ENOSYS so libc uses clone', () => {
    expect(probed.results.clone_newuser).toBe('EPERM');
    expect(probed.results.clone3).toBe('ENOSYS');
  });

  it('refuses mount (EPERM), before the kernel even looks for the target', () => {
    expect(probed.results.mount).toBe('EPERM');
  });

  it('refuses the kernel keyrings: keyctl and add_key (EPERM)', () => {
    expect(probed.results.keyctl).toBe('EPERM');
    expect(probed.results.add_key).toBe('EPERM');
  });

  it('refuses ptrace, even PTRACE_TRACEME (EPERM)', () => {
    expect(probed.results.ptrace).toBe('EPERM');
  });

  it('refuses bpf (EPERM)', () => {
    expect(probed.results.bpf).toBe('EPERM');
  });

  it('refuses a personality that switches ASLR off (EPERM)', () => {
    expect(probed.results.personality).toBe('EPERM');
  });

  it('kills a process that calls a syscall by its x32 number (SIGSYS)', () => {
    expect(probed.results.x32_getpid).toBe('killed by SIGSYS');
  });

  it("keeps user namespaces out of reach with bubblewrap's --disable-userns alone, without the filter", async () => {
    const { bwrapPath } = await isolationLevel();
    const lease = leaseSandboxUid();
    try {
      const command = namespacedCommand({
        bwrapPath: bwrapPath!,
        agentDir: fixture('userns-maker'),
        command: ['node', 'main.mjs'],
        credentials: {},
        limits,
        uid: lease.uid,
        seccompFilter: null,
        disableUserns: true,
        memoryCgroup: false,
      });
      const { exitCode, stdout, stderr } = await spawnSandboxed(command, {});
      expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
      // The kernel's own refusal: the user-namespace count of the sandbox's namespace is used up.
      expect(JSON.parse(stdout)).toEqual({
        exitCode: 1,
        signal: null,
        stderr: 'unshare: unshare failed: No space left on device',
      });
    } finally {
      lease.release();
    }
  });
});

describe('process isolation (the fallback without bubblewrap)', () => {
  it('still runs agents with a clean environment', async () => {
    process.env.BAZAAR_SANDBOX_CANARY = 'platform-secret';
    try {
      const scratchDir = await scratch();
      const result = await runFixture(
        'env-reader',
        {},
        {},
        { env: { SHOP_API_KEY: 'tenant-key' }, isolation: 'process', scratchDir },
      );
      expect(result).toMatchObject({ status: 'succeeded', isolation: 'process' });
      const { env } = result.output as { env: Record<string, string> };
      expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'PWD', 'SHOP_API_KEY', 'TMPDIR']);
      expect(env.HOME).toBe(scratchDir);
    } finally {
      delete process.env.BAZAAR_SANDBOX_CANARY;
    }
  });

  it('still kills at the deadline and enforces memory and output limits', async () => {
    const process_ = { isolation: 'process' as const };
    expect(
      (await runFixture('infinite-loop', {}, { timeoutMs: 1_000, cpuSeconds: 60 }, process_)).status,
    ).toBe('timed_out');
    expect((await runFixture('memory-hog', { mib: 512 }, { memoryMiB: 128 }, process_)).reason).toMatch(
      /out of memory/,
    );
    expect(
      (await runFixture('huge-output', { mib: 64 }, { maxOutputBytes: 64 * 1024 }, process_)).status,
    ).toBe('killed');
  });
});
