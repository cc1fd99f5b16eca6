import type { Agent, ClientRequest, IncomingHttpHeaders } from 'node:http';
import { request as plainRequest } from 'node:http';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedEndpoint } from './resolve-endpoint.js';

/** One POST to a publisher's endpoint, with its limits. */
export interface EndpointCall {
  endpoint: ResolvedEndpoint;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Certificate authorities to trust instead of Node's defaults (e.g. the defaults plus a private CA). */
  ca?: string[];
  /**
   * Keep-alive connections to reuse (webhooks: one agent per delivery round, dropped with it); its
   * sockets were opened to the same checked addresses. Default: one connection per call.
   */
  agent?: Agent;
  signal?: AbortSignal;
}

/** How a call ended: a complete 2xx response within limits, or a reason a caller can read. */
export type EndpointOutcome =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'failed' | 'timed_out'; reason: string; status?: number; body?: Buffer };

const ERROR_BODY_EXCERPT_BYTES = 2048;

/**
 * POSTs the body to the endpoint over HTTPS and reads the response. The connection goes only to the
 * addresses the endpoint was resolved to and checked against (a custom `lookup`, and the socket's
 * peer checked again once connected), so a DNS answer that changes in between is never used.
 * Redirects are not followed; the deadline covers connecting, sending and reading; the response is
 * cut off at maxResponseBytes. Never throws: every problem is an outcome with a reason.
 */
export function callEndpoint(call: EndpointCall): Promise<EndpointOutcome> {
  const { endpoint } = call;
  const checked = new Set(endpoint.addresses.map(({ address }) => address));
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, endpoint.addresses);
    else callback(null, endpoint.addresses[0]!.address, endpoint.addresses[0]!.family);
  };

  return new Promise((resolve) => {
    let settled = false;
    // Set once the request is sent; cleared by finish(), which may run before that.
    let timer: NodeJS.Timeout | undefined = undefined;
    let req: ClientRequest | undefined;
    const onAbort = () => fail('the run was cancelled');
    const finish = (outcome: EndpointOutcome, complete = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
      // A complete exchange leaves a kept-alive socket to its agent; anything else is torn down.
      if (!(complete && call.agent)) req?.destroy();
      resolve(outcome);
    };
    const fail = (reason: string, extra: { status?: number; body?: Buffer } = {}) =>
      finish({ kind: 'failed', reason, ...extra });
    if (call.signal?.aborted) return onAbort();

    try {
      // Plain http only when the endpoint was resolved under a policy allowing it (webhooks, local development).
      const send = endpoint.url.protocol === 'http:' ? plainRequest : request;
      req = send({
        host: endpoint.hostname,
        port: endpoint.port,
        path: `${endpoint.url.pathname}${endpoint.url.search}`,
        method: 'POST',
        headers: { ...call.headers, 'content-length': String(Buffer.byteLength(call.body)) },
        lookup,
        // One connection per call unless the caller pools sockets opened to these same checked addresses.
        agent: call.agent ?? false,
        ...(call.ca ? { ca: call.ca } : {}),
      });
    } catch (error) {
      return fail(`could not send the request (${(error as Error).message})`);
    }
    timer = setTimeout(
      () =>
        finish({
          kind: 'timed_out',
          reason: `the publisher's endpoint did not answer within ${call.timeoutMs / 1000} s`,
        }),
      call.timeoutMs,
    );
    call.signal?.addEventListener('abort', onAbort, { once: true });

    req.on('socket', (socket) => {
      // A reused keep-alive socket was checked when it connected.
      if (!socket.connecting) return;
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        if (!peer || !checked.has(peer))
          fail(`the connection went to ${peer ?? 'an unknown address'}, not an address that was checked`);
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code ? `${error.code}: ${error.message}` : error.message;
      fail(`could not reach the publisher's endpoint (${detail})`);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        fail(
          `the publisher's endpoint answered with a redirect (HTTP ${status}); redirects are not followed`,
        );
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (status >= 200 && status < 300 && declared > call.maxResponseBytes) {
        fail(`the publisher's endpoint answered more than ${call.maxResponseBytes} bytes`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > call.maxResponseBytes) {
          if (status >= 200 && status < 300)
            fail(`the publisher's endpoint answered more than ${call.maxResponseBytes} bytes`);
          else failStatus(status, Buffer.concat(chunks));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (status >= 200 && status < 300)
          finish({ kind: 'response', status, headers: res.headers, body }, true);
        else failStatus(status, body);
      });
      res.on('error', (error) => fail(`the publisher's endpoint broke off its answer (${error.message})`));
      res.on('aborted', () => fail("the publisher's endpoint broke off its answer"));
    });

    function failStatus(status: number, body: Buffer) {
      fail(`the publisher's endpoint answered HTTP ${status}`, {
        status,
        body: body.subarray(0, ERROR_BODY_EXCERPT_BYTES),
      });
    }

    req.end(call.body);
  });
}
