import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../domain/errors.js';
import { clientAddress } from '../client-address.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';
import { FailureCounter } from './failure-counter.js';

/**
 * Throttles failed authentication per client address: past `perMinute` 401s in a minute, the
 * address's further failures answer 429 with retry-after (seconds) until its minute is over.
 *
 * Only failures are refused: a valid key from a throttled address still works. Many clients can share
 * one address (NAT, and every client behind a reverse proxy), so refusing all of them would let one
 * client, or anyone sending junk keys, lock the others out; and keys carry 256 random bits, so what
 * this bounds is the load and noise of failed attempts, not the odds of guessing one.
 */
export function throttleFailedAuth(options: { perMinute: number }): MiddlewareHandler<AppEnv> {
  const failures = new FailureCounter({ maxFailures: options.perMinute, windowMs: 60_000, maxKeys: 10_000 });
  return async function throttleFailedAuthMiddleware(c, next) {
    await next();
    if (c.res.status !== 401) return;
    const retryAfterSeconds = failures.recordFailure(clientAddress(c));
    if (retryAfterSeconds === null) return;
    const refused = errorResponse(
      c,
      new AppError(
        'rate_limited',
        `too many failed authentications from this address; retry in ${retryAfterSeconds} s`,
      ),
    );
    refused.headers.set('retry-after', String(retryAfterSeconds));
    c.res = refused;
  };
}
