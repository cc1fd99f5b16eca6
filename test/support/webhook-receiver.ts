// A tenant's webhook receiver for tests and benchmarks: a real HTTPS server on 127.0.0.1 with a
// self-signed certificate (openssl CLI), which records every delivery, checks its Standard Webhooks
// signature against each secret it was given with its own code (not Bazaar's), and answers as told.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { verifyStandardWebhook } from './https-endpoint.js';
import { createLoopbackCertificate } from './loopback-certificate.js';

/** One delivery the receiver got. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** The secrets (of those given) one of its signatures verifies with. */
  verifiedWith: string[];
  /** The `webhook-signature` header's entries. */
  signatures: string[];
  /** Parsed body. */
  event: { id: string; type: string; occurredAt: string; orgId: string; data: Record<string, unknown> };
}

/** How a path answers: a status, or 'hang' (never answers). `count` is how many requests that path has had. */
export type Responder = (count: number) => number | 'hang';

/** Starts the receiver: every path answers 200 unless told otherwise with respond(path, …). */
export async function startWebhookReceiver() {
  const certificate = await createLoopbackCertificate('bazaar-receiver-');
  const secrets: string[] = [];
  const received: ReceivedWebhook[] = [];
  const responders = new Map<string, Responder>();
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();

  const server = createServer(certificate.tls, async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    const signatureHeader = req.headers['webhook-signature'];
    let event: ReceivedWebhook['event'];
    try {
      event = JSON.parse(body);
    } catch {
      event = { id: '', type: '', occurredAt: '', orgId: '', data: {} };
    }
    received.push({
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
      verifiedWith: secrets.filter((secret) => verifyStandardWebhook(secret, req.headers, body) === null),
      signatures: typeof signatureHeader === 'string' ? signatureHeader.split(' ') : [],
      event,
    });
    const answer = responders.get(path)?.(count) ?? 200;
    if (answer === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    res.writeHead(answer, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ answered: answer, note: 'x'.repeat(2000) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    /** The URL of a path, e.g. url('/a'). */
    url: (path: string) => `https://127.0.0.1:${port}${path}`,
    /** The self-signed certificate, to trust as WEBHOOKS_CA_FILE. */
    caFile: certificate.certFile,
    received,
    /** What a path received, in arrival order. */
    at: (path: string) => received.filter((request) => request.path === path),
    /** Adds a secret deliveries are checked against. */
    trust(secret: string) {
      secrets.push(secret);
    },
    /** Sets how a path answers. */
    respond(path: string, responder: Responder) {
      responders.set(path, responder);
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await certificate.remove();
    },
  };
}

/** A running receiver. */
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
