import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { InMemoryVectorIndex, SnapshotNode } from './in-memory-vector-index.js';
import { loadHnswlib, NativeHnswGraph } from './native-hnsw-graph.js';
import { vectorPayloadSchema } from './vector-index.js';

// A snapshot is three files in one directory: hnswlib's graph, the vectors (float32, node by node)
// and snapshot.json, which names the other two with their sizes and SHA-256 and holds each node's
// point. snapshot.json is written last, through a temporary file and a rename, so a reader sees the
// previous snapshot or the new one whole; a file named by no snapshot.json is a leftover, removed
// at the next write.
const FORMAT = 1;
const MANIFEST = 'snapshot.json';
const OWN_FILE = /^(graph-[0-9a-f-]+\.hnsw|vectors-[0-9a-f-]+\.f32|snapshot\.json\.[0-9a-f-]+\.tmp)$/;

const fileSchema = z.object({
  name: z.string().regex(OWN_FILE),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const manifestSchema = z.object({
  format: z.literal(FORMAT),
  engine: z.literal('hnswlib'),
  embeddingModel: z.string().min(1),
  dimensions: z.number().int().positive(),
  graph: fileSchema,
  vectors: fileSchema,
  /** Per node: [point id, the caller's stamp of the point, payload], or null for a removed node. */
  nodes: z.array(z.union([z.null(), z.tuple([z.string().min(1), z.string(), vectorPayloadSchema])])),
});
type SnapshotManifest = z.infer<typeof manifestSchema>;

/** Why a snapshot cannot be used (another model, format or engine, or damaged); rebuild instead. */
export class SnapshotUnusableError extends Error {
  override name = 'SnapshotUnusableError';
}

/**
 * Writes the index to dir (created 0700, files 0600), replacing the snapshot there, with each point's
 * stamp (what the caller compares to tell whether a point is still current). Returns the bytes
 * written, or null for the JavaScript engine, whose graph is not persisted. hnswlib writes its graph
 * on a worker thread and the vectors go out asynchronously, but the index must not change until
 * this resolves (searches may run).
 */
export async function writeVectorIndexSnapshot(
  dir: string,
  index: InMemoryVectorIndex,
  stamps: ReadonlyMap<string, string>,
): Promise<{ bytes: number } | null> {
  const contents = index.snapshotContents();
  if (!contents) return null;
  const nodes = contents.nodes.map((point) =>
    point ? ([point.id, stamps.get(point.id) ?? '', point.payload] as const) : null,
  );
  const vectors = contents.graph.allVectors();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const generation = randomUUID();
  const graphName = `graph-${generation}.hnsw`;
  const vectorsName = `vectors-${generation}.f32`;
  await contents.graph.writeTo(join(dir, graphName));
  await chmod(join(dir, graphName), 0o600);
  const vectorBytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  await writeFile(join(dir, vectorsName), vectorBytes, { mode: 0o600 });
  const header: Omit<SnapshotManifest, 'nodes'> = {
    format: FORMAT,
    engine: 'hnswlib',
    embeddingModel: index.embeddingModel,
    dimensions: index.dimensions,
    graph: await describeFile(dir, graphName),
    vectors: await describeFile(dir, vectorsName),
  };
  // A few thousand nodes at a time, yielding in between: one JSON.stringify of 100k points would
  // hold the event loop for about a second.
  const parts: string[] = [];
  for (let start = 0; start < nodes.length; start += 5000) {
    parts.push(
      nodes
        .slice(start, start + 5000)
        .map((node) => JSON.stringify(node))
        .join(','),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  const text = `${JSON.stringify(header).slice(0, -1)},"nodes":[${parts.join(',')}]}`;
  const temporary = join(dir, `${MANIFEST}.${generation}.tmp`);
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, join(dir, MANIFEST));
  // Only files this module names are removed: the directory may be shared by mistake.
  for (const name of await readdir(dir)) {
    if (OWN_FILE.test(name) && name !== graphName && name !== vectorsName)
      await rm(join(dir, name), { force: true });
  }
  return { bytes: header.graph.bytes + header.vectors.bytes + Buffer.byteLength(text) };
}

/**
 * Loads dir's snapshot into the index, replacing its contents, and returns each point's stamp; null
 * when there is none. Throws SnapshotUnusableError, leaving the index as it was, when the snapshot
 * is of another format, engine, model or dimension, or any of its files is damaged.
 */
export async function readVectorIndexSnapshot(
  dir: string,
  index: InMemoryVectorIndex,
): Promise<Map<string, string> | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SnapshotUnusableError(`cannot read ${MANIFEST}: ${(error as Error).message}`);
  }
  try {
    const manifest = parseManifest(text, index);
    const nodeCount = manifest.nodes.length;
    const vectors = await readVectors(dir, manifest.vectors, nodeCount * index.dimensions);
    const graphFile = await describeFile(dir, manifest.graph.name);
    if (graphFile.bytes !== manifest.graph.bytes || graphFile.sha256 !== manifest.graph.sha256)
      throw new Error(`${manifest.graph.name} does not match its checksum`);
    const hnswlib = loadHnswlib();
    if (!hnswlib) throw new Error('hnswlib-node is not installed');
    const removed = manifest.nodes.flatMap((node, n) => (node ? [] : [n]));
    const graph = await NativeHnswGraph.readFrom(
      join(dir, manifest.graph.name),
      { dimensions: index.dimensions, nodeCount, vectors, removed },
      hnswlib,
    );
    const nodes = manifest.nodes.map((node): SnapshotNode =>
      node ? { id: node[0], payload: node[2] } : null,
    );
    index.restoreContents(graph, nodes);
    return new Map(manifest.nodes.flatMap((node) => (node ? [[node[0], node[1]] as const] : [])));
  } catch (error) {
    if (error instanceof SnapshotUnusableError) throw error;
    throw new SnapshotUnusableError((error as Error).message);
  }
}

function parseManifest(text: string, index: InMemoryVectorIndex): SnapshotManifest {
  const raw = JSON.parse(text) as Partial<SnapshotManifest>;
  // The reasons a snapshot is simply not ours come first, named, before any damage.
  if (raw.format !== FORMAT) throw new SnapshotUnusableError(`format ${raw.format}, expected ${FORMAT}`);
  if (raw.engine !== index.engine)
    throw new SnapshotUnusableError(`engine ${raw.engine}, the index uses ${index.engine}`);
  if (raw.embeddingModel !== index.embeddingModel || raw.dimensions !== index.dimensions)
    throw new SnapshotUnusableError(
      `model ${raw.embeddingModel} (${raw.dimensions}), the index holds ${index.embeddingModel} (${index.dimensions})`,
    );
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw new SnapshotUnusableError(`${MANIFEST} is malformed`);
  for (const node of parsed.data.nodes) {
    if (node && (node[2].listingId !== node[0] || node[2].embeddingModel !== index.embeddingModel))
      throw new SnapshotUnusableError(`${MANIFEST} holds a point that is not of this index`);
  }
  return parsed.data;
}

async function readVectors(
  dir: string,
  file: SnapshotManifest['vectors'],
  length: number,
): Promise<Float32Array> {
  const bytes = await readFile(join(dir, file.name));
  if (bytes.length !== file.bytes || bytes.length !== length * 4)
    throw new Error(`${file.name} holds ${bytes.length} bytes, expected ${length * 4}`);
  if (createHash('sha256').update(bytes).digest('hex') !== file.sha256)
    throw new Error(`${file.name} does not match its checksum`);
  const vectors = new Float32Array(length);
  new Uint8Array(vectors.buffer).set(bytes);
  return vectors;
}

async function describeFile(dir: string, name: string): Promise<SnapshotManifest['graph']> {
  const path = join(dir, name);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { name, bytes: (await stat(path)).size, sha256: hash.digest('hex') };
}
