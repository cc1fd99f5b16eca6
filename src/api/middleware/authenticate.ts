import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../db/pool.js';
import { authenticate as resolvePrincipal } from '../../domain/auth/repository.js';
import { AppError } from '../../domain/errors.js';
import type { AppEnv } from '../env.js';

/** Requires `Authorization: Bearer <key>` and sets the caller's principal; 401 otherwise. */
export function authenticate(db: Db): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError('unauthorized', 'send your API key as "Authorization: Bearer <key>"');
    const principal = await resolvePrincipal(db, match[1]!);
    if (!principal) throw new AppError('unauthorized', 'the API key is unknown or revoked');
    c.set('principal', principal);
    c.set('logger', c.get('logger').child({ orgId: principal.orgId, keyId: principal.keyId }));
    await next();
  };
}
