// Starts a real OpenBao dev server (in memory, on a free port) from the binary that
// scripts/setup-openbao.sh builds, for the Vault secret-store tests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The pinned OpenBao binary: $BAO_PATH (exported by the setup script) or its cache location. */
export function openBaoPath(): string {
  return process.env.BAO_PATH ?? join(homedir(), '.cache/bazaar/openbao-v2.4.0/bao');
}

/** A running OpenBao dev server: its address and root token. */
export interface OpenBao {
  address: string;
  rootToken: string;
  stop(): Promise<void>;
}

/** Starts `bao server -dev` and waits until it reports itself unsealed and active. */
export async function startOpenBao(): Promise<OpenBao> {
  const path = openBaoPath();
  await access(path).catch(() => {
    throw new Error(`no OpenBao binary at ${path}: run \`source scripts/setup-openbao.sh\` (npm test does)`);
  });
  const port = await freePort();
  const rootToken = `test-root-${randomBytes(12).toString('hex')}`;
  const address = `http://127.0.0.1:${port}`;
  const child = spawn(
    path,
    ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const remember = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`OpenBao exited (${child.exitCode ?? child.signalCode}):\n${output.join('')}`);
      const health = await fetch(`${address}/v1/sys/health`).catch(() => null);
      return health?.status === 200;
    }, 'the OpenBao dev server');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    address,
    rootToken,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
