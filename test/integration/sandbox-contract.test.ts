// The agent contract's parsing and the manifest-to-limits mapping the sandbox relies on: pure logic,
// kept beside the sandbox's integration tests.
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/domain/catalog/schemas.js';
import { parseOutput, parseUsage, TailBuffer } from '../../src/runtime/local/sandbox/agent-output.js';
import { limitsFromManifest } from '../../src/runtime/local/sandbox/limits-from-manifest.js';

describe('agent contract parsing', () => {
  it('reads usage only from a well-formed final stderr line', () => {
    expect(parseUsage('log\n{"usage": {"tokensIn": 12, "tokensOut": 3}}\n')).toEqual({
      tokensIn: 12,
      tokensOut: 3,
    });
    expect(parseUsage('{"usage": {"tokensIn": 12, "tokensOut": 3}}\nlater log\n')).toBeUndefined();
    expect(parseUsage('{"usage": {"tokensIn": -1, "tokensOut": 3}}')).toBeUndefined();
    expect(parseUsage('{"usage": {"tokensIn": 1.5, "tokensOut": 3}}')).toBeUndefined();
    expect(parseUsage('{"usage": ')).toBeUndefined();
    expect(parseUsage('')).toBeUndefined();
  });

  it('accepts exactly one JSON document on stdout', () => {
    expect(parseOutput(Buffer.from(' {"a": 1}\n'))).toEqual({ ok: true, output: { a: 1 } });
    expect(parseOutput(Buffer.from('null'))).toEqual({ ok: true, output: null });
    const twice = parseOutput(Buffer.from('{"a": 1}\n{"b": 2}'));
    expect(twice.ok).toBe(false);
    const empty = parseOutput(Buffer.from(''));
    expect(empty).toMatchObject({ ok: false, reason: expect.stringMatching(/no output/) });
  });

  it('keeps only the tail of a long log', () => {
    const tail = new TailBuffer(10);
    for (const chunk of ['0123456789', 'abcdef', 'XYZ']) tail.push(Buffer.from(chunk));
    expect(tail.text()).toBe('9abcdefXYZ');
  });
});

describe('limits from a manifest', () => {
  it("maps the version's resources to sandbox limits", () => {
    const { resources } = manifestSchema.parse({
      version: '1.0.0',
      description: 'x',
      pricing: { model: 'free' },
      runtime: { kind: 'process', command: ['node', 'main.js'] },
      resources: { cpu: '500m', memory: '1Gi', timeoutSeconds: 30 },
    });
    expect(limitsFromManifest(resources)).toEqual({
      timeoutMs: 30_000,
      memoryMiB: 1024,
      cpuSeconds: 15,
      maxProcesses: 64,
      maxOutputBytes: 1024 * 1024,
    });
    expect(
      limitsFromManifest({ cpu: '2', memory: '16Mi', timeoutSeconds: 5 }, { maxOutputBytes: 10 }),
    ).toMatchObject({
      memoryMiB: 64,
      cpuSeconds: 10,
      maxOutputBytes: 10,
    });
  });
});
