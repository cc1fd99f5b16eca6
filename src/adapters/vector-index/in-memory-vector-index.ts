import { normalizeVector } from '../embeddings/embedder.js';
import { HnswGraph, type HnswOptions } from './hnsw-graph.js';
import { loadHnswlib, NativeHnswGraph } from './native-hnsw-graph.js';
import { matchesFilter } from './payload-filter.js';
import {
  assertPointFits,
  type VectorFilter,
  type VectorHit,
  type VectorIndex,
  type VectorPayload,
  type VectorPoint,
} from './vector-index.js';

/** Settings of the in-process index. */
export interface InMemoryVectorIndexOptions {
  embeddingModel: string;
  dimensions: number;
  /** Beam width at query time; 96 keeps recall@10 ≥ 0.99 up to 100k points of 512 dimensions. */
  efSearch?: number;
  /** Below this many points the index scans them all: exact and already fast enough. */
  exactSearchBelow?: number;
  hnsw?: Omit<HnswOptions, 'dimensions'>;
  /**
   * Which HNSW builds and walks the graph: `hnswlib` (hnswlib-node, native, the default when its
   * optional build is installed) or `javascript` (HnswGraph, always available).
   */
  engine?: VectorGraphEngine;
}

/** One node of a snapshot: the point it holds, or null for a removed node (a tombstone). */
export type SnapshotNode = { id: string; payload: VectorPayload } | null;

/** The HNSW implementations the in-process index can use. */
export type VectorGraphEngine = 'hnswlib' | 'javascript';

/** What the index needs of a graph; HnswGraph and NativeHnswGraph both provide it. */
type AnnGraph = Pick<
  HnswGraph,
  | 'nodeCount'
  | 'liveCount'
  | 'add'
  | 'remove'
  | 'isRemoved'
  | 'vectorOf'
  | 'score'
  | 'search'
  | 'estimateMemoryBytes'
>;

/** The engine used when none is chosen: hnswlib when its native module loads, else the JavaScript graph. */
export function defaultVectorGraphEngine(): VectorGraphEngine {
  return loadHnswlib() ? 'hnswlib' : 'javascript';
}

/**
 * The default vector index: an HNSW graph in this process, rebuilt from PostgreSQL at start or read
 * back from a snapshot (hnswlib engine only).
 * Filters with few candidates (a category, a tag, one organisation's private listings) are answered
 * by an exact scan of those candidates, which is both faster and exact; broad filters walk the graph.
 */
export class InMemoryVectorIndex implements VectorIndex {
  readonly embeddingModel: string;
  readonly dimensions: number;
  /** The HNSW implementation in use. */
  readonly engine: VectorGraphEngine;
  private graph: AnnGraph;
  /** Beam width of graph searches; may be tuned at run time (recall against latency). */
  efSearch: number;
  private readonly exactSearchBelow: number;
  private readonly hnswOptions: HnswOptions;
  private readonly nodeById = new Map<string, number>();
  private idByNode: (string | undefined)[] = [];
  private payloadByNode: (VectorPayload | undefined)[] = [];
  /** Posting lists of live nodes per category / pricing model / tag, for cheap candidate sets. */
  private readonly postings = new Map<string, Set<number>>();

  constructor(options: InMemoryVectorIndexOptions) {
    this.embeddingModel = options.embeddingModel;
    this.dimensions = options.dimensions;
    this.efSearch = options.efSearch ?? 96;
    this.exactSearchBelow = options.exactSearchBelow ?? 2_000;
    this.hnswOptions = { ...options.hnsw, dimensions: options.dimensions };
    this.engine = options.engine ?? defaultVectorGraphEngine();
    this.graph = this.newGraph();
  }

  private newGraph(): AnnGraph {
    if (this.engine === 'javascript') return new HnswGraph(this.hnswOptions);
    const hnswlib = loadHnswlib();
    if (!hnswlib)
      throw new Error('hnswlib-node is not installed (an optional dependency): use engine javascript');
    return new NativeHnswGraph(this.hnswOptions, hnswlib);
  }

  async upsert(points: VectorPoint[]): Promise<void> {
    for (const point of points) assertPointFits(this, point);
    for (let i = 0; i < points.length; i++) {
      this.insert(points[i]!);
      // Bulk loads (the rebuild at start) must not hold the event loop for seconds.
      if (i % 256 === 255) await yieldToEventLoop();
    }
    this.compactIfMostlyTombstones();
  }

  async delete(ids: string[]): Promise<void> {
    for (const id of ids) this.removeById(id);
    this.compactIfMostlyTombstones();
  }

  async search(vector: Float32Array, k: number, filter: VectorFilter): Promise<VectorHit[]> {
    if (vector.length !== this.dimensions) {
      throw new Error(`query has ${vector.length} dimensions, index expects ${this.dimensions}`);
    }
    if (k <= 0 || this.nodeById.size === 0) return [];
    const query = normalizeVector(vector);
    const accept = (node: number) => matchesFilter(this.payloadByNode[node]!, filter);
    const candidates = this.narrowestPosting(filter);
    const candidateCount = candidates?.size ?? this.nodeById.size;
    if (candidateCount <= this.exactSearchBelow) {
      return this.exactSearch(query, k, candidates ?? this.nodeById.values(), accept);
    }
    const hits = this.graph.search(query, k, this.efSearch, accept);
    return hits.map((hit) => ({ id: this.idByNode[hit.node]!, score: hit.score }));
  }

  /** Exact top-k by scanning every live point that passes the filter; the recall baseline for benchmarks. */
  exactSearch(
    query: Float32Array,
    k: number,
    nodes: Iterable<number>,
    accept: (node: number) => boolean,
  ): VectorHit[] {
    const top: { node: number; score: number }[] = [];
    for (const node of nodes) {
      if (this.graph.isRemoved(node) || !accept(node)) continue;
      const score = this.graph.score(query, node);
      if (top.length < k) {
        top.push({ node, score });
        if (top.length === k) top.sort((a, b) => b.score - a.score);
      } else if (score > top[k - 1]!.score) {
        let position = k - 1;
        while (position > 0 && top[position - 1]!.score < score) position--;
        top.splice(position, 0, { node, score });
        top.pop();
      }
    }
    return top
      .sort((a, b) => b.score - a.score)
      .map((hit) => ({ id: this.idByNode[hit.node]!, score: hit.score }));
  }

  /** Exact top-k over all points passing the filter, never using the graph. */
  async searchExact(vector: Float32Array, k: number, filter: VectorFilter): Promise<VectorHit[]> {
    const query = normalizeVector(vector);
    return this.exactSearch(query, k, this.nodeById.values(), (node) =>
      matchesFilter(this.payloadByNode[node]!, filter),
    );
  }

  async size(): Promise<number> {
    return this.nodeById.size;
  }

  /** Approximate heap bytes held by the graph and payloads. */
  estimateMemoryBytes(): number {
    return this.graph.estimateMemoryBytes() + this.nodeById.size * 400;
  }

  async close(): Promise<void> {}

  /**
   * The native graph and each node's point, for a snapshot (vector-index-snapshot.ts); null with the
   * JavaScript engine, whose graph is not persisted.
   */
  snapshotContents(): { graph: NativeHnswGraph; nodes: SnapshotNode[] } | null {
    if (!(this.graph instanceof NativeHnswGraph)) return null;
    const nodes = Array.from({ length: this.graph.nodeCount }, (_, node): SnapshotNode => {
      const id = this.idByNode[node];
      return id === undefined ? null : { id, payload: this.payloadByNode[node]! };
    });
    return { graph: this.graph, nodes };
  }

  /** Replaces the whole contents with a snapshot's graph and the point of each of its nodes. */
  restoreContents(graph: NativeHnswGraph, nodes: SnapshotNode[]): void {
    if (this.engine !== 'hnswlib') throw new Error(`a ${this.engine} index cannot load an hnswlib graph`);
    if (graph.nodeCount !== nodes.length || graph.dimensions !== this.dimensions)
      throw new Error('the snapshot graph does not match its nodes');
    const nodeById = new Map<string, number>();
    nodes.forEach((point, node) => {
      if (point && nodeById.has(point.id)) throw new Error(`the snapshot holds ${point.id} twice`);
      if (point) nodeById.set(point.id, node);
      if (!point !== graph.isRemoved(node))
        throw new Error(`the snapshot's node ${node} is not as its graph`);
    });
    this.graph = graph;
    this.nodeById.clear();
    this.idByNode = [];
    this.payloadByNode = [];
    this.postings.clear();
    nodes.forEach((point, node) => {
      if (point) this.place(node, point.id, point.payload);
    });
  }

  private insert(point: VectorPoint): void {
    this.removeById(point.id);
    const node = this.graph.add(normalizeVector(point.vector));
    this.place(node, point.id, point.payload);
  }

  private place(node: number, id: string, payload: VectorPayload): void {
    this.nodeById.set(id, node);
    this.idByNode[node] = id;
    this.payloadByNode[node] = payload;
    for (const key of postingKeys(payload)) {
      let posting = this.postings.get(key);
      if (!posting) this.postings.set(key, (posting = new Set()));
      posting.add(node);
    }
  }

  private removeById(id: string): void {
    const node = this.nodeById.get(id);
    if (node === undefined) return;
    this.graph.remove(node);
    this.nodeById.delete(id);
    for (const key of postingKeys(this.payloadByNode[node]!)) this.postings.get(key)?.delete(node);
    this.idByNode[node] = undefined;
    this.payloadByNode[node] = undefined;
  }

  private narrowestPosting(filter: VectorFilter): Set<number> | undefined {
    const keys: string[] = [];
    if (filter.category !== undefined) keys.push(`category:${filter.category}`);
    if (filter.pricingModel !== undefined) keys.push(`pricing:${filter.pricingModel}`);
    for (const tag of filter.tags ?? []) keys.push(`tag:${tag}`);
    let narrowest: Set<number> | undefined;
    for (const key of keys) {
      const posting = this.postings.get(key) ?? new Set<number>();
      if (!narrowest || posting.size < narrowest.size) narrowest = posting;
    }
    return narrowest;
  }

  /** Tombstones slow every search; once they outnumber live points, rebuild from the live ones. */
  private compactIfMostlyTombstones(): void {
    const tombstones = this.graph.nodeCount - this.graph.liveCount;
    if (tombstones < 1_000 || tombstones < this.graph.liveCount) return;
    const live = [...this.nodeById.entries()].map(([id, node]) => ({
      id,
      vector: Float32Array.from(this.graph.vectorOf(node)),
      payload: this.payloadByNode[node]!,
    }));
    this.graph = this.newGraph();
    this.nodeById.clear();
    this.idByNode = [];
    this.payloadByNode = [];
    this.postings.clear();
    for (const point of live) this.insert(point);
  }
}

function postingKeys(payload: VectorPayload): string[] {
  return [
    `category:${payload.category}`,
    `pricing:${payload.pricingModel}`,
    ...payload.tags.map((tag) => `tag:${tag}`),
  ];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
