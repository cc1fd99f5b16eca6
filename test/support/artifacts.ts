import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Packs a directory into a tar.gz artifact with the system tar, as a publisher would. */
export function packDirectory(directory: string): Buffer {
  return execFileSync('tar', ['-czf', '-', '-C', directory, '.']);
}

/** Packs files given by name and content into a tar.gz artifact. */
export async function packFiles(files: Record<string, string>): Promise<Buffer> {
  const directory = await mkdtemp(join(tmpdir(), 'bazaar-artifact-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(directory, name), content);
    return packDirectory(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
