// Every route template of the OpenAPI document, sent a table of bad payloads with an organisation
// admin's key and a platform admin's key: no answer is a 500, and every error is in the one shape.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingBody, manifest, startHarness, type Harness } from '../support/harness.js';
import { sampleBody } from '../support/openapi-sample.js';

const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const MORE_THAN_ANY_BODY_LIMIT = 32 * 1024 * 1024;

/** JSON text nested `depth` levels deep, {"a":{"a":…}}, built as text (JSON.stringify would overflow the stack). */
const nested = (depth: number) => '{"a":'.repeat(depth) + '"bottom"' + '}'.repeat(depth);

/** A body stream of `bytes` spaces, without a Content-Length (as a chunked upload arrives). */
function streamOf(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let left = bytes;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const next = chunk.subarray(0, Math.min(chunk.length, left));
      left -= next.length;
      controller.enqueue(next);
    },
  });
}

interface Operation {
  method: string;
  template: string;
  responses: string[];
  hasBody: boolean;
  authenticated: boolean;
  pathParams: string[];
  queryParams: string[];
  jsonSchema: Record<string, unknown> | null;
}

interface BadRequest {
  name: string;
  path: string;
  init: RequestInit;
  /** The status this bad input must get (undefined: any status below 500). */
  expected?: number;
  /** The route's declared access is checked before its validator: a key it refuses gets 403 or 404 first. */
  accessFirst?: boolean;
}

describe('bad input on every route', () => {
  let h: Harness;
  let operations: Operation[];
  const keys: Record<string, string> = {};
  let paramValues: Record<string, string>;
  let doc: any;

  beforeAll(async () => {
    h = await startHarness();
    const publisher = await h.createOrg();
    keys['org admin'] = publisher.token;
    keys['platform admin'] = await h.createPlatformKey('platform-admin');
    const listing = await h.request('POST', '/v1/listings', { token: publisher.token, body: listingBody() });
    await h.request('POST', `/v1/listings/${listing.body.id}/versions`, {
      token: publisher.token,
      body: manifest(),
    });
    // Real objects where a template names them, so a request gets as far into its handler as it can.
    paramValues = { orgId: publisher.org.id, id: listing.body.slug, version: '1.0.0', name: 'PROBE_NAME' };

    doc = (await h.request('GET', '/openapi.json', { token: null })).body;
    operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([template, methods]) =>
      Object.entries<any>(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        template,
        responses: Object.keys(operation.responses),
        hasBody: Boolean(operation.requestBody),
        authenticated: Boolean(operation.security?.length),
        pathParams: (operation.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name),
        queryParams: (operation.parameters ?? [])
          .filter((p: any) => p.in === 'query')
          .map((p: any) => p.name),
        jsonSchema: operation.requestBody?.content?.['application/json']?.schema ?? null,
      })),
    );
  });
  afterAll(() => h.stop());

  /** The template's path with every parameter filled, one of them (optionally) by `bad`. */
  function pathOf(operation: Operation, bad?: { param: string; value: string }): string {
    return operation.template.replace(/\{(\w+)\}/g, (_, param: string) =>
      encodeURIComponent(param === bad?.param ? bad.value : (paramValues[param] ?? randomUUID())),
    );
  }

  /** A JSON body for the operation with `text` in its free strings and the JSON text `anyJson` where any JSON goes. */
  function jsonOf(operation: Operation, text: string, anyJson: string): string {
    const placeholder = `any-json-${randomUUID()}`;
    const body = sampleBody(operation.jsonSchema ?? { type: 'object' }, text, placeholder) as object;
    return JSON.stringify({ ...body, note: text, [`key-${text}`]: placeholder }).replaceAll(
      JSON.stringify(placeholder),
      anyJson,
    );
  }

  /** The table of bad requests for one operation. */
  function badRequests(operation: Operation): BadRequest[] {
    const json = { 'content-type': 'application/json' };
    const requests: BadRequest[] = operation.pathParams.map((param) => ({
      name: `NUL in path parameter ${param}`,
      path: pathOf(operation, { param, value: NUL }),
      init: {},
      expected: 400,
    }));
    for (const param of operation.queryParams.length ? operation.queryParams : ['probe']) {
      requests.push({
        name: `NUL in query parameter ${param}`,
        path: `${pathOf(operation)}?${param}=${encodeURIComponent(NUL)}`,
        init: {},
        // The public /health reads no query, so it has nothing to refuse.
        expected: operation.template.startsWith('/v1/') ? 400 : undefined,
      });
    }
    if (operation.method === 'GET') return requests;
    requests.push(
      {
        name: 'an oversize body streamed without Content-Length',
        path: pathOf(operation),
        init: { headers: json, body: streamOf(MORE_THAN_ANY_BODY_LIMIT), duplex: 'half' } as RequestInit,
        expected: 413,
      },
      {
        name: 'an oversize body declared by Content-Length',
        path: pathOf(operation),
        init: { headers: { ...json, 'content-length': String(MORE_THAN_ANY_BODY_LIMIT) }, body: '{}' },
        expected: 413,
      },
      {
        name: 'invalid JSON',
        path: pathOf(operation),
        init: { headers: json, body: '{"a": ' },
        expected: operation.jsonSchema ? 400 : undefined,
        accessFirst: true,
      },
    );
    if (!operation.jsonSchema) return requests;
    requests.push(
      {
        name: 'NUL in every JSON string and a key',
        path: pathOf(operation),
        init: { headers: json, body: jsonOf(operation, NUL, JSON.stringify({ text: NUL, [NUL]: 1 })) },
        expected: 400,
      },
      {
        name: 'a lone surrogate in every JSON string',
        path: pathOf(operation),
        init: {
          headers: json,
          body: jsonOf(operation, LONE_SURROGATE, JSON.stringify({ text: LONE_SURROGATE })),
        },
        expected: 400,
      },
      {
        name: 'JSON nested 5,000 levels deep',
        path: pathOf(operation),
        init: { headers: json, body: jsonOf(operation, 'plain text', nested(5000)) },
        expected: 400,
      },
      {
        name: 'a wrong content type',
        path: pathOf(operation),
        init: { headers: { 'content-type': 'text/plain' }, body: jsonOf(operation, 'plain text', '{}') },
        expected: 400,
        accessFirst: true,
      },
    );
    return requests;
  }

  it.each(['org admin', 'platform admin'])(
    'answers every bad request below 500, in the error shape, with a request id (%s)',
    async (who) => {
      const failures: string[] = [];
      let sent = 0;
      for (const operation of operations) {
        for (const bad of badRequests(operation)) {
          const response = await h.app.request(bad.path, {
            method: operation.method,
            ...bad.init,
            headers: { authorization: `Bearer ${keys[who]}`, ...(bad.init.headers as object) },
          });
          sent++;
          const where = `${operation.method} ${operation.template}, ${bad.name}: ${response.status}`;
          const text = await response.text();
          const requestId = response.headers.get('x-request-id');
          if (response.status >= 500) failures.push(`${where} ${text}`);
          else if (
            bad.expected !== undefined &&
            response.status !== bad.expected &&
            !(bad.accessFirst && (response.status === 403 || response.status === 404))
          )
            failures.push(`${where}, expected ${bad.expected}: ${text}`);
          else if (!requestId) failures.push(`${where} without x-request-id`);
          else if (response.status >= 400) {
            const body = JSON.parse(text);
            if (
              typeof body?.error?.code !== 'string' ||
              typeof body.error.message !== 'string' ||
              body.error.requestId !== requestId
            )
              failures.push(`${where} not in the error shape: ${text}`);
          }
        }
      }
      expect(sent).toBeGreaterThan(200);
      expect(failures).toEqual([]);
    },
  );

  it('documents the errors every route can get: 400 under /v1, 413 with a body, 429 with a key', () => {
    for (const operation of operations) {
      const expected = [
        ...(operation.template.startsWith('/v1/') ? ['400'] : []),
        ...(operation.hasBody ? ['413'] : []),
        ...(operation.authenticated ? ['429'] : []),
      ];
      expect(operation.responses, `${operation.method} ${operation.template}`).toEqual(
        expect.arrayContaining(expected),
      );
    }
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain('payload_too_large');
  });
});
