import type { HttpBindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The address of the request's TCP peer. Behind a reverse proxy that is the proxy's address, shared
 * by every client; 'unknown' for a request that came without a socket (app.request in tests).
 */
export function clientAddress(c: Context): string {
  if (!(c.env as Partial<HttpBindings> | undefined)?.incoming) return 'unknown';
  return getConnInfo(c).remote.address ?? 'unknown';
}
