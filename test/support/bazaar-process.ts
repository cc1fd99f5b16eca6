// One Bazaar role (`api`, `worker` or `gateway`) as its own OS process (`node src/main.ts`, what `npm start`
// runs), for tests that SIGKILL it and start it again on the same configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for.js';

/** A restartable Bazaar process; everything it printed, across restarts, stays in output(). */
export class BazaarProcess {
  private child: ChildProcess | null = null;
  private printed = '';
  /** Exits nobody asked for (the test kills with kill()). */
  unexpectedExits = 0;

  constructor(
    private readonly role: 'api' | 'worker' | 'gateway',
    private readonly env: () => Record<string, string>,
    /** Options for node itself (e.g. `--cpu-prof`). */
    private readonly nodeOptions: string[] = [],
  ) {}

  /** Starts it and waits until it says it is running (a failed start is tried again, up to three times). */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  private async startOnce(): Promise<void> {
    const child = spawn(process.execPath, [...this.nodeOptions, '--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BAZAAR_ROLES: this.role,
        TEMPORAL_DEV_SERVER: 'false',
        BILLING_SCHEDULE: 'false',
        LOG_LEVEL: 'warn',
        ...this.env(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a kill takes its sandboxed agents with it
    });
    this.child = child;
    let mine = '';
    const keep = (chunk: Buffer) => {
      mine += chunk;
      this.printed += chunk;
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) {
        this.unexpectedExits++;
        this.child = null;
      }
    });
    const banners = {
      api: 'Bazaar is running.',
      worker: 'Bazaar worker is running',
      gateway: 'Tool gateway:',
    };
    const banner = banners[this.role];
    await waitFor(
      async () => mine.includes(banner) || child.exitCode !== null || child.signalCode !== null,
      `the ${this.role} process`,
      90_000,
    );
    if (!mine.includes(banner)) {
      this.child = null;
      throw new Error(`the ${this.role} process exited during start-up:\n${mine}`);
    }
  }

  /** Its process id while it runs (for reading its CPU time in /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether it is running (it may have exited by itself). */
  get running(): boolean {
    return this.child !== null;
  }

  /** SIGKILLs its whole process group, as a crashed machine would, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      return; // already gone
    }
    await exited;
  }

  /** Stops it as Ctrl-C would (SIGINT: an orderly shutdown, so `--cpu-prof` writes its profile). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }

  /** Everything it printed since the first start. */
  output(): string {
    return this.printed;
  }
}
