import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, constants, mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// The cgroup v1 memory hierarchy. Under cgroup v2 a run's cgroup would need a subtree delegated to
// Bazaar; that is not done, so such hosts keep the per-process memory rlimit alone.
const memoryHierarchy = '/sys/fs/cgroup/memory';
const sandboxesGroup = join(memoryHierarchy, 'bazaar-sandboxes');

/** One sandbox run's memory cgroup: all the run's processes together get at most its memory. */
export interface SandboxCgroup {
  /** Writing a pid here moves that process, and the children it starts after, into the cgroup. */
  procsFile: string;
  /** Whether the kernel killed one of the run's processes for going over the limit. */
  outOfMemory(): boolean;
  /** Removes the cgroup once the run's processes are gone. */
  remove(): Promise<void>;
}

/**
 * Whether this host lets Bazaar create memory cgroups (a writable cgroup v1 memory hierarchy). Also
 * removes the empty cgroups of runs whose Bazaar process is gone (it was killed mid-run).
 */
export async function memoryCgroupsAvailable(): Promise<boolean> {
  try {
    await mkdir(sandboxesGroup, { recursive: true });
    await access(join(sandboxesGroup, 'memory.limit_in_bytes'), constants.W_OK);
  } catch {
    return false;
  }
  for (const name of await readdir(sandboxesGroup)) {
    const owner = /^run-(\d+)-/.exec(name)?.[1];
    // rmdir removes only an empty cgroup: one with a process still in it stays.
    if (owner && !processAlive(Number(owner))) await rmdir(join(sandboxesGroup, name)).catch(() => undefined);
  }
  return true;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the memory cgroup of one run, limited to `memoryBytes` for all its processes together. */
export async function createSandboxCgroup(memoryBytes: number): Promise<SandboxCgroup> {
  // Named after this process, so a later start can tell a cgroup left by a killed worker.
  const directory = join(sandboxesGroup, `run-${process.pid}-${randomUUID()}`);
  await mkdir(directory);
  await writeFile(join(directory, 'memory.limit_in_bytes'), String(memoryBytes));
  // With swap accounting on, the same cap on memory plus swap, so swapping cannot lift it.
  await writeFile(join(directory, 'memory.memsw.limit_in_bytes'), String(memoryBytes)).catch(() => undefined);
  return {
    procsFile: join(directory, 'cgroup.procs'),
    outOfMemory: () => {
      const control = readFileSync(join(directory, 'memory.oom_control'), 'utf8');
      return Number(/^oom_kill (\d+)$/m.exec(control)?.[1] ?? 0) > 0;
    },
    remove: async () => {
      // The kernel refuses while the last processes are still being torn down.
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await rmdir(directory);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          await sleep(100);
        }
      }
    },
  };
}
