import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDataDir } from './data-dir.js';

/** Where the local-mode admin token is kept. */
export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

/**
 * The platform-admin token: ADMIN_TOKEN when set; in local mode otherwise the one saved in
 * `<dataDir>/admin-token`, generated (and saved, owner-readable only) on first start.
 */
export async function resolveAdminToken(input: {
  adminToken?: string;
  dataDir: string;
}): Promise<{ token: string; source: string }> {
  if (input.adminToken) return { token: input.adminToken, source: 'the ADMIN_TOKEN environment variable' };
  const path = adminTokenPath(input.dataDir);
  const saved = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (saved) return { token: saved, source: path };
  const token = `bzr_admin_${randomBytes(32).toString('base64url')}`;
  await ensurePrivateDataDir(input.dataDir);
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return { token, source: path };
}
