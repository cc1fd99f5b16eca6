import { describe, expect, it } from 'vitest';
import { hashSecret, issueKey, parseToken, secretMatches } from '../../src/domain/auth/api-keys.js';

describe('API keys', () => {
  it('issues distinct tokens that parse back to their key id, storing only a hash', () => {
    const a = issueKey();
    const b = issueKey();
    expect(a.token).not.toBe(b.token);
    const parsed = parseToken(a.token)!;
    expect(parsed.keyId).toBe(a.keyId);
    expect(a.secretHash).toBe(hashSecret(parsed.secret));
    expect(a.secretHash).not.toContain(parsed.secret);
  });

  it('matches only the right secret', () => {
    const key = issueKey();
    const { secret } = parseToken(key.token)!;
    expect(secretMatches(secret, key.secretHash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}x`, key.secretHash)).toBe(false);
    expect(secretMatches(secret, 'abcd')).toBe(false);
  });

  it('does not parse tokens of another shape', () => {
    expect(parseToken('Bearer something')).toBeNull();
    expect(parseToken(`bzr_key_zz_${'a'.repeat(43)}`)).toBeNull();
  });
});
