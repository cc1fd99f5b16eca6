import { chmod, mkdir } from 'node:fs/promises';

/**
 * Creates the local data directory owner-only (0700), or makes an existing one so: it holds the
 * secrets master key, the admin token, Temporal's SQLite file and the installations' runtimes.
 * False when the directory belongs to another user, who alone may change its mode (e.g. a
 * Kubernetes emptyDir, made by the kubelet): the caller warns.
 */
export async function ensurePrivateDataDir(dataDir: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // mkdir leaves an existing directory's mode alone (and applies the umask to a new one).
    await chmod(dataDir, 0o700);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
    throw error;
  }
}
