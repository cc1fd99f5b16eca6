import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/api/env.js';
import { handleError } from '../../src/api/errors.js';
import { bodyLimitFor, DEFAULT_BODY_LIMIT, limitBodies } from '../../src/api/middleware/body-limits.js';
import { defaultArtifactLimits } from '../../src/runtime/artifacts/artifact-limits.js';

/** An app behind limitBodies whose every POST/PUT answers with the size of the body it read. */
function appWithLimits() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.onError(handleError);
  app.use(limitBodies());
  app.on(['POST', 'PUT'], '*', async (c) => c.json({ read: (await c.req.arrayBuffer()).byteLength }));
  return app;
}

/** A body stream of `bytes` bytes without a Content-Length, as a chunked upload arrives. */
function streamOf(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  let left = bytes;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      controller.enqueue(chunk.subarray(0, Math.min(chunk.length, left)));
      left -= chunk.length;
    },
  });
}

describe('body limits', () => {
  it('gives the routes that take large bodies their own limit, and every other route the default', () => {
    expect(bodyLimitFor('PUT', '/v1/listings/abc/versions/1.0.0/artifact')).toBe(
      defaultArtifactLimits.maxArchiveBytes,
    );
    expect(bodyLimitFor('POST', '/v1/installations/abc/executions')).toBe(1024 * 1024);
    expect(bodyLimitFor('POST', '/v1/usage-events')).toBe(1024 * 1024);
    expect(bodyLimitFor('POST', '/v1/listings')).toBe(DEFAULT_BODY_LIMIT);
    // Same path, another method; and a longer path under a limited one.
    expect(bodyLimitFor('GET', '/v1/usage-events')).toBe(DEFAULT_BODY_LIMIT);
    expect(bodyLimitFor('POST', '/v1/installations/abc/executions/x')).toBe(DEFAULT_BODY_LIMIT);
  });

  it.each([
    [
      'declared by Content-Length',
      (bytes: number) => ({ body: ' '.repeat(bytes), headers: { 'content-length': String(bytes) } }),
    ],
    ['streamed without Content-Length', (bytes: number) => ({ body: streamOf(bytes), duplex: 'half' })],
  ])(
    'answers 413 in the error shape one byte over the limit, and lets the limit itself through (%s)',
    async (_, body) => {
      const app = appWithLimits();
      const atLimit = await app.request('/v1/listings', {
        method: 'POST',
        ...body(DEFAULT_BODY_LIMIT),
      } as RequestInit);
      expect(atLimit.status).toBe(200);
      expect(await atLimit.json()).toEqual({ read: DEFAULT_BODY_LIMIT });

      const over = await app.request('/v1/listings', {
        method: 'POST',
        ...body(DEFAULT_BODY_LIMIT + 1),
      } as RequestInit);
      expect(over.status).toBe(413);
      expect((await over.json()).error).toMatchObject({
        code: 'payload_too_large',
        requestId: over.headers.get('x-request-id'),
        details: { maxBytes: DEFAULT_BODY_LIMIT },
      });

      const larger = await app.request('/v1/usage-events', {
        method: 'POST',
        ...body(DEFAULT_BODY_LIMIT + 1),
      } as RequestInit);
      expect(larger.status).toBe(200);
    },
  );
});
