import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedEmbedder } from '../../../src/adapters/embeddings/cached-embedder.js';
import { createEmbedder } from '../../../src/adapters/embeddings/create-embedder.js';
import type { Embedder } from '../../../src/adapters/embeddings/embedder.js';
import { LocalEmbedder } from '../../../src/adapters/embeddings/local-embedder.js';
import { OpenAIEmbedder } from '../../../src/adapters/embeddings/openai-embedder.js';

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * b[i]!, 0);
}

describe('createEmbedder', () => {
  it('picks OpenAI text-embedding-3-small when an API key is given', async () => {
    const embedder = createEmbedder({ openaiApiKey: 'sk-test' });
    expect(embedder).toBeInstanceOf(OpenAIEmbedder);
    expect({ model: embedder.model, dimensions: embedder.dimensions }).toEqual({
      model: 'text-embedding-3-small',
      dimensions: 1536,
    });
    await embedder.close();
  });

  it('honours a configured OpenAI model and dimension', async () => {
    const embedder = createEmbedder({
      openaiApiKey: 'sk-test',
      openaiModel: 'text-embedding-3-large',
      openaiDimensions: 256,
    });
    expect({ model: embedder.model, dimensions: embedder.dimensions }).toEqual({
      model: 'text-embedding-3-large',
      dimensions: 256,
    });
    await embedder.close();
  });

  it.each([
    ['no key', {}],
    ['an empty key', { openaiApiKey: '' }],
    ['a blank key', { openaiApiKey: '   ' }],
  ])('picks the bundled local model with %s', async (_, options) => {
    const embedder = createEmbedder(options);
    expect(embedder).toBeInstanceOf(LocalEmbedder);
    expect({ model: embedder.model, dimensions: embedder.dimensions }).toEqual({
      model: 'use-lite-512',
      dimensions: 512,
    });
    await embedder.close();
  });
});

describe('LocalEmbedder (the real bundled model, on a worker thread)', () => {
  let embedder: Embedder;
  beforeAll(() => {
    embedder = new LocalEmbedder();
  });
  afterAll(() => embedder.close());

  it('returns one unit vector of 512 dimensions per text, in order, that places paraphrases together', async () => {
    const [refunds, reimbursement, kubernetes] = await embedder.embed([
      'handle customer refund requests',
      'send shoppers their money back when they return a product',
      'autoscale container workloads on a cluster',
    ]);
    expect(refunds).toHaveLength(512);
    expect(Math.hypot(...refunds!)).toBeCloseTo(1, 4);
    expect(cosine(refunds!, reimbursement!)).toBeGreaterThan(cosine(refunds!, kubernetes!) + 0.1);
  });

  it('answers concurrent callers each with their own vectors (they are batched on the worker)', async () => {
    const texts = ['tax filing', 'code review', 'route planning', 'tax filing'];
    const separate = await Promise.all(texts.map((text) => embedder.embed([text])));
    const [together] = [await embedder.embed(texts)];
    separate.forEach(([vector], i) => expect(cosine(vector!, together[i]!)).toBeCloseTo(1, 4));
    expect(cosine(separate[0]![0]!, separate[3]![0]!)).toBeCloseTo(1, 5);
    expect(cosine(separate[0]![0]!, separate[1]![0]!)).toBeLessThan(0.9);
  });

  it('embeds one large request (1,500 texts, one of them long) in model-sized chunks', async () => {
    // In one model call this runs the WASM backend out of memory ("table index is out of bounds").
    const long = 'Checks refund requests against the store policy and drafts a reply. '.repeat(14);
    const texts = [long, ...Array.from({ length: 1500 }, (_, i) => `agent ${i}`)];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    const [again] = await embedder.embed([texts[1500]!]);
    expect(cosine(vectors[1500]!, again!)).toBeCloseTo(1, 4);
  }, 60_000);

  it('answers an empty batch without touching the model, and refuses work once closed', async () => {
    const local = new LocalEmbedder();
    expect(await local.embed([])).toEqual([]);
    await local.close();
    await expect(local.embed(['x'])).rejects.toThrow(/closed/);
  });
});

describe('CachedEmbedder', () => {
  it('asks the model only for texts it has not seen and evicts the least recently used', async () => {
    const asked: string[][] = [];
    const counting: Embedder = {
      model: 'counting',
      dimensions: 1,
      embed: async (texts) => {
        asked.push(texts);
        return texts.map((t) => Float32Array.of(t.length));
      },
      close: async () => undefined,
    };
    const cached = new CachedEmbedder(counting, 2);
    await cached.embed(['a', 'bb', 'a']);
    await cached.embed(['bb', 'ccc']);
    await cached.embed(['a']);
    expect(asked).toEqual([['a', 'bb'], ['ccc'], ['a']]);
    expect(cached.size).toBe(2);
  });
});

describe('OpenAIEmbedder against an OpenAI-compatible endpoint', () => {
  // No network here: a local server speaking the embeddings API stands in for OpenAI's.
  let server: Server;
  let baseURL: string;
  const requests: { model: string; input: string[]; dimensions?: number; authorization?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as {
          model: string;
          input: string[];
          dimensions?: number;
          encoding_format?: string;
        };
        requests.push({ ...parsed, authorization: req.headers.authorization });
        const size = parsed.dimensions ?? 1536;
        // Answer out of order and unnormalised, as the embedder must cope with both; honour the
        // base64 encoding the SDK asks for, as the real API does.
        const data = parsed.input
          .map((text, index) => {
            const values = Float32Array.from({ length: size }, (_, i) => (i === 0 ? text.length : 1));
            const embedding =
              parsed.encoding_format === 'base64'
                ? Buffer.from(values.buffer).toString('base64')
                : Array.from(values);
            return { object: 'embedding', index, embedding };
          })
          .reverse();
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            object: 'list',
            data,
            model: parsed.model,
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the key, model and dimensions, splits batches, and returns unit vectors in input order', async () => {
    const embedder = createEmbedder({
      openaiApiKey: 'sk-local',
      openaiBaseURL: baseURL,
      openaiDimensions: 4,
    });
    (embedder as unknown as { maxBatchSize: number }).maxBatchSize = 2;
    const vectors = await embedder.embed(['a', 'bbbbbbb', 'cc']);
    expect(requests.map((r) => r.input)).toEqual([['a', 'bbbbbbb'], ['cc']]);
    expect(requests[0]).toMatchObject({
      model: 'text-embedding-3-small',
      dimensions: 4,
      authorization: 'Bearer sk-local',
    });
    expect(vectors.map((v) => v.length)).toEqual([4, 4, 4]);
    expect(vectors.map((v) => Math.hypot(...v))).toEqual([1, 1, 1].map((n) => expect.closeTo(n, 5)));
    expect(vectors[1]![0]).toBeGreaterThan(vectors[2]![0]!);
    expect(vectors[2]![0]).toBeGreaterThan(vectors[0]![0]!);
  });
});
