import { z } from 'zod';

/** The usage an agent may report on its last stderr line. */
const usageLineSchema = z.object({
  usage: z.object({
    tokensIn: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    tokensOut: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  }),
});

/** Keeps the last `capacity` bytes written to it (the tail of a log stream). */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly capacity: number) {}

  /** Appends a chunk, dropping the oldest bytes beyond capacity. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.capacity) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** The kept bytes as text, trimmed to capacity. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.capacity)).toString('utf8');
  }
}

/** The usage reported on the last non-empty stderr line, if that line is a usage line. */
export function parseUsage(stderr: string): { tokensIn: number; tokensOut: number } | undefined {
  const lastLine = stderr.trimEnd().split('\n').pop()?.trim();
  if (!lastLine?.startsWith('{')) return undefined;
  try {
    const parsed = usageLineSchema.safeParse(JSON.parse(lastLine));
    return parsed.success ? parsed.data.usage : undefined;
  } catch {
    return undefined;
  }
}

/** The agent's stdout as one JSON document, or a readable reason why it is not one. */
export function parseOutput(stdout: Buffer): { ok: true; output: unknown } | { ok: false; reason: string } {
  const text = stdout.toString('utf8').trim();
  if (text === '')
    return { ok: false, reason: 'the agent wrote no output on stdout (expected one JSON document)' };
  try {
    return { ok: true, output: JSON.parse(text) };
  } catch {
    // Not JSON.parse's message: it quotes a few characters from the middle of the text, where a
    // credential the agent printed could not be told apart from them and redacted.
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    return { ok: false, reason: `the agent's stdout is not one JSON document: ${JSON.stringify(preview)}` };
  }
}

/** The last non-empty line of a log, shortened, to explain a failure. */
export function lastLine(text: string, max = 300): string {
  const line = text.trimEnd().split('\n').pop()?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
