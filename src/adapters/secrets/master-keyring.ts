import { createHash } from 'node:crypto';

/** A 256-bit key-encryption key and its id (a fingerprint, so ids never need configuring). */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** The key new data keys are wrapped with, and older keys still accepted for unwrapping. */
export interface MasterKeyring {
  current: MasterKey;
  previous: MasterKey[];
}

/** Decodes a base64 master key into a MasterKey; throws (without echoing it) unless it is 32 bytes. */
export function parseMasterKey(base64: string): MasterKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('a master key must be 32 bytes, base64-encoded');
  // A truncated hash of a random 256-bit key reveals nothing usable about it.
  const id = `mk_${createHash('sha256').update('bazaar-master-key-id:').update(key).digest('hex').slice(0, 16)}`;
  return { id, key };
}

/** Builds a keyring from the current key and any previous ones (base64). */
export function createMasterKeyring(current: string, previous: string[] = []): MasterKeyring {
  const currentKey = parseMasterKey(current);
  return {
    current: currentKey,
    previous: previous.map(parseMasterKey).filter((key) => key.id !== currentKey.id),
  };
}

/** The keyring's key with this id, or undefined when it is unknown. */
export function findMasterKey(keyring: MasterKeyring, id: string): MasterKey | undefined {
  return [keyring.current, ...keyring.previous].find((key) => key.id === id);
}
