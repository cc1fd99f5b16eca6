// A PostgreSQL cluster of a test's own (initdb into a temporary directory, trust auth, loopback,
// a free port), for tests that must stop and restart PostgreSQL: the machine's server is shared
// with other test runs and is never restarted.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const binDir = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** A running private cluster: its superuser URL and how to restart and remove it. */
export interface PrivatePostgres {
  /** The `postgres` maintenance database, as superuser `postgres`. */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server as a crash would (`-m immediate`: no checkpoint, recovery at start) and starts it again. */
  restart(): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

// initdb and postgres refuse to run as root: as root, they run as the postgres user.
async function asOwner(command: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  await run(file, argv, { timeout: 120_000 });
}

/** Creates and starts a cluster on a free port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const root = await mkdtemp(join(tmpdir(), 'bazaar-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(root, Number(stdout.trim()), Number(gid.trim()));
  }
  const dataDir = join(root, 'data');
  await asOwner(join(binDir, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  // fsync off: the machine does not crash here, only the server is killed, so the OS keeps what
  // was written; synchronous_commit stays on, so a commit Bazaar saw is never lost in a restart.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const pgCtl = (...args: string[]) =>
    asOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', join(root, 'server.log'), ...args]);
  const start = () => pgCtl('-o', options, '-w', '-t', '60', 'start');
  const stopNow = () => pgCtl('-m', 'immediate', '-w', 'stop');
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async restart() {
      await stopNow();
      await start();
    },
    async stop() {
      await stopNow().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}
