// Stand-ins for the upstreams of the tool gateway, which no provider on this machine can be: an
// OpenAI-compatible API (chat completions, streamed or not, and embeddings, with deterministic usage)
// and a plain HTTP API, both real HTTPS servers on 127.0.0.1 with a self-signed certificate. Each
// refuses (401) any request whose credential is not the one expected, and records what it received.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLoopbackCertificate } from './loopback-certificate.js';

/** One request an upstream received. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The usage the OpenAI stand-in reports for each chat completion: fixed, so tests know it. */
export const CHAT_USAGE = { prompt_tokens: 17, completion_tokens: 5 };
/** The prompt tokens the OpenAI stand-in reports per embedded input. */
export const EMBEDDING_TOKENS_PER_INPUT = 4;
/** The words the chat stand-in answers with, one streamed chunk each. */
export const CHAT_WORDS = ['Refund', ' approved', ' under', ' policy', '.'];

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function startHttps(
  prefix: string,
  handle: (request: IncomingMessage, body: string, response: ServerResponse) => void,
) {
  const certificate = await createLoopbackCertificate(prefix);
  const requests: UpstreamRequest[] = [];
  const server = createServer({ ...certificate.tls, keepAlive: true }, (request, response) => {
    void readBody(request).then((body) => {
      requests.push({ method: request.method!, path: request.url!, headers: request.headers, body });
      handle(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    /** The PEM file a client trusts to reach it. */
    certFile: certificate.certFile,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await certificate.remove();
    },
  };
}

/**
 * An OpenAI-compatible upstream at `<origin>/v1` that accepts only `Authorization: Bearer <apiKey>`.
 * Chat completions answer CHAT_WORDS with CHAT_USAGE, as one JSON answer or (stream: true) as
 * server-sent chunks, the usage in a last chunk when stream_options.include_usage asks for it.
 * Embeddings answer a vector of 8 per input. Model `refuse-me` answers a 400 error. A streamed
 * request with `stream_pause_ms` pauses that long after its first chunk (a stream still going).
 */
export async function startOpenAiUpstream(input: { apiKey: string }) {
  const upstream = await startHttps('bazaar-openai-', (request, body, response) => {
    if (request.headers.authorization !== `Bearer ${input.apiKey}`) {
      sendJson(response, 401, {
        error: {
          message: 'Incorrect API key provided',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
      return;
    }
    const parsed = JSON.parse(body || '{}') as Record<string, any>;
    if (parsed.model === 'refuse-me') {
      sendJson(response, 400, { error: { message: 'this model refuses', type: 'invalid_request_error' } });
      return;
    }
    if (request.method === 'POST' && request.url === '/v1/embeddings') {
      const inputs: unknown[] = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
      const tokens = inputs.length * EMBEDDING_TOKENS_PER_INPUT;
      sendJson(response, 200, {
        object: 'list',
        model: parsed.model,
        data: inputs.map((_, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from({ length: 8 }, (__, i) => (index + i) / 10),
        })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      sendJson(response, 404, { error: { message: `no ${request.method} ${request.url}` } });
      return;
    }
    const id = `chatcmpl-${upstream.requests.length}`;
    const created = 1_700_000_000;
    const usage = { ...CHAT_USAGE, total_tokens: CHAT_USAGE.prompt_tokens + CHAT_USAGE.completion_tokens };
    if (!parsed.stream) {
      sendJson(response, 200, {
        id,
        object: 'chat.completion',
        created,
        model: parsed.model,
        choices: [
          { index: 0, message: { role: 'assistant', content: CHAT_WORDS.join('') }, finish_reason: 'stop' },
        ],
        usage,
      });
      return;
    }
    const includeUsage = parsed.stream_options?.include_usage === true;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: parsed.model, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const word = (index: number) =>
      chunk([
        {
          index: 0,
          delta:
            index === 0 ? { role: 'assistant', content: CHAT_WORDS[index] } : { content: CHAT_WORDS[index] },
          finish_reason: null,
        },
      ]);
    const rest = () => {
      for (let index = 1; index < CHAT_WORDS.length; index++) response.write(word(index));
      response.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
      if (includeUsage) response.write(chunk([], { usage }));
      response.end('data: [DONE]\n\n');
    };
    response.write(word(0));
    const pauseMs = typeof parsed.stream_pause_ms === 'number' ? parsed.stream_pause_ms : 0;
    if (pauseMs > 0) setTimeout(rest, pauseMs);
    else rest();
  });
  return { ...upstream, baseUrl: `${upstream.origin}/v1` };
}

/**
 * A plain HTTP API that accepts only requests carrying `<header>: <value>` (the injected credential).
 * Any path answers `{method, path, body}`; `/leak` also answers the credential header it received,
 * as an upstream that echoes it would.
 */
export async function startHttpUpstream(input: { header: string; value: string }) {
  return startHttps('bazaar-http-tool-', (request, body, response) => {
    const received = request.headers[input.header.toLowerCase()];
    if (received !== input.value) {
      sendJson(response, 401, { error: 'missing or wrong credential' });
      return;
    }
    sendJson(response, 200, {
      method: request.method,
      path: request.url,
      body,
      ...(request.url?.includes('/leak') ? { received } : {}),
    });
  });
}
