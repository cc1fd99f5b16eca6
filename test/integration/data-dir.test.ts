import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { resolveMasterKey } from '../../src/config/master-key.js';
import { ensurePrivateDataDir } from '../../src/config/data-dir.js';
import { createLogger } from '../../src/logger.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { freePort } from '../support/free-port.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Every file and directory under a directory whose group or others may read, write or enter it. */
async function openToOthers(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true });
  const modes = await Promise.all(
    entries.map(async (entry) => [entry, await modeOf(join(directory, entry))]),
  );
  return modes.filter(([, mode]) => (mode as number) & 0o077).map(([entry, mode]) => `${entry} ${mode}`);
}

// The local data directory and Temporal's SQLite file in it are owner-only, including for a
// directory and a file an earlier version of Bazaar left readable by everyone.
describe('local data directory', () => {
  let parent: string;
  afterAll(() => rm(parent, { recursive: true, force: true }));

  it('is created 0700 and the Temporal dev server keeps its SQLite file owner-only, from a first start on', async () => {
    parent = await mkdtemp(join(tmpdir(), 'bazaar-data-'));
    const dataDir = join(parent, '.data');
    const dbFile = join(dataDir, 'temporal.sqlite');
    const start = async () =>
      startDevServer({
        cliPath: inject('temporalCliPath'),
        port: await freePort(),
        dbFile,
        namespace: 'default',
        logger: createLogger('silent'),
      });

    expect(await ensurePrivateDataDir(dataDir)).toBe(true);
    await resolveMasterKey({ dataDir });
    expect(await modeOf(dataDir)).toBe(0o700);
    const first = await start();
    await first.stop();
    expect(await modeOf(dbFile)).toBe(0o600);
    expect(await openToOthers(dataDir)).toEqual([]);

    // What an earlier Bazaar left: a world-readable directory and SQLite file.
    await chmod(dataDir, 0o755);
    await chmod(dbFile, 0o644);
    await mkdir(join(dataDir, 'runtimes'), { mode: 0o700 });
    expect(await ensurePrivateDataDir(dataDir)).toBe(true);
    const second = await start();
    await second.stop();
    expect(await modeOf(dataDir)).toBe(0o700);
    expect(await modeOf(dbFile)).toBe(0o600);
    expect(await openToOthers(dataDir)).toEqual([]);
  });
});
