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
