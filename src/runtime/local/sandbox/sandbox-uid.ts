import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

// A block of uids no account uses (far above subordinate-uid ranges such as 100000-165535), from
// which each run gets its own: RLIMIT_NPROC counts per uid, so a shared uid would let one agent's
// processes eat another's budget.
const firstUid = 1_900_000_000;
const uidCount = 10_000_000;
const leased = new Set<number>();

/** A uid held for one run; give it back with release(). */
export interface UidLease {
  uid: number;
  release(): void;
}

/** Leases a uid no other run in this process holds (random across processes, so clashes are rare). */
export function leaseSandboxUid(): UidLease {
  let uid: number;
  do uid = firstUid + Math.floor(Math.random() * uidCount);
  while (leased.has(uid));
  leased.add(uid);
  return { uid, release: () => leased.delete(uid) };
}

/**
 * Makes `directory` and what is in it owned by `uid` and private to it. Symbolic links are changed,
 * never followed; a file with several hard links is left alone, since one of its names could be a
 * system file the agent linked in to have the platform hand it over.
 */
export async function handOverDirectory(directory: string, uid: number): Promise<void> {
  const stats = await lstat(directory);
  if (stats.isDirectory()) {
    for (const name of await readdir(directory)) await handOverDirectory(join(directory, name), uid);
  } else if (!stats.isSymbolicLink() && stats.nlink > 1) {
    return;
  }
  await lchown(directory, uid, uid);
}

/** Hands over a scratch directory: owned by `uid`, mode 0700. */
export async function prepareScratch(scratchDir: string, uid: number): Promise<void> {
  await handOverDirectory(scratchDir, uid);
  await chmod(scratchDir, 0o700);
}
