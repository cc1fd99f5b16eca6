// The README cannot lie: every fenced shell block of its walk-through sections (titles starting with
// "Walk-through") runs, in order, in one bash with `set -euo pipefail`, against a Bazaar started as
// a user starts it, from a directory laid out like a checkout (the CLI as `npx bazaar`, `agents/`,
// `.data/admin-token`). The only change made to the text is the API's address.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bazaarBin } from '../support/cli.js';
import { startBazaar, type StartedBazaar } from '../support/started-bazaar.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The fenced sh blocks of the README sections whose `## ` title starts with "Walk-through", in order. */
function walkthroughBlocks(readme: string): string[] {
  const sections = readme.split(/^## /m).filter((section) => section.startsWith('Walk-through'));
  return sections.flatMap((section) => [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!));
}

describe('the README walk-through', () => {
  let bazaar: StartedBazaar;
  let checkout: string;

  beforeAll(async () => {
    bazaar = await startBazaar({
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
      temporalCliPath: inject('temporalCliPath'),
    });
    // What a clone has where the walk-through runs: `npx bazaar`, agents/, and npm start's .data/admin-token.
    checkout = await mkdtemp(join(tmpdir(), 'bazaar-readme-'));
    await mkdir(join(checkout, 'node_modules', '.bin'), { recursive: true });
    await symlink(bazaarBin, join(checkout, 'node_modules', '.bin', 'bazaar'));
    await symlink(join(repo, 'agents'), join(checkout, 'agents'));
    await mkdir(join(checkout, '.data'));
    await copyFile(join(bazaar.dataDir, 'admin-token'), join(checkout, '.data', 'admin-token'));
  }, 120_000);

  afterAll(async () => {
    await bazaar?.stop();
  });

  it('finds the walk-through blocks', async () => {
    const blocks = walkthroughBlocks(await readFile(join(repo, 'README.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.join('\n')).toContain('npx bazaar publish');
    expect(blocks.join('\n')).toContain('http://localhost:3000');
  });

  it('runs every block in order, and each command succeeds', async () => {
    const blocks = walkthroughBlocks(await readFile(join(repo, 'README.md'), 'utf8'));
    const script = [
      'set -euo pipefail',
      ...blocks.map((block, i) => `echo "::: block ${i + 1}" >&2\n${block}`),
      'echo "::: done" >&2',
    ]
      .join('\n')
      .replaceAll('http://localhost:3000', bazaar.url);
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-c', script],
        {
          cwd: checkout,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CONFIG_HOME: join(checkout, 'config') },
          maxBuffer: 16 * 1024 * 1024,
          timeout: 240_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr }),
      );
    });
    if (run.code !== 0)
      throw new Error(`the walk-through failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    expect(run.stderr).toContain('::: done');
    // What the text says happens, happened.
    expect(run.stdout).toContain('returns-desk@1.0.0: published');
    expect(run.stderr).toContain('missing credentials: SHOP_API_KEY');
    expect(run.stdout).toContain('"answer": "You said: Can I send back an opened blender?"');
    expect(run.stdout).toContain('{"accepted":1,"duplicates":0}');
  }, 300_000);
});
