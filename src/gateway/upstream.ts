import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';

/** Token usage as an OpenAI-compatible upstream reports it. */
export interface UpstreamUsage {
  tokensIn: number;
  tokensOut: number;
}

const count = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;

/** The usage of an OpenAI-compatible `usage` object (chat: prompt and completion tokens; embeddings: prompt). */
export function usageOf(usage: unknown): UpstreamUsage | null {
  if (!usage || typeof usage !== 'object') return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = usage as Record<string, unknown>;
  return { tokensIn: count(prompt), tokensOut: count(completion) };
}

/** The usage in a whole JSON answer, or null when it has none (or is not JSON). */
export function usageOfJson(text: string): UpstreamUsage | null {
  try {
    return usageOf((JSON.parse(text) as { usage?: unknown }).usage);
  } catch {
    return null;
  }
}

// Only events that carry a usage object are parsed: with include_usage every chunk has `"usage":null`
// and only the last one a real object, so the others pass through untouched.
const usageObject = /"usage"\s*:\s*\{/;

/**
 * Passes an upstream's server-sent events through byte for byte as they come, while reading the
 * usage of the final chunk (stream_options.include_usage). `onUsage` runs, synchronously, whenever
 * a chunk brings a usage, before that chunk is passed on; `onEnd` runs once, when the upstream
 * finished (`complete`) or the stream broke or the client went away; the stream closes after it.
 */
export function meteredEventStream(
  body: Dispatcher.ResponseData['body'],
  onEnd: (outcome: { complete: boolean; usage: UpstreamUsage | null }) => void | Promise<void>,
  onUsage?: (usage: UpstreamUsage) => void,
): ReadableStream<Uint8Array> {
  let usage: UpstreamUsage | null = null;
  const parser = createParser({
    onEvent(event) {
      if (!usageObject.test(event.data)) return;
      try {
        usage = usageOf((JSON.parse(event.data) as { usage?: unknown }).usage) ?? usage;
      } catch {
        // Not JSON: nothing to meter in it; the agent still gets the bytes.
      }
    },
  });
  const decoder = new TextDecoder();
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  const end = async (complete: boolean) => {
    if (ended) return;
    ended = true;
    await onEnd({ complete, usage });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        await end(false);
        controller.error(error);
        return;
      }
      if (next.done) {
        parser.feed(decoder.decode());
        await end(true);
        controller.close();
        return;
      }
      const before = usage;
      parser.feed(decoder.decode(next.value, { stream: true }));
      if (usage !== before && usage) onUsage?.(usage);
      controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    },
    async cancel() {
      body.destroy();
      await end(false);
    },
  });
}

/** The bytes with every occurrence of the secret replaced, so an upstream echoing it gives nothing away. */
export function redactBytes(bytes: Buffer, secret: string): Buffer {
  if (secret.length === 0 || bytes.indexOf(secret) === -1) return bytes;
  return Buffer.from(bytes.toString('utf8').split(secret).join('[REDACTED]'));
}
