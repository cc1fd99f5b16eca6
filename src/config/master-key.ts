import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDataDir } from './data-dir.js';

/** Where the local-mode secrets master key is kept. */
export function masterKeyPath(dataDir: string): string {
  return join(dataDir, 'master-key');
}

/**
 * The secret store's master key (base64, 32 bytes): SECRETS_MASTER_KEY when set; in local mode
 * otherwise the one saved in `<dataDir>/master-key`, generated (and saved, owner-readable only) on
 * first start. Losing that file makes every stored secret unreadable.
 */
export async function resolveMasterKey(input: {
  masterKey?: string;
  dataDir: string;
}): Promise<{ key: string; source: string }> {
  if (input.masterKey) return { key: input.masterKey, source: 'the SECRETS_MASTER_KEY environment variable' };
  const path = masterKeyPath(input.dataDir);
  const saved = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (saved) return { key: saved, source: path };
  const key = randomBytes(32).toString('base64');
  await ensurePrivateDataDir(input.dataDir);
  // 'wx' never overwrites a key another process wrote meanwhile; that one then wins.
  const written = await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );
  if (!written) return { key: (await readFile(path, 'utf8')).trim(), source: path };
  return { key, source: path };
}
