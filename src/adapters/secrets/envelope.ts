import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKey } from './master-keyring.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value: the value under a fresh data key, and that data key wrapped by a master key. */
export interface Envelope {
  /** iv ‖ tag ‖ ciphertext of the value under the data key. */
  ciphertext: Buffer;
  /** iv ‖ tag ‖ ciphertext of the data key under the master key. */
  wrappedKey: Buffer;
  masterKeyId: string;
}

/** The additional authenticated data binding a sealed value to its tenant and name. */
export function secretAad(orgId: string, name: string): Buffer {
  // JSON keeps the encoding unambiguous whatever characters the parts contain.
  return Buffer.from(JSON.stringify(['bazaar-secret-v1', orgId, name]));
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Throws when the key, the AAD or any byte of the sealed data is wrong. */
function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed data is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** Encrypts a value under a fresh random data key and wraps that key with the master key. */
export function seal(value: string, aad: Buffer, masterKey: MasterKey): Envelope {
  const dataKey = randomBytes(32);
  try {
    return {
      ciphertext: encrypt(dataKey, Buffer.from(value, 'utf8'), aad),
      wrappedKey: encrypt(masterKey.key, dataKey, aad),
      masterKeyId: masterKey.id,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Unwraps the data key and decrypts the value; throws when anything was tampered with or moved. */
export function open(envelope: Omit<Envelope, 'masterKeyId'>, aad: Buffer, masterKey: MasterKey): string {
  const dataKey = decrypt(masterKey.key, envelope.wrappedKey, aad);
  try {
    return decrypt(dataKey, envelope.ciphertext, aad).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps a data key under another master key, leaving the value's ciphertext untouched. */
export function rewrap(wrappedKey: Buffer, aad: Buffer, from: MasterKey, to: MasterKey): Buffer {
  const dataKey = decrypt(from.key, wrappedKey, aad);
  try {
    return encrypt(to.key, dataKey, aad);
  } finally {
    dataKey.fill(0);
  }
}
