import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { Agent, type Dispatcher } from 'undici';
import type { SecretStore } from '../adapters/secrets/secret-store.js';
import type { AppEnv } from '../api/env.js';
import { errorResponse, handleError } from '../api/errors.js';
import type { Db } from '../db/pool.js';
import type { ToolCallRecord } from '../domain/gateway/tool-calls.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { bearerToken, CallAuthorizer, type AuthorizedCall, type CallTarget } from './authorize-call.js';
import { CallJournal } from './call-journal.js';
import { CallRecorder } from './call-recorder.js';
import { CredentialCache } from './credential-cache.js';
import { meteredEventStream, redactBytes, usageOfJson, type UpstreamUsage } from './upstream.js';

/** What the gateway needs: the database, the tenants' secret store, a logger, extra upstream CAs. */
export interface GatewayDeps {
  db: Db;
  secrets: SecretStore;
  logger: Logger;
  /** Certificate authorities to trust for upstreams (the system's roots plus GATEWAY_UPSTREAM_CA_FILE). */
  upstreamCa?: string[];
  /** The directory of the local journal of call records (GATEWAY_JOURNAL_DIR). */
  journalDir: string;
  /** Test only: how long each batch of call records waits before it is written. */
  testOnlyRecordDelayMs?: number;
}

const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** Response headers passed back from an upstream; everything else (cookies, its own ids) stays there. */
const passedHeaders = ['content-type', 'cache-control', 'retry-after'];

/**
 * The tool and LLM gateway: an OpenAI-compatible endpoint for `llm` tools (`POST /v1/chat/completions`,
 * streaming too, and `POST /v1/embeddings`) and `ANY /tools/{name}/{path}` for `http` tools. An agent
 * calls it with its execution's token; the gateway checks what the token allows, injects the tenant's
 * credential upstream (never shown back), and records each upstream call once, with the usage the
 * upstream reported: journaled locally before answering, written to PostgreSQL right after
 * (CallRecorder). close() writes the records still queued and ends the upstream connection pool.
 */
export function createGateway(deps: GatewayDeps) {
  // One TLS context for every upstream connection: built per connection from `ca`, parsing the
  // roots again each time was the largest cost of a new connection.
  const upstream = new Agent({
    connect: deps.upstreamCa ? { secureContext: createSecureContext({ ca: deps.upstreamCa }) } : undefined,
    keepAliveTimeout: 30_000,
  });
  const credentials = new CredentialCache(deps);
  const recorder = new CallRecorder({
    db: deps.db,
    logger: deps.logger,
    journal: CallJournal.open(deps.journalDir),
    testOnlyBatchDelayMs: deps.testOnlyRecordDelayMs,
  });
  const authorizer = new CallAuthorizer(deps.db, (tokenHash) => recorder.recorded(tokenHash));

  /** The tenant's credential for the tool, or a 422 naming it (the call reserved for it given back). */
  async function credentialFor(call: AuthorizedCall): Promise<string> {
    const value = await credentials
      .get({ orgId: call.grant.orgId, executionId: call.grant.executionId, name: call.tool.credentialName })
      .catch(async (error: unknown) => {
        await authorizer.release(call);
        throw error;
      });
    if (value === null) {
      await authorizer.release(call);
      throw new AppError(
        'rule_violation',
        `the organisation holds no credential ${call.tool.credentialName}, which tool ${call.tool.name} needs; store it with PUT /v1/credentials/${call.tool.credentialName}`,
      );
    }
    return value;
  }

  /** What happened in one upstream call, as its record needs it. */
  interface Outcome {
    model: string | null;
    ok: boolean;
    upstreamStatus: number | null;
    usage: UpstreamUsage | null;
    startedAt: number;
    /** Given when the call was journaled ahead under this id (a stream's usage). */
    callId?: string;
  }

  function recordOf(call: AuthorizedCall, outcome: Outcome): ToolCallRecord {
    return {
      tool: call.tool.name,
      model: outcome.model,
      status: outcome.ok ? 'succeeded' : 'failed',
      tokensIn: outcome.usage?.tokensIn ?? 0,
      tokensOut: outcome.usage?.tokensOut ?? 0,
      durationMs: performance.now() - outcome.startedAt,
      callId: outcome.callId ?? randomUUID(),
      tokenHash: call.grant.tokenHash,
      executionId: call.grant.executionId,
      orgId: call.grant.orgId,
      installationId: call.grant.installationId,
      upstreamStatus: outcome.upstreamStatus,
      pricePer1kInputTokens: decimal(call.tool.pricePer1kInputTokens),
      pricePer1kOutputTokens: decimal(call.tool.pricePer1kOutputTokens),
    };
  }

  /** Queues the record of one upstream call (and logs it, without anything secret). */
  function record(call: AuthorizedCall, outcome: Outcome): void {
    const entry = recordOf(call, outcome);
    recorder.add(entry);
    deps.logger.debug(
      {
        executionId: entry.executionId,
        tool: entry.tool,
        model: entry.model,
        status: entry.status,
        tokensIn: entry.tokensIn,
        tokensOut: entry.tokensOut,
        durationMs: entry.durationMs,
        upstreamStatus: entry.upstreamStatus,
      },
      'tool call',
    );
  }

  /** Sends the request upstream; a network failure is recorded and answers 502. */
  async function send(
    call: AuthorizedCall,
    request: Dispatcher.RequestOptions,
    model: string | null,
    startedAt: number,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await upstream.request(request);
    } catch (error) {
      record(call, { model, ok: false, upstreamStatus: null, usage: null, startedAt });
      deps.logger.warn(
        {
          executionId: call.grant.executionId,
          tool: call.tool.name,
          code: (error as { code?: string }).code,
        },
        'tool upstream unreachable',
      );
      throw new AppError('bad_gateway', `the upstream of tool ${call.tool.name} did not answer`);
    }
  }

  /** An upstream's whole body; one that breaks off is recorded as a failed call and answers 502. */
  async function bodyOf(
    call: AuthorizedCall,
    response: Dispatcher.ResponseData,
    model: string | null,
    startedAt: number,
  ): Promise<Buffer> {
    try {
      return Buffer.from(await response.body.arrayBuffer());
    } catch {
      record(call, { model, ok: false, upstreamStatus: response.statusCode, usage: null, startedAt });
      throw new AppError('bad_gateway', `the upstream of tool ${call.tool.name} broke off its answer`);
    }
  }

  /** An upstream's whole answer, passed back with its status, the credential redacted from it. */
  function answer(response: Dispatcher.ResponseData, body: Buffer, credential: string, call: AuthorizedCall) {
    // The tenant's credential was refused upstream: say so in Bazaar's words, not the upstream's (an
    // http tool's 403 is the API's own answer about a resource, passed back like any other).
    if (response.statusCode === 401 || (response.statusCode === 403 && call.tool.kind === 'llm')) {
      throw new AppError(
        'bad_gateway',
        `the upstream of tool ${call.tool.name} refused the organisation's credential ${call.tool.credentialName} (HTTP ${response.statusCode})`,
      );
    }
    const headers = new Headers();
    for (const name of passedHeaders) {
      const value = response.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    return new Response(new Uint8Array(redactBytes(body, credential)), {
      status: response.statusCode,
      headers,
    });
  }

  async function llmCall(c: Context<AppEnv>, endpoint: 'chat/completions' | 'embeddings') {
    const token = requireToken(c);
    const body = await jsonObject(c);
    if (typeof body.model !== 'string' || body.model.length === 0) {
      throw new AppError('invalid_request', 'invalid request', [
        { path: 'json.model', message: 'required: the model to call' },
      ]);
    }
    const model = body.model;
    const streaming = endpoint === 'chat/completions' && body.stream === true;
    // The final chunk then carries the usage, which is what the platform bills.
    if (streaming) body.stream_options = { ...asObject(body.stream_options), include_usage: true };
    const call = await authorizer.authorize(token, { kind: 'llm', model });
    const credential = await credentialFor(call);
    const startedAt = performance.now();
    const url = new URL(`${call.tool.baseUrl}/${endpoint}`);
    const response = await send(
      call,
      {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: streaming ? 'text/event-stream' : 'application/json',
          [call.tool.injection.header]: call.tool.injection.template.replace('{credential}', credential),
        },
        body: JSON.stringify(body),
      },
      model,
      startedAt,
    );
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const eventStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (streaming && ok && eventStream) {
      const callId = randomUUID();
      const upstreamStatus = response.statusCode;
      const stream = meteredEventStream(
        response.body,
        ({ complete, usage }) =>
          record(call, { model, ok: complete, upstreamStatus, usage, startedAt, callId }),
        // Journaled before the bytes bringing the usage go on: a gateway killed before the
        // stream's end is read still bills it.
        (usage) =>
          recorder.journalAhead(
            recordOf(call, { model, ok: true, upstreamStatus, usage, startedAt, callId }),
          ),
      );
      return new Response(stream, {
        status: response.statusCode,
        headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
      });
    }
    const bytes = await bodyOf(call, response, model, startedAt);
    record(call, {
      model,
      ok,
      upstreamStatus: response.statusCode,
      usage: usageOfJson(bytes.toString('utf8')),
      startedAt,
    });
    return answer(response, bytes, credential, call);
  }

  async function httpCall(c: Context<AppEnv>) {
    const token = requireToken(c);
    const name = c.req.param('name')!;
    const url = new URL(c.req.url);
    const path = url.pathname.slice(`/tools/${name}`.length) || '/';
    refuseDotSegments(path);
    const method = c.req.method.toUpperCase();
    const hasBody = !['GET', 'HEAD'].includes(method);
    const requestBody = hasBody ? await requestBytes(c) : undefined;
    // The tool's own rules are checked before a call is reserved against the token's caps.
    const call = await authorizer.authorize(
      token,
      { kind: 'http', tool: name } satisfies CallTarget,
      (tool) => {
        if (!tool.allowedMethods.includes(method)) {
          throw new AppError(
            'forbidden',
            `tool ${name} allows ${tool.allowedMethods.join(', ')}, not ${method}`,
          );
        }
        if (!tool.allowedPathPrefixes.some((prefix) => underPrefix(path, prefix))) {
          throw new AppError(
            'forbidden',
            `tool ${name} allows paths under ${tool.allowedPathPrefixes.join(', ')}, not ${path}`,
          );
        }
      },
    );
    const credential = await credentialFor(call);
    const startedAt = performance.now();
    const base = new URL(call.tool.baseUrl);
    const headers: Record<string, string> = {};
    for (const header of ['content-type', 'accept']) {
      const value = c.req.header(header);
      if (value) headers[header] = value;
    }
    headers[call.tool.injection.header] = call.tool.injection.template.replace('{credential}', credential);
    const response = await send(
      call,
      {
        origin: base.origin,
        path: `${base.pathname.replace(/\/+$/, '')}${path}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: requestBody,
      },
      null,
      startedAt,
    );
    const bytes = await bodyOf(call, response, null, startedAt);
    record(call, {
      model: null,
      ok: response.statusCode < 400,
      upstreamStatus: response.statusCode,
      usage: null,
      startedAt,
    });
    return answer(response, bytes, credential, call);
  }

  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set('logger', deps.logger);
    await next();
  });
  app.onError(handleError);
  app.notFound((c) =>
    errorResponse(c, new AppError('not_found', `no gateway route for ${c.req.method} ${c.req.path}`)),
  );
  const tooLarge = (c: Context<AppEnv>) =>
    errorResponse(
      c,
      new AppError('payload_too_large', `the gateway takes request bodies up to ${MAX_REQUEST_BYTES} bytes`),
    );
  const limitChunkedBody = bodyLimit({
    maxSize: MAX_REQUEST_BYTES,
    onError: (c) => tooLarge(c as Context<AppEnv>),
  });
  // A declared length is checked here without touching the body (hono's bodyLimit would build the
  // web Request to look at it); a body of undeclared length is counted as it arrives.
  app.use(async (c, next) => {
    if (declaredLength(c) === undefined) return limitChunkedBody(c, next);
    if (declaredLength(c)! > MAX_REQUEST_BYTES) return tooLarge(c);
    await next();
  });
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.post('/v1/chat/completions', (c) => llmCall(c, 'chat/completions'));
  app.post('/v1/embeddings', (c) => llmCall(c, 'embeddings'));
  app.all('/tools/:name/*', httpCall);
  app.all('/tools/:name', httpCall);
  return {
    app,
    close: async () => {
      await recorder.close();
      await upstream.close();
    },
  };
}

/** The gateway. */
export type Gateway = ReturnType<typeof createGateway>;

function requireToken(c: Context<AppEnv>): string {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) {
    throw new AppError(
      'unauthorized',
      "send the execution's gateway token (OPENAI_API_KEY or BAZAAR_TOOLS_TOKEN) as Authorization: Bearer <token>",
    );
  }
  return token;
}

/** The request's declared length, unless it has none (or is sent chunked). */
function declaredLength(c: Context<AppEnv>): number | undefined {
  const length = c.req.header('content-length');
  if (length === undefined || c.req.header('transfer-encoding') !== undefined) return undefined;
  return Number(length);
}

/**
 * The request body, read straight from Node's request when its length is declared (checked above,
 * the body left alone): a web Request, its stream and abort signal cost more than the gateway's work.
 */
async function requestBytes(c: Context<AppEnv>): Promise<Buffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || declaredLength(c) === undefined) return Buffer.from(await c.req.arrayBuffer());
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function jsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse((await requestBytes(c)).toString('utf8'));
  } catch {
    throw new AppError('invalid_request', 'the body must be JSON', [{ path: 'json', message: 'not JSON' }]);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalid_request', 'the body must be a JSON object', [
      { path: 'json', message: 'expected an object' },
    ]);
  }
  return body as Record<string, unknown>;
}

// A tool's price as the exact decimal the database computes with.
function decimal(price: number | null): string | null {
  return price === null ? null : String(price);
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

// Dot segments, also percent-encoded, could climb out of the allowed prefix once the upstream resolves them.
function refuseDotSegments(path: string): void {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new AppError('invalid_request', 'the tool path is not valid percent-encoding');
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) {
      throw new AppError('invalid_request', 'the tool path may not hold dot segments or encoded slashes');
    }
  }
}

function underPrefix(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  return path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}
