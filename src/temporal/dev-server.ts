import { spawn, type ChildProcess } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';

/** A running Temporal dev server started by Bazaar. */
export interface DevServer {
  address: string;
  /** The server's process id (benchmarks read its CPU time). */
  pid: number;
  uiUrl: string | null;
  stop(): Promise<void>;
}

/** How to start the dev server. */
export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort?: number;
  /** SQLite file to keep state in (owner-only, with its journals); in-memory when omitted. */
  dbFile?: string;
  namespace: string;
  logger: Logger;
}

/** Starts `temporal server start-dev` as a child process and waits until its frontend accepts connections. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
  ];
  args.push('--log-level', 'warn', '--log-format', 'json');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);

  if (options.dbFile) await restrictDatabaseFiles(options.dbFile);
  // Its own process group: Ctrl-C reaches Bazaar, which stops the server last, after the worker.
  // Under umask 077 (set by a shell that then execs the server, so this process keeps its own):
  // the SQLite file and its journals, made whenever the server likes, are owner-only from the start.
  const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', options.cliPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const log = options.logger.child({ component: 'temporal-dev-server' });
  const output: string[] = [];
  const remember = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(options.port))) {
    const code = await Promise.race([exited, sleep(200).then(() => 'running' as const)]);
    if (code !== 'running') throw new Error(`temporal dev server exited (${code}):\n${output.join('')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server did not listen on ${address} within 60 s:\n${output.join('')}`);
    }
  }
  log.info({ address }, 'temporal dev server started');
  return {
    address,
    pid: child.pid!,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
    stop: async () => {
      await stopChild(child, exited);
      process.removeListener('exit', killOnExit);
    },
  };
}

/** Makes the SQLite file and journals an earlier start left owner-only (0600), when there are any. */
async function restrictDatabaseFiles(dbFile: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    await chmod(`${dbFile}${suffix}`, 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) child.kill('SIGKILL');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
