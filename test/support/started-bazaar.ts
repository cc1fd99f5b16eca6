// A Bazaar started as a user starts it (src/main.ts, what `npm start` runs), on free ports with its
// own database and data directory, against the test run's Temporal dev server (its own task queue),
// for end-to-end tests that drive it from outside: the CLI, the README's walk-through.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** A running Bazaar: where it answers, its generated admin token, and how to stop it. */
export interface StartedBazaar {
  url: string;
  dataDir: string;
  adminToken: string;
  output: () => string;
  stop: () => Promise<void>;
}

interface Services {
  databaseUrl: string;
  temporalAddress: string;
  temporalCliPath: string;
}

/** Starts src/main.ts and waits until it says it is running (on another port if its port was taken meanwhile). */
export async function startBazaar(services: Services): Promise<StartedBazaar> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(services);
    } catch (error) {
      if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startOnce(services: Services): Promise<StartedBazaar> {
  const stamp = `${Date.now()}_${process.pid}`;
  const databaseName = `bazaar_e2e_${stamp}`;
  const databaseUrl = new URL(services.databaseUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'bazaar-e2e-'));
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_DEV_SERVER: 'false',
      TEMPORAL_TASK_QUEUE: `bazaar-e2e-${stamp}`,
      TEMPORAL_CLI_PATH: services.temporalCliPath,
      BILLING_SCHEDULE: 'false',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await waitFor(
    async () => output.includes('Bazaar is running.') || child.exitCode !== null,
    'start-up',
    90_000,
  );
  if (child.exitCode !== null) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`Bazaar exited during start-up:\n${output}`);
  }
  return {
    url: `http://localhost:${port}`,
    dataDir,
    adminToken: (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim(),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      const admin = new pg.Client({ connectionString: services.databaseUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
      await admin.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
