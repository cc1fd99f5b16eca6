import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryVectorIndex } from '../../../src/adapters/vector-index/in-memory-vector-index.js';
import { loadHnswlib } from '../../../src/adapters/vector-index/native-hnsw-graph.js';
import type { VectorFilter, VectorPoint } from '../../../src/adapters/vector-index/vector-index.js';
import {
  readVectorIndexSnapshot,
  SnapshotUnusableError,
  writeVectorIndexSnapshot,
} from '../../../src/adapters/vector-index/vector-index-snapshot.js';

const MODEL = 'snapshot-test-model';
const DIMENSIONS = 16;
const everyone: VectorFilter = { viewerOrgId: null };

let seed = 42;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
}
function randomVector(): Float32Array {
  return Float32Array.from({ length: DIMENSIONS }, () => random() * 2 - 1);
}
function point(n: number): VectorPoint {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    vector: randomVector(),
    payload: {
      listingId: id,
      versionId: `v-${n}`,
      orgId: `org-${n % 3}`,
      visibility: n % 5 === 0 ? 'private' : 'public',
      published: true,
      category: `category-${n % 4}`,
      pricingModel: 'free',
      tags: n % 2 ? ['odd'] : [],
      rating: n % 7 === 0 ? null : (n % 5) + 0.5,
      embeddingModel: MODEL,
    },
  };
}
const newIndex = (options: { embeddingModel?: string; dimensions?: number } = {}) =>
  new InMemoryVectorIndex({
    embeddingModel: options.embeddingModel ?? MODEL,
    dimensions: options.dimensions ?? DIMENSIONS,
    exactSearchBelow: 0,
    engine: 'hnswlib',
  });
const stampsOf = (points: VectorPoint[]) => new Map(points.map((p) => [p.id, `stamp-${p.id}`]));

async function searchAll(index: InMemoryVectorIndex, queries: Float32Array[], filter = everyone) {
  return Promise.all(queries.map((q) => index.search(q, 10, filter)));
}

describe.skipIf(!loadHnswlib())('vector index snapshot (hnswlib engine)', () => {
  let dir: string;
  let points: VectorPoint[];
  let removed: string[];
  let original: InMemoryVectorIndex;
  const queries = Array.from({ length: 40 }, randomVector);

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'bazaar-snapshot-')), 'search-index');
    points = Array.from({ length: 3000 }, (_, n) => point(n));
    original = newIndex();
    await original.upsert(points);
    // Tombstones: 1,200 removed (fewer than the live points, so no compaction yet).
    removed = points.slice(0, 1200).map((p) => p.id);
    await original.delete(removed);
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('loads back an index that answers exactly as the one written, tombstones kept', async () => {
    const stamps = stampsOf(points.slice(1200));
    const written = await writeVectorIndexSnapshot(dir, original, stamps);
    expect(written!.bytes).toBeGreaterThan(3000 * DIMENSIONS * 4);

    const loaded = newIndex();
    expect(await readVectorIndexSnapshot(dir, loaded)).toEqual(stamps);
    expect(await loaded.size()).toBe(1800);
    expect(await searchAll(loaded, queries)).toEqual(await searchAll(original, queries));
    const filter: VectorFilter = {
      viewerOrgId: 'org-0',
      category: 'category-1',
      tags: ['odd'],
      minRating: 2,
    };
    expect(await searchAll(loaded, queries, filter)).toEqual(await searchAll(original, queries, filter));
    const found = (await searchAll(loaded, queries)).flat().map((hit) => hit.id);
    expect(found.filter((id) => removed.includes(id))).toEqual([]);
  });

  it('keeps accepting changes after a load, compaction included', async () => {
    await writeVectorIndexSnapshot(dir, original, stampsOf(points));
    const loaded = newIndex();
    await readVectorIndexSnapshot(dir, loaded);
    const replaced = { ...point(2999), id: points[2999]!.id, payload: points[2999]!.payload };
    await loaded.upsert([replaced]);
    // 1,700 tombstones against 1,300 live points: the index compacts its graph.
    const alsoRemoved = points.slice(1200, 1700).map((p) => p.id);
    await loaded.delete(alsoRemoved);
    expect(await loaded.size()).toBe(1300);

    let overlap = 0;
    for (const query of queries) {
      const approximate = (await loaded.search(query, 10, everyone)).map((hit) => hit.id);
      const exact = (await loaded.searchExact(query, 10, everyone)).map((hit) => hit.id);
      expect(approximate.filter((id) => removed.includes(id) || alsoRemoved.includes(id))).toEqual([]);
      overlap += approximate.filter((id) => exact.includes(id)).length;
    }
    expect(overlap / (queries.length * 10)).toBeGreaterThan(0.95);
    const nearest = await loaded.search(replaced.vector, 1, everyone);
    expect(nearest[0]!.id).toBe(replaced.id);
  });

  it('writes owner-only files, replaces the previous snapshot and keeps files it does not own', async () => {
    await writeVectorIndexSnapshot(dir, original, stampsOf(points));
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    await writeVectorIndexSnapshot(dir, original, stampsOf(points));
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(4);
    expect(names.filter((name) => name.endsWith('.hnsw'))).toHaveLength(1);
    expect(names).toContain('notes.txt');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const name of names.filter((n) => n !== 'notes.txt'))
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
  });

  it('finds no snapshot in an empty directory', async () => {
    expect(await readVectorIndexSnapshot(dir, newIndex())).toBeNull();
  });

  it('does not write the JavaScript graph', async () => {
    const javascript = new InMemoryVectorIndex({
      embeddingModel: MODEL,
      dimensions: DIMENSIONS,
      engine: 'javascript',
    });
    await javascript.upsert(points.slice(0, 10));
    expect(await writeVectorIndexSnapshot(dir, javascript, new Map())).toBeNull();
  });

  describe('refuses a snapshot it cannot trust, leaving the index as it was', () => {
    let loaded: InMemoryVectorIndex;
    beforeEach(async () => {
      await writeVectorIndexSnapshot(dir, original, stampsOf(points));
      loaded = newIndex();
      await loaded.upsert(points.slice(0, 5));
    });
    async function expectRefused(index: InMemoryVectorIndex, reason: RegExp) {
      const error = await readVectorIndexSnapshot(dir, index).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SnapshotUnusableError);
      expect((error as Error).message).toMatch(reason);
      expect(await index.size()).toBe(index === loaded ? 5 : 0);
    }
    const fileEnding = async (suffix: string) =>
      join(
        dir,
        (await readdir(dir)).find((name) => name.endsWith(suffix))!,
      );

    it('of another embedding model or dimension', async () => {
      await expectRefused(
        newIndex({ embeddingModel: 'another-model' }),
        /model another-model|model snapshot/,
      );
      await expectRefused(newIndex({ dimensions: 8 }), /\(16\), the index holds .* \(8\)/);
    });

    it('of another format', async () => {
      const manifest = JSON.parse(await readFile(join(dir, 'snapshot.json'), 'utf8'));
      await writeFile(join(dir, 'snapshot.json'), JSON.stringify({ ...manifest, format: 2 }));
      await expectRefused(loaded, /format 2/);
    });

    it('with a truncated graph, vectors or snapshot.json', async () => {
      const graph = await fileEnding('.hnsw');
      const { size } = await stat(graph);
      await truncate(graph, size - 100);
      await expectRefused(loaded, /checksum/);
      await writeVectorIndexSnapshot(dir, original, stampsOf(points));
      await truncate(await fileEnding('.f32'), 1000);
      await expectRefused(loaded, /bytes, expected/);
      await writeVectorIndexSnapshot(dir, original, stampsOf(points));
      await truncate(join(dir, 'snapshot.json'), 5000);
      await expectRefused(loaded, /JSON|Unterminated|Expected/);
    });

    it('with a graph damaged in place', async () => {
      const graph = await fileEnding('.hnsw');
      const bytes = await readFile(graph);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
      await writeFile(graph, bytes);
      await expectRefused(loaded, /checksum/);
    });
  });
});
