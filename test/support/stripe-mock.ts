// Starts stripe-mock (built from Go modules by scripts/setup-stripe-mock.sh) on a free port, behind a
// small recording proxy: stripe-mock is stateless, so tests assert the requests Bazaar made (paths,
// idempotency keys, form bodies) and the ids Bazaar stored.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The pinned stripe-mock binary: $STRIPE_MOCK_PATH (exported by the setup script) or its cache location. */
export function stripeMockPath(): string {
  return process.env.STRIPE_MOCK_PATH ?? join(homedir(), '.cache/bazaar/stripe-mock-v0.197.0/stripe-mock');
}

/** One request that reached stripe-mock. */
export interface StripeRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The form-encoded body, decoded. */
  body: URLSearchParams;
  status: number;
}

/** A running stripe-mock behind the recorder: point the Stripe client at host:port over http. */
export interface StripeMock {
  host: string;
  port: number;
  requests: StripeRequest[];
  /** Configuration for Bazaar (STRIPE_* variables). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts stripe-mock and the recording proxy in front of it; `delayMs` slows every answer (a slow Stripe). */
export async function startStripeMock(options: { delayMs?: number } = {}): Promise<StripeMock> {
  const path = stripeMockPath();
  await access(path).catch(() => {
    throw new Error(
      `no stripe-mock binary at ${path}: run \`source scripts/setup-stripe-mock.sh\` (npm test does)`,
    );
  });
  const mockPort = await freePort();
  const child = spawn(path, ['-http-addr', `127.0.0.1:${mockPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`stripe-mock exited:\n${output.join('')}`);
      const answer = await fetch(`http://127.0.0.1:${mockPort}/v1/customers`, {
        headers: { authorization: 'Bearer sk_test_ready' },
      }).catch(() => null);
      return answer?.status === 200;
    }, 'stripe-mock');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const requests: StripeRequest[] = [];
  const proxy = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const body = Buffer.concat(chunks);
      const forwarded = httpRequest(
        {
          host: '127.0.0.1',
          port: mockPort,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          requests.push({
            method: incoming.method ?? 'GET',
            path: (incoming.url ?? '').split('?')[0]!,
            idempotencyKey: (incoming.headers['idempotency-key'] as string | undefined) ?? null,
            body: new URLSearchParams(body.toString()),
            status: answer.statusCode ?? 0,
          });
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502);
        outgoing.end(String(error));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  return {
    host: '127.0.0.1',
    port,
    requests,
    env: {
      STRIPE_SECRET_KEY: 'sk_test_bazaar',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(port),
      STRIPE_API_PROTOCOL: 'http',
    },
    async stop() {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
