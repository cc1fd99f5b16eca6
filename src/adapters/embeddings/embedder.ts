/** Turns texts into unit-length vectors; every vector carries the model that made it. */
export interface Embedder {
  /** Identifies the model; stored with every vector so vectors of different models never mix. */
  readonly model: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /** One L2-normalised vector per input text, in input order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Releases threads, sockets or models the embedder holds. Safe to call twice. */
  close(): Promise<void>;
}

/** Scales a vector to unit length so cosine similarity becomes a dot product. */
export function normalizeVector(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let sumOfSquares = 0;
  for (let i = 0; i < out.length; i++) sumOfSquares += out[i]! * out[i]!;
  const norm = Math.sqrt(sumOfSquares);
  if (norm === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / norm;
  return out;
}
