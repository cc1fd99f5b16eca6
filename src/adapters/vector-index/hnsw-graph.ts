/** Tuning knobs of the HNSW graph; defaults reach recall@10 ≥ 0.99 on 512-d sentence embeddings. */
export interface HnswOptions {
  dimensions: number;
  /** Links per node on upper layers; layer 0 keeps twice as many. */
  m?: number;
  /** Candidate list size while inserting: higher builds slower and finds better links. */
  efConstruction?: number;
  /** Seed for level assignment, so builds are reproducible. */
  seed?: number;
}

/** One search hit: internal node number and cosine similarity to the query. */
export interface GraphHit {
  node: number;
  score: number;
}

/**
 * Hierarchical Navigable Small World graph (Malkov & Yashunin, 2016) over unit vectors, scored by
 * dot product (= cosine similarity). Nodes are dense integers; removal is a tombstone because
 * unlinking a node would cut the paths that pass through it.
 */
export class HnswGraph {
  readonly dimensions: number;
  private readonly m: number;
  private readonly maxLinksLayer0: number;
  private readonly efConstruction: number;
  private readonly levelMultiplier: number;
  private random: () => number;
  private vectors: Float32Array;
  private capacity: number;
  private count = 0;
  private readonly links: number[][][] = [];
  /** Similarity of each link, parallel to links, so full lists are pruned without recomputing. */
  private readonly linkScores: number[][][] = [];
  private readonly deleted: Uint8Array[] = [];
  private deletedCount = 0;
  private entryPoint = -1;
  private maxLevel = -1;
  private visitMarks = new Uint32Array(0);
  private visitGeneration = 0;

  constructor(options: HnswOptions) {
    this.dimensions = options.dimensions;
    this.m = options.m ?? 16;
    this.maxLinksLayer0 = this.m * 2;
    this.efConstruction = options.efConstruction ?? 128;
    this.levelMultiplier = 1 / Math.log(this.m);
    this.random = mulberry32(options.seed ?? 0x5eed);
    this.capacity = 1024;
    this.vectors = new Float32Array(this.capacity * this.dimensions);
  }

  /** Nodes ever added, tombstoned ones included. */
  get nodeCount(): number {
    return this.count;
  }

  /** Nodes that can still be returned by search. */
  get liveCount(): number {
    return this.count - this.deletedCount;
  }

  /** Adds a unit vector and returns its node number. */
  add(vector: Float32Array): number {
    if (vector.length !== this.dimensions) {
      throw new Error(`vector has ${vector.length} dimensions, index expects ${this.dimensions}`);
    }
    const node = this.count++;
    this.ensureCapacity(this.count);
    this.vectors.set(vector, node * this.dimensions);
    const level = Math.floor(-Math.log(1 - this.random()) * this.levelMultiplier);
    this.links[node] = Array.from({ length: level + 1 }, () => []);
    this.linkScores[node] = Array.from({ length: level + 1 }, () => []);
    this.deleted[node >>> 16] ??= new Uint8Array(1 << 16);

    if (this.entryPoint < 0) {
      this.entryPoint = node;
      this.maxLevel = level;
      return node;
    }
    let entry = this.entryPoint;
    let entryScore = this.similarity(node, entry);
    for (let layer = this.maxLevel; layer > level; layer--) {
      ({ node: entry, score: entryScore } = this.greedyClosest(
        this.vectorOf(node),
        entry,
        entryScore,
        layer,
      ));
    }
    let entries: GraphHit[] = [{ node: entry, score: entryScore }];
    for (let layer = Math.min(level, this.maxLevel); layer >= 0; layer--) {
      const candidates = this.searchLayer(
        this.vectorOf(node),
        entries,
        this.efConstruction,
        layer,
        undefined,
      );
      const maxLinks = layer === 0 ? this.maxLinksLayer0 : this.m;
      const chosen = this.selectNeighbours(candidates, this.m);
      this.links[node]![layer] = chosen.map((hit) => hit.node);
      this.linkScores[node]![layer] = chosen.map((hit) => hit.score);
      for (const hit of chosen) this.linkBack(hit.node, node, hit.score, layer, maxLinks);
      entries = candidates;
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entryPoint = node;
    }
    return node;
  }

  /** Excludes a node from results; it still routes searches. */
  remove(node: number): void {
    const page = this.deleted[node >>> 16];
    if (!page || node >= this.count || page[node & 0xffff]) return;
    page[node & 0xffff] = 1;
    this.deletedCount++;
  }

  /** Whether a node was removed. */
  isRemoved(node: number): boolean {
    return this.deleted[node >>> 16]![node & 0xffff] === 1;
  }

  /** The stored vector of a node (a view, do not modify). */
  vectorOf(node: number): Float32Array {
    return this.vectors.subarray(node * this.dimensions, (node + 1) * this.dimensions);
  }

  /** Dot product of a query with a node's vector. */
  score(query: Float32Array, node: number): number {
    return dot(query, this.vectors, node * this.dimensions, this.dimensions);
  }

  /**
   * The k nodes most similar to the query among live nodes that `accept` lets through. The filter is
   * applied during the walk (rejected nodes still route), so results stay correct under filters.
   */
  search(query: Float32Array, k: number, ef: number, accept?: (node: number) => boolean): GraphHit[] {
    if (this.entryPoint < 0 || k <= 0) return [];
    let entry = this.entryPoint;
    let entryScore = this.score(query, entry);
    for (let layer = this.maxLevel; layer > 0; layer--) {
      ({ node: entry, score: entryScore } = this.greedyClosest(query, entry, entryScore, layer));
    }
    const keep = (node: number) => !this.isRemoved(node) && (accept === undefined || accept(node));
    const hits = this.searchLayer(query, [{ node: entry, score: entryScore }], Math.max(ef, k), 0, keep);
    return hits.slice(0, k);
  }

  /** Approximate bytes held by vectors and links, for capacity planning. */
  estimateMemoryBytes(): number {
    let linkCount = 0;
    for (let node = 0; node < this.count; node++)
      for (const layer of this.links[node]!) linkCount += layer.length;
    // Vectors at their real size; each link is a small integer and a double in JS arrays, plus headers.
    return this.vectors.byteLength + linkCount * 16 + this.count * 96;
  }

  private similarity(a: number, b: number): number {
    return dot(this.vectorOf(a), this.vectors, b * this.dimensions, this.dimensions);
  }

  private greedyClosest(query: Float32Array, start: number, startScore: number, layer: number): GraphHit {
    let best = start;
    let bestScore = startScore;
    for (let improved = true; improved;) {
      improved = false;
      for (const neighbour of this.links[best]![layer] ?? []) {
        const s = this.score(query, neighbour);
        if (s > bestScore) {
          bestScore = s;
          best = neighbour;
          improved = true;
        }
      }
    }
    return { node: best, score: bestScore };
  }

  /** Beam search on one layer; returns up to ef accepted nodes, best first. */
  private searchLayer(
    query: Float32Array,
    entries: GraphHit[],
    ef: number,
    layer: number,
    accept: ((node: number) => boolean) | undefined,
  ): GraphHit[] {
    const generation = this.nextVisitGeneration();
    const candidates = new MaxHeap(); // best candidate first
    const results = new MinHeap(); // worst kept result on top
    for (const entry of entries) {
      if (this.visitMarks[entry.node] === generation) continue;
      this.visitMarks[entry.node] = generation;
      candidates.push(entry.node, entry.score);
      if (accept === undefined || accept(entry.node)) results.push(entry.node, entry.score);
      if (results.size > ef) results.pop();
    }
    while (candidates.size > 0) {
      const candidateScore = candidates.topScore();
      if (results.size >= ef && candidateScore < results.topScore()) break;
      const candidate = candidates.pop();
      for (const neighbour of this.links[candidate]![layer] ?? []) {
        if (this.visitMarks[neighbour] === generation) continue;
        this.visitMarks[neighbour] = generation;
        const s = this.score(query, neighbour);
        if (results.size < ef || s > results.topScore()) {
          candidates.push(neighbour, s);
          if (accept === undefined || accept(neighbour)) {
            results.push(neighbour, s);
            if (results.size > ef) results.pop();
          }
        }
      }
    }
    return results.drainBestFirst();
  }

  /** HNSW's neighbour heuristic: skip a candidate that is closer to an already chosen one than to the base. */
  private selectNeighbours(candidatesBestFirst: GraphHit[], max: number): GraphHit[] {
    const chosen: GraphHit[] = [];
    for (const candidate of candidatesBestFirst) {
      if (chosen.length >= max) break;
      let diverse = true;
      for (const kept of chosen) {
        if (this.similarity(candidate.node, kept.node) > candidate.score) {
          diverse = false;
          break;
        }
      }
      if (diverse) chosen.push(candidate);
    }
    return chosen;
  }

  private linkBack(node: number, newNeighbour: number, score: number, layer: number, maxLinks: number): void {
    const neighbours = this.links[node]![layer]!;
    const scores = this.linkScores[node]![layer]!;
    if (neighbours.length < maxLinks) {
      neighbours.push(newNeighbour);
      scores.push(score);
      return;
    }
    // Shrink with the same diversity heuristic as a node's own links: keeping only the most similar
    // links turns dense clusters into cliques the search cannot leave. Stored scores save one dot
    // product per link; the heuristic's pairwise checks remain.
    const candidates = neighbours
      .map((other, i) => ({ node: other, score: scores[i]! }))
      .concat({ node: newNeighbour, score })
      .sort((a, b) => b.score - a.score);
    const kept = this.selectNeighbours(candidates, maxLinks);
    this.links[node]![layer] = kept.map((hit) => hit.node);
    this.linkScores[node]![layer] = kept.map((hit) => hit.score);
  }

  private nextVisitGeneration(): number {
    if (this.visitMarks.length < this.count) {
      const grown = new Uint32Array(Math.max(this.count, this.visitMarks.length * 2, 1024));
      grown.set(this.visitMarks);
      this.visitMarks = grown;
    }
    this.visitGeneration = (this.visitGeneration + 1) >>> 0;
    if (this.visitGeneration === 0) {
      this.visitMarks.fill(0);
      this.visitGeneration = 1;
    }
    return this.visitGeneration;
  }

  private ensureCapacity(needed: number): void {
    if (needed <= this.capacity) return;
    while (this.capacity < needed) this.capacity *= 2;
    const grown = new Float32Array(this.capacity * this.dimensions);
    grown.set(this.vectors);
    this.vectors = grown;
  }
}

/** Dot product of a vector with a row of a flat matrix. */
export function dot(a: Float32Array, matrix: Float32Array, offset: number, length: number): number {
  // Four accumulators let V8 overlap the multiply-adds; this loop is the hot path of every search.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[i]! * matrix[offset + i]!;
    s1 += a[i + 1]! * matrix[offset + i + 1]!;
    s2 += a[i + 2]! * matrix[offset + i + 2]!;
    s3 += a[i + 3]! * matrix[offset + i + 3]!;
  }
  for (; i < length; i++) s0 += a[i]! * matrix[offset + i]!;
  return s0 + s1 + s2 + s3;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binary heap of (node, score) with the highest score on top. */
class MaxHeap {
  protected nodes: number[] = [];
  protected scores: number[] = [];

  get size(): number {
    return this.nodes.length;
  }

  topScore(): number {
    return this.scores[0]!;
  }

  push(node: number, score: number): void {
    this.nodes.push(node);
    this.scores.push(score);
    this.siftUp(this.nodes.length - 1);
  }

  pop(): number {
    const top = this.nodes[0]!;
    const lastNode = this.nodes.pop()!;
    const lastScore = this.scores.pop()!;
    if (this.nodes.length > 0) {
      this.nodes[0] = lastNode;
      this.scores[0] = lastScore;
      this.siftDown(0);
    }
    return top;
  }

  protected before(a: number, b: number): boolean {
    return this.scores[a]! > this.scores[b]!;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.nodes.length;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let first = index;
      if (left < length && this.before(left, first)) first = left;
      if (right < length && this.before(right, first)) first = right;
      if (first === index) return;
      this.swap(index, first);
      index = first;
    }
  }

  private swap(a: number, b: number): void {
    [this.nodes[a], this.nodes[b]] = [this.nodes[b]!, this.nodes[a]!];
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
  }
}

/** Binary heap of (node, score) with the lowest score on top. */
class MinHeap extends MaxHeap {
  protected override before(a: number, b: number): boolean {
    return this.scores[a]! < this.scores[b]!;
  }

  /** Empties the heap, returning its entries highest score first. */
  drainBestFirst(): GraphHit[] {
    const hits: GraphHit[] = this.nodes.map((node, i) => ({ node, score: this.scores[i]! }));
    this.nodes = [];
    this.scores = [];
    return hits.sort((a, b) => b.score - a.score);
  }
}
