import { Worker } from 'node:worker_threads';
import type { Embedder } from './embedder.js';

/** Model id stored with vectors made by the bundled Universal Sentence Encoder lite. */
export const LOCAL_EMBEDDING_MODEL = 'use-lite-512';
/** Vector length of the bundled Universal Sentence Encoder lite. */
export const LOCAL_EMBEDDING_DIMENSIONS = 512;

type WorkerReply =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; message: string };

interface PendingRequest {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

/**
 * The default embedder: USE-lite, shipped inside an npm package, run on a worker thread.
 * One inference takes 30–50 ms of mostly synchronous WebAssembly and graph bookkeeping, which would
 * stall every other request on the API's event loop; on a worker it only costs a core.
 */
export class LocalEmbedder implements Embedder {
  readonly model = LOCAL_EMBEDDING_MODEL;
  readonly dimensions = LOCAL_EMBEDDING_DIMENSIONS;
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private failure: Error | undefined;
  private closed = false;
  private readonly ready: Promise<void>;

  constructor() {
    this.worker = new Worker(new URL('./use-lite-worker.js', import.meta.url));
    // An idle embedder must not keep the process alive; in-flight requests re-ref it.
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'fatal') {
          const error = new Error(`local embedding model failed to load: ${reply.message}`);
          this.failAll(error);
          reject(error);
        } else this.settle(reply);
      });
      this.worker.on('error', (error) => {
        this.failAll(error);
        reject(error);
      });
      this.worker.on('exit', (code) => {
        if (!this.closed) this.failAll(new Error(`embedding worker exited with code ${code}`));
      });
    });
    // Rejections surface through embed(); avoid an unhandled rejection when nobody waits yet.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the model is loaded (about 0.5 s); embed() waits for it anyway. */
  async whenReady(): Promise<void> {
    await this.ready;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (this.closed) throw new Error('embedder is closed');
    if (this.failure) throw this.failure;
    const id = this.nextRequestId++;
    const vectors = new Promise<Float32Array[]>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, texts });
    return vectors;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('embedder is closed'));
    await this.worker.terminate();
  }

  private settle(reply: Extract<WorkerReply, { id: number }>): void {
    const request = this.pending.get(reply.id);
    if (!request) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.type === 'result') request.resolve(reply.vectors);
    else request.reject(new Error(`local embedding failed: ${reply.message}`));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}
