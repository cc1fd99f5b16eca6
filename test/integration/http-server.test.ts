// The API as Node serves it, over raw sockets: a refused body leaves the keep-alive connection usable,
// and requests Node's parser refuses still get the one error shape.
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
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    server = await listen(h.app, { port: 0, hostname: '127.0.0.1', logger: createLogger('silent') });
    port = (server.address() as { port: number }).port;
    token = (await h.createOrg()).token;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await h.stop();
  });

  it('refuses a body over its Content-Length limit with 413, and answers the next request on the same connection', async () => {
    const connection = await rawConnection(port);
    const body = JSON.stringify({ value: 'x'.repeat(300 * 1024) });
    connection.send(
      `PUT /v1/credentials/SHOP_API_KEY HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const refused = await connection.nextResponse();
    expectErrorShape(refused, 413, 'payload_too_large');
    expect(refused!.headers.connection).toBe('keep-alive');

    connection.send(
      `GET /v1/credentials HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    const next = await connection.nextResponse();
    expect(next?.status).toBe(200);
    expect(JSON.parse(next!.body)).toEqual({ credentials: [] });
    connection.close();
  });

  it('refuses a chunked body once it passes the limit, with 413 and Connection: close', async () => {
    const connection = await rawConnection(port);
    connection.send(
      `POST /v1/listings HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const chunk = 'x'.repeat(16 * 1024);
    for (let sent = 0; sent < 8; sent++) connection.send(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const refused = await connection.nextResponse();
    expectErrorShape(refused, 413, 'payload_too_large');
    expect(refused!.headers.connection).toBe('close');
    connection.close();
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
