// Worker-only Bazaar processes (`node src/main.ts` with BAZAAR_ROLES=worker) beside a harness, for
// tests that kill a worker mid-run and let another finish the work.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Harness } from './harness.js';
import { waitFor } from './wait-for.js';

/** Starts, kills and cleans up worker processes on one harness's database and task queue. */
export class WorkerProcesses {
  private readonly started: ChildProcess[] = [];

  constructor(
    private readonly harness: () => Harness,
    private readonly extraEnv: () => Record<string, string> = () => ({}),
  ) {}

  /** Starts one more worker and waits until it polls the task queue. */
  async start(): Promise<ChildProcess> {
    const h = this.harness();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BAZAAR_ROLES: 'worker',
        TEMPORAL_DEV_SERVER: 'false',
        TEMPORAL_ADDRESS: h.config.temporal.address,
        TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
        DATABASE_URL: h.config.databaseUrl,
        DATA_DIR: h.config.dataDir,
        SECRETS_MASTER_KEY: h.config.secrets.masterKey!,
        ADMIN_TOKEN: h.adminToken,
        LOG_LEVEL: 'warn',
        ...this.extraEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a kill takes a sandboxed agent with it
    });
    this.started.push(child);
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(
      async () => output.includes('Bazaar worker is running') || child.exitCode !== null,
      'the worker',
      60_000,
    );
    if (child.exitCode !== null) throw new Error(`worker exited:\n${output}`);
    return child;
  }

  /** SIGKILLs every running worker's whole process group, as a crashed machine would. */
  killAll(): void {
    for (const child of this.started)
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}
