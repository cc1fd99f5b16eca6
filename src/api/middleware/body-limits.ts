import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { MAX_CREDENTIAL_VALUE_BYTES } from '../../domain/credentials/schemas.js';
import { AppError } from '../../domain/errors.js';
import { defaultArtifactLimits } from '../../runtime/artifacts/artifact-limits.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The most bytes a request body may have on a route the table below does not name. */
export const DEFAULT_BODY_LIMIT = 64 * KiB;

/** Routes that take larger bodies: method, Hono path pattern and the most bytes, each with why. */
export const routeBodyLimits: ReadonlyArray<{ method: string; path: string; maxBytes: number }> = [
  // The agent's code (tar.gz), bounded by the artifact limits the upload is checked against.
  {
    method: 'PUT',
    path: '/v1/listings/:id/versions/:version/artifact',
    maxBytes: defaultArtifactLimits.maxArchiveBytes,
  },
  // A manifest: two texts of 20,000 characters (up to 3 bytes each in UTF-8) and an input JSON Schema.
  { method: 'POST', path: '/v1/listings/:id/versions', maxBytes: 512 * KiB },
  { method: 'PUT', path: '/v1/listings/:id/versions/:version', maxBytes: 512 * KiB },
  // The route caps the input at 256 KiB of canonical JSON; the body may spell it with whitespace and escapes.
  { method: 'POST', path: '/v1/installations/:id/executions', maxBytes: 1 * MiB },
  // Up to 1,000 usage events of a few hundred bytes each.
  { method: 'POST', path: '/v1/usage-events', maxBytes: 1 * MiB },
  // A credential value of up to 32 KiB, JSON-escaped (up to 6 bytes per byte), and the envelope.
  { method: 'PUT', path: '/v1/credentials/:name', maxBytes: MAX_CREDENTIAL_VALUE_BYTES * 6 + KiB },
];

const compiledLimits = routeBodyLimits.map((limit) => ({
  ...limit,
  pattern: new RegExp(`^${limit.path.replace(/:\w+/g, '[^/]+')}$`),
}));

/** The most bytes a body may have on this method and path. */
export function bodyLimitFor(method: string, path: string): number {
  const route = compiledLimits.find((limit) => limit.method === method && limit.pattern.test(path));
  return route?.maxBytes ?? DEFAULT_BODY_LIMIT;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the request body is larger than ${maxBytes} bytes`, {
    maxBytes,
  });
}

/**
 * Answers 413 to a body larger than its route's limit before reading it: at once when the
 * Content-Length says so, and as soon as a body without one (chunked) has sent too much.
 */
export function limitBodies(): MiddlewareHandler<AppEnv> {
  return async function limitBodiesMiddleware(c, next) {
    // No route reads a GET or HEAD body (@hono/node-server does not even pass one on), and looking
    // for one would build the full Request @hono/node-server otherwise avoids.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const maxBytes = bodyLimitFor(c.req.method, c.req.path);
    const declared = c.req.header('content-length');
    // Decided from the header alone, before anything touches c.req.raw.body: touching it starts reading
    // the socket, after which @hono/node-server can no longer drain an unread body and keep the
    // connection alive. Node's parser holds a body to its Content-Length, so nothing more is needed.
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    const countWhileReading = bodyLimit({
      maxSize: maxBytes,
      onError: (context) => {
        // The rest of the body stays unread on the socket, so the connection cannot serve another
        // request: saying so lets the client open a new one rather than wait on this one.
        const response = errorResponse(context, tooLarge(maxBytes));
        response.headers.set('connection', 'close');
        return response;
      },
    });
    return countWhileReading(c, next);
  };
}
