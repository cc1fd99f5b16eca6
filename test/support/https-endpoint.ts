// A publisher's remote agent endpoint for tests: a real HTTPS server on 127.0.0.1 with a self-signed
// certificate (made with the openssl CLI), which verifies Bazaar's Standard Webhooks signature on
// every request with its own code (not Bazaar's) and records what it received.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLoopbackCertificate } from './loopback-certificate.js';

const TOLERANCE_SECONDS = 300;

/**
 * Verifies a Standard Webhooks request as a publisher would: null when one of the `v1` signatures
 * is HMAC-SHA256(key, "<id>.<timestamp>.<body>") and the timestamp is recent, else the problem.
 */
export function verifyStandardWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | null {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt)) return 'malformed timestamp';
  if (nowSeconds - sentAt > TOLERANCE_SECONDS) return 'timestamp too old';
  if (sentAt - nowSeconds > TOLERANCE_SECONDS) return 'timestamp too new';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  for (const entry of signatures.split(' ')) {
    const [version, signature] = entry.split(',');
    if (version !== 'v1' || !signature) continue;
    const given = Buffer.from(signature, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return 'no signature matches';
}

/** One request the endpoint received, and whether its signature verified. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** null when the signature verified, else why not. */
  signatureProblem: string | null;
}

/**
 * Starts the endpoint. Every path first checks the signature (401 when it fails), then:
 * `/echo` answers `{echo: <input>, credentials: <names received>}` with usage in X-Bazaar-Usage;
 * `/leak` echoes the credential values it received and its request headers, as JSON, as text or in
 * an HTTP 500, as the input's `leak` ('json' | 'prose' | 'error') says;
 * `/slow` answers after 10 s; `/big` answers 64 KiB of JSON; `/not-json` answers text;
 * `/redirect` answers 302; `/fail` answers 500.
 */
export async function startHttpsEndpoint() {
  const certificate = await createLoopbackCertificate('bazaar-endpoint-');
  let secret: string | null = null;
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer(certificate.tls, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const signatureProblem = secret
      ? verifyStandardWebhook(secret, req.headers, body)
      : 'the endpoint has no secret';
    received.push({ path, headers: req.headers, body, signatureProblem });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (signatureProblem) return json(401, { error: `signature rejected: ${signatureProblem}` });
    switch (path) {
      case '/echo': {
        const credentials = req.headers['x-bazaar-credentials'];
        const names =
          typeof credentials === 'string'
            ? Object.keys(JSON.parse(Buffer.from(credentials, 'base64url').toString('utf8')))
            : [];
        return json(
          200,
          { echo: JSON.parse(body), credentials: names },
          { 'x-bazaar-usage': JSON.stringify({ tokensIn: 12, tokensOut: 34 }) },
        );
      }
      case '/leak': {
        // A careless endpoint echoing what it got: credential values and its request headers.
        const header = req.headers['x-bazaar-credentials'];
        const values: Record<string, string> =
          typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) : {};
        const echoed = Object.values(values).flatMap((value) => [
          value,
          Buffer.from(value).toString('base64'),
          encodeURIComponent(value),
        ]);
        const { leak } = JSON.parse(body) as { leak: 'json' | 'prose' | 'error' };
        if (leak === 'json') return json(200, { echoed, keyed: values, headers: req.headers });
        res.writeHead(leak === 'prose' ? 200 : 500, { 'content-type': 'text/plain' });
        return res.end(`could not use ${echoed.join(' ')} (header ${header})`);
      }
      case '/slow': {
        const timer = setTimeout(() => json(200, { late: true }), 10_000);
        timers.add(timer);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/big':
        return json(200, { padding: 'x'.repeat(64 * 1024) });
      case '/not-json':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('this is not JSON');
      case '/redirect':
        res.writeHead(302, { location: 'https://127.0.0.1/echo' });
        return res.end();
      case '/fail':
        return json(500, { error: 'the shop API said no' });
      default:
        return json(404, { error: 'no such path' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    /** The endpoint URL of a path, e.g. url('/echo'). */
    url: (path: string) => `https://127.0.0.1:${port}${path}`,
    /** The self-signed certificate, to trust as REMOTE_AGENTS_CA_FILE. */
    caFile: certificate.certFile,
    received,
    /** Sets the signing secret the endpoint verifies with (the publisher deploying it). */
    useSecret(value: string | null) {
      secret = value;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await certificate.remove();
    },
  };
}

/** A running test endpoint. */
export type HttpsEndpoint = Awaited<ReturnType<typeof startHttpsEndpoint>>;
