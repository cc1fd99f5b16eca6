// The API as Node serves it, over raw sockets: requests Node's parser refuses get the one error shape.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/api/listen.js';
import { createLogger } from '../../src/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { rawConnection, type RawResponse } from '../support/raw-http.js';

/** Asserts the one error shape, with its code, and the request id header matching the body. */
function expectErrorShape(response: RawResponse | null, status: number, code: string) {
  expect(response?.status).toBe(status);
  expect(response!.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(response!.body);
  expect(body.error).toMatchObject({ code, message: expect.any(String), requestId: expect.any(String) });
  expect(response!.headers['x-request-id']).toBe(body.error.requestId);
}

describe('the HTTP server', () => {
  let h: Harness;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    h = await startHarness();
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await h.stop();
  });

  it('answers headers larger than Node allows with 431 in the error shape', async () => {
    const connection = await rawConnection(port);
    connection.send(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expectErrorShape(await connection.nextResponse(), 431, 'invalid_request');
    connection.close();
  });

  it('answers a request that is not valid HTTP with 400 in the error shape', async () => {
    const connection = await rawConnection(port);
    connection.send('GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header Name: x\r\n\r\n');
    expectErrorShape(await connection.nextResponse(), 400, 'invalid_request');
    connection.close();
  });
});
