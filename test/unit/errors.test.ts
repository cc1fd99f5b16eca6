import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/api/env.js';
import { handleError } from '../../src/api/errors.js';
import { AppError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/logger.js';

function appThrowing(error: Error) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set('logger', createLogger('silent'));
    await next();
  });
  app.onError(handleError);
  app.get('/', () => {
    throw error;
  });
  return app;
}

describe('error handling', () => {
  it('answers an unexpected error with a bare 500 that reveals no internals', async () => {
    const response = await appThrowing(new Error('connect ECONNREFUSED postgres://admin:hunter2@db')).request(
      '/',
    );
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.error.code).toBe('internal');
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
    expect(JSON.stringify(body)).not.toMatch(/hunter2|ECONNREFUSED|postgres/);
  });

  it.each([
    ['conflict', 409],
    ['rule_violation', 422],
    ['rate_limited', 429],
    ['forbidden', 403],
  ] as const)('maps %s to %i', async (code, status) => {
    const response = await appThrowing(new AppError(code, 'because')).request('/');
    expect(response.status).toBe(status);
    expect((await response.json()).error).toMatchObject({ code, message: 'because' });
  });
});
