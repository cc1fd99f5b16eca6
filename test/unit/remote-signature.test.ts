import { describe, expect, it } from 'vitest';
import {
  generateSigningSecret,
  signatureHeaders,
  signPayload,
} from '../../src/domain/signing/standard-webhooks.js';
import { verifyStandardWebhook } from '../support/https-endpoint.js';

// The Standard Webhooks specification's published test vector: matching it means publishers can
// verify Bazaar's requests with any of that specification's libraries.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('remote request signatures', () => {
  it('reproduces the Standard Webhooks reference signature', () => {
    expect(signPayload(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  it('signs with every active secret, current first, space-separated', () => {
    const previous = generateSigningSecret();
    const headers = signatureHeaders({ ...vector, secrets: [vector.secret, previous] });
    expect(headers['webhook-id']).toBe(vector.id);
    expect(headers['webhook-timestamp']).toBe('1614265330');
    expect(headers['webhook-signature']).toBe(
      `${vector.signature} ${signPayload(previous, vector.id, vector.timestamp, vector.body)}`,
    );
  });

  it('makes fresh 32-byte secrets', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(secret);
  });

  describe("the test endpoint's independent verifier", () => {
    const now = vector.timestamp + 10;
    const headers = (overrides: Record<string, string> = {}) => ({
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': vector.signature,
      ...overrides,
    });

    it('accepts the reference request, also when it is one of several signatures', () => {
      expect(verifyStandardWebhook(vector.secret, headers(), vector.body, now)).toBeNull();
      const rotated = headers({ 'webhook-signature': `v1,bm90IGl0 ${vector.signature}` });
      expect(verifyStandardWebhook(vector.secret, rotated, vector.body, now)).toBeNull();
    });

    it.each([
      ['a tampered body', headers(), '{"test": 2432232315}', /no signature matches/],
      ['another id', headers({ 'webhook-id': 'msg_other' }), vector.body, /no signature matches/],
      [
        'a shifted timestamp',
        headers({ 'webhook-timestamp': String(vector.timestamp + 1) }),
        vector.body,
        /no signature matches/,
      ],
      ['a missing signature', headers({ 'webhook-signature': '' }), vector.body, /missing/],
      ['an old request', headers(), vector.body, /too old/, vector.timestamp + 301],
    ])('rejects %s', (_what, sent, body, problem, at = now) => {
      expect(verifyStandardWebhook(vector.secret, sent, body, at)).toMatch(problem);
    });

    it('rejects a signature made with another secret', () => {
      const forged = signPayload(generateSigningSecret(), vector.id, vector.timestamp, vector.body);
      expect(
        verifyStandardWebhook(vector.secret, headers({ 'webhook-signature': forged }), vector.body, now),
      ).toMatch(/no signature matches/);
    });
  });
});
