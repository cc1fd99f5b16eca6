import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/pool.js';
import type { NotifiedCache } from '../../db/notified-cache.js';
import { authenticate as resolvePrincipal, type CachedKey } from '../../domain/auth/repository.js';
import { csrfTokenMatches, findSession, isSessionIdShaped } from '../../domain/auth/sessions.js';
import { AppError, forbidden } from '../../domain/errors.js';
import type { AppEnv } from '../env.js';
import { CSRF_HEADER, readSessionCookie } from '../session-cookie.js';

// Methods that change nothing, so a forged cross-site request gains nothing from them.
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Sets the caller's principal from `Authorization: Bearer <key>` or, without that header, from the
 * console's session cookie; 401 otherwise. A cookie-authenticated request that changes state must
 * also carry the session's CSRF token in `x-csrf-token` (the synchronizer-token pattern: the token is
 * derived from the session, given at sign-in and by GET /v1/me) and must not be marked cross-site by
 * the browser (`Sec-Fetch-Site`); otherwise 403. Bearer keys need neither: browsers never attach them
 * on their own.
 */
export function authenticate(db: Db, keys?: NotifiedCache<CachedKey>): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new AppError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
      const principal = await resolvePrincipal(db, match[1]!, keys);
      if (!principal) throw new AppError('unauthorized', 'the API key is unknown or revoked');
      c.set('principal', principal);
    } else {
      const sessionId = readSessionCookie(c);
      if (sessionId === undefined) {
        throw new AppError(
          'unauthorized',
          'send your API key as "Authorization: Bearer <key>", or sign in to the console',
        );
      }
      const session = isSessionIdShaped(sessionId) ? await findSession(db, sessionId) : null;
      if (!session) throw new AppError('unauthorized', 'the console session has ended; sign in again');
      if (!safeMethods.has(c.req.method)) {
        if (c.req.header('sec-fetch-site') === 'cross-site')
          throw forbidden('a cross-site request cannot use the console session');
        if (!csrfTokenMatches(sessionId, c.req.header(CSRF_HEADER)))
          throw forbidden(`a change made with the console session needs its CSRF token in ${CSRF_HEADER}`);
      }
      c.set('principal', session.principal);
      c.set('session', { id: sessionId, idHash: session.idHash, expiresAt: session.expiresAt });
    }
    await next();
  };
}
