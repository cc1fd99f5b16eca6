import { createRoute, z } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { describe, expect, it } from 'vitest';
import { handleError } from '../../src/api/errors.js';
import { MAX_JSON_DEPTH, refuseUnstorableInput } from '../../src/api/middleware/refuse-unstorable-input.js';
import { access, jsonBody } from '../../src/api/openapi.js';
import { createRouter } from '../../src/api/router.js';

const thingRoute = createRoute({
  method: 'post',
  path: '/v1/things/{id}',
  ...access('public'),
  request: {
    params: z.object({ id: z.string() }),
    ...jsonBody(z.object({ name: z.string(), input: z.unknown() })),
  },
  responses: { 200: { description: 'What the handler got' } },
});

/** A validated route behind the middleware, answering with what its validator passed on. */
function app() {
  // A public route never looks up an owner, so it needs no database.
  const router = createRouter({ db: null as never });
  router.use(requestId());
  router.onError(handleError);
  router.use(refuseUnstorableInput());
  return router.openapi(thingRoute, (c) =>
    c.json({ id: c.req.valid('param').id, body: c.req.valid('json') }, 200),
  );
}

const post = (path: string, body: string) =>
  app().request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** JSON text of objects nested `depth` levels deep. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

async function expectRefused(response: Response, details: Array<{ path: string; message: RegExp }>) {
  expect(response.status).toBe(400);
  const body = await response.json();
  expect(body.error.code).toBe('invalid_request');
  expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
  expect(body.error.details).toEqual(
    details.map((d) => ({ path: d.path, message: expect.stringMatching(d.message) })),
  );
}

describe('refuseUnstorableInput', () => {
  it('lets ordinary input through, the validator reading the body it already read', async () => {
    const input = { text: 'emoji 😀, accents é, an escaped \\u0000', list: [1, null, true] };
    const response = await post('/v1/things/x%2Fy', JSON.stringify({ name: 'n', input }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'x/y', body: { name: 'n', input } });
  });

  it('refuses NUL in a path parameter, naming it', async () => {
    await expectRefused(await post('/v1/things/a%00b', '{"name":"n"}'), [
      { path: 'param.id', message: /NUL/ },
    ]);
  });

  it('refuses NUL in a query value or name', async () => {
    await expectRefused(await post('/v1/things/x?q=a%00b', '{"name":"n"}'), [
      { path: 'query.q', message: /NUL/ },
    ]);
    await expectRefused(await post('/v1/things/x?q%00=1', '{"name":"n"}'), [
      { path: 'query', message: /name.*NUL/ },
    ]);
  });

  it('refuses NUL and lone surrogates in any JSON string or key, with the field path', async () => {
    const body = '{"name":"a\\u0000","input":{"a":{"b":["ok","\\ud800x"]},"c\\udc00":1}}';
    await expectRefused(await post('/v1/things/x', body), [
      { path: 'json.name', message: /NUL \(U\+0000\)/ },
      { path: 'json.input.a.b.1', message: /lone surrogate \(U\+D800\)/ },
      { path: 'json.input', message: /a key .*lone surrogate \(U\+DC00\)/ },
    ]);
  });

  it(`accepts JSON nested ${MAX_JSON_DEPTH} levels deep and refuses one more, or 5,000`, async () => {
    const at = (depth: number) => post('/v1/things/x', `{"name":"n","input":${nested(depth - 1)}}`);
    expect((await at(MAX_JSON_DEPTH)).status).toBe(200);
    const deepPath = ['json', 'input', ...Array(MAX_JSON_DEPTH - 1).fill('a')].join('.');
    await expectRefused(await at(MAX_JSON_DEPTH + 1), [{ path: deepPath, message: /deeper than 64/ }]);
    expect((await at(5000)).status).toBe(400);
  });

  it('leaves JSON that does not parse to the route, which answers 400', async () => {
    const response = await post('/v1/things/x', '{"name": ');
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/Malformed JSON/);
  });
});
