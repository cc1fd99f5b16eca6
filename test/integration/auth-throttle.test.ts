// Failed authentication is throttled per client address (the socket's, given here as @hono/node-server
// gives it): past 20 failures a minute, more failures answer 429; valid keys and other addresses still work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('failed authentication throttling', () => {
  let h: Harness;
  let valid: string;
  beforeAll(async () => {
    h = await startHarness();
    valid = (await h.createOrg()).token;
  });
  afterAll(() => h.stop());

  /** GET /v1/listings from `address` with this bearer token (none: no Authorization header). */
  const listFrom = (address: string, token?: string) =>
    h.app.request(
      '/v1/listings',
      { headers: token ? { authorization: `Bearer ${token}` } : {} },
      { incoming: { socket: { remoteAddress: address } } },
    );

  it('answers the 21st failure in a minute from one address with 429 and retry-after', async () => {
    const attacker = '203.0.113.7';
    for (let attempt = 1; attempt <= 20; attempt++) {
      const response = await listFrom(attacker, attempt % 2 ? `bzr_key_${attempt}` : undefined);
      expect(response.status).toBe(401);
    }
    const refused = await listFrom(attacker, 'bzr_key_guess');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await refused.json()).error).toMatchObject({
      code: 'rate_limited',
      requestId: refused.headers.get('x-request-id'),
    });

    // A valid key from the same address still works (see throttleFailedAuth for why).
    expect((await listFrom(attacker, valid)).status).toBe(200);
    expect((await listFrom(attacker, 'bzr_key_again')).status).toBe(429);
    // Another address is unaffected.
    expect((await listFrom('198.51.100.9', 'bzr_key_other')).status).toBe(401);
  });

  it('takes the address from the socket when served over HTTP', async () => {
    // Requests without a socket share the address 'unknown': use its 20 up, so that a server that
    // failed to see the socket's address would refuse the very first request below.
    for (let attempt = 1; attempt <= 21; attempt++)
      await h.request('GET', '/v1/listings', { token: 'wrong' });
    expect((await h.request('GET', '/v1/listings', { token: 'wrong' })).status).toBe(429);

    const server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    try {
      const { port } = server.address() as { port: number };
      const statuses: number[] = [];
      for (let attempt = 1; attempt <= 21; attempt++) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/listings`, {
          headers: { authorization: 'Bearer bzr_key_wrong' },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([...Array(20).fill(401), 429]);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});
