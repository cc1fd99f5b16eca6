import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { meteredEventStream, redactBytes, usageOfJson } from '../../src/gateway/upstream.js';

/** An upstream body delivering these pieces, as undici would. */
const body = (pieces: string[]) =>
  Readable.from(pieces.map((piece) => Buffer.from(piece))) as unknown as Parameters<
    typeof meteredEventStream
  >[0];

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>)
    text += decoder.decode(chunk, { stream: true });
  return text;
}

describe('gateway upstream usage', () => {
  it('reads usage from a JSON answer: chat (prompt and completion) and embeddings (prompt only)', () => {
    expect(usageOfJson('{"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}')).toEqual({
      tokensIn: 12,
      tokensOut: 3,
    });
    expect(usageOfJson('{"usage":{"prompt_tokens":8,"total_tokens":8}}')).toEqual({
      tokensIn: 8,
      tokensOut: 0,
    });
    expect(usageOfJson('{"usage":{"prompt_tokens":-4,"completion_tokens":"many"}}')).toEqual({
      tokensIn: 0,
      tokensOut: 0,
    });
    expect(usageOfJson('{"id":"x"}')).toBeNull();
    expect(usageOfJson('not json')).toBeNull();
  });

  it('passes a stream through byte for byte and meters the final chunk, even split mid-event', async () => {
    const events = [
      'data: {"choices":[{"delta":{"content":"Hi"}}],"usage":null}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":17,"completion_tokens":5}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    // Cut in awkward places: inside the JSON of the usage chunk and between "\n" and "\n".
    const cuts = [10, 70, 95, 130, events.length - 1];
    const pieces = cuts.map((cut, index) => events.slice(index === 0 ? 0 : cuts[index - 1], cut));
    pieces.push(events.slice(cuts.at(-1)));
    const ends: unknown[] = [];
    // What the client had been handed when the usage was known (to be journaled before it goes on).
    let passedOnAtUsage = '';
    let passedOn = '';
    const stream = meteredEventStream(
      body(pieces),
      async (outcome) => void ends.push(outcome),
      (usage) => {
        expect(usage).toEqual({ tokensIn: 17, tokensOut: 5 });
        passedOnAtUsage = passedOn;
      },
    );
    const decoder = new TextDecoder();
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>)
      passedOn += decoder.decode(chunk, { stream: true });
    expect(passedOn).toBe(events);
    // A stream without usage passes through as well, and never calls onUsage.
    const plain = 'data: {"usage":null}\n\ndata: [DONE]\n\n';
    expect(
      await drain(
        meteredEventStream(
          body([plain]),
          () => {},
          () => expect.fail('no usage'),
        ),
      ),
    ).toBe(plain);
    expect(ends).toEqual([{ complete: true, usage: { tokensIn: 17, tokensOut: 5 } }]);
    // Known with the piece that ends the usage event (cut at 130): that piece had not been passed on.
    expect(passedOnAtUsage).toBe(events.slice(0, 130));
  });

  it('ends once, incomplete, when the client goes away mid-stream', async () => {
    const ends: unknown[] = [];
    const stream = meteredEventStream(
      body(['data: {"usage":null}\n\n', 'data: {"usage":null}\n\n']),
      async (outcome) => void ends.push(outcome),
    );
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(ends).toEqual([{ complete: false, usage: null }]);
  });

  it('redacts every occurrence of a secret, and leaves other bytes alone', () => {
    expect(redactBytes(Buffer.from('key sk-1 and sk-1 again'), 'sk-1').toString()).toBe(
      'key [REDACTED] and [REDACTED] again',
    );
    const untouched = Buffer.from('nothing here');
    expect(redactBytes(untouched, 'sk-1')).toBe(untouched);
  });
});
