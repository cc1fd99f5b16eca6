import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolCallRecord } from '../../src/domain/gateway/tool-calls.js';
import { CallJournal } from '../../src/gateway/call-journal.js';

function record(overrides: Partial<ToolCallRecord> = {}): ToolCallRecord {
  return {
    callId: randomUUID(),
    tokenHash: 'a'.repeat(64),
    executionId: randomUUID(),
    orgId: randomUUID(),
    installationId: randomUUID(),
    tool: 'llm',
    model: 'gpt-test',
    status: 'succeeded',
    tokensIn: 17,
    tokensOut: 5,
    durationMs: 1.5,
    upstreamStatus: 200,
    pricePer1kInputTokens: '0.5',
    pricePer1kOutputTokens: null,
    ...overrides,
  };
}

describe('the gateway call journal', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bazaar-journal-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the records a killed process journaled and did not write to the next process in its slot', () => {
    const dir = newDir();
    const killed = CallJournal.open(dir);
    const [first, second, third] = [record(), record(), record()];
    for (const entry of [first!, second!, third!]) killed.append(entry);
    killed.written([first!]);
    // Killed: never closed. Its lock names this (live) process, so free it as a restart would find it.
    rmSync(join(dir, '0', 'owner'));

    const restarted = CallJournal.open(dir);
    // The written one too may come back (the file holds all three): recording is idempotent by id.
    const replayed = restarted.unwritten();
    expect(replayed.map((entry) => entry.callId)).toEqual([first!.callId, second!.callId, third!.callId]);
    expect(replayed[1]).toEqual(second);
    expect(restarted.unwritten()).toEqual([]);
    restarted.written(replayed);
    restarted.close();
    expect(readdirSync(join(dir, '0'))).toEqual([]);
  });

  it('skips a line torn by a kill in the middle of its write', () => {
    const dir = newDir();
    const killed = CallJournal.open(dir);
    const whole = record();
    killed.append(whole);
    rmSync(join(dir, '0', 'owner'));
    const file = readdirSync(join(dir, '0')).find((name) => name.endsWith('.jsonl'))!;
    appendFileSync(join(dir, '0', file), '{"callId":"4f1c');

    expect(CallJournal.open(dir).unwritten()).toEqual([whole]);
  });

  it('gives a process sharing the directory a slot of its own while the first lives', () => {
    const dir = newDir();
    const first = CallJournal.open(dir);
    first.append(record());
    const second = CallJournal.open(dir);
    expect(second.unwritten()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['0', '1']);
    second.close();
    first.close();
  });

  it('takes over a slot whose owner is gone', () => {
    const dir = newDir();
    const journal = CallJournal.open(dir);
    const lost = record();
    journal.append(lost);
    // A process that is no more (pid 999999999 cannot exist on Linux) held it.
    writeFileSync(join(dir, '0', 'owner'), '999999999 1');
    expect(CallJournal.open(dir).unwritten()).toEqual([lost]);
  });

  it('takes over, besides its own slot, every other slot whose owner is gone, and frees them all at close', () => {
    const dir = newDir();
    const first = CallJournal.open(dir);
    const second = CallJournal.open(dir);
    const lost = record();
    second.append(lost);
    writeFileSync(join(dir, '1', 'owner'), '999999999 1'); // the second process is gone
    first.close(); // the first stopped in order

    const next = CallJournal.open(dir);
    const replayed = next.unwritten();
    expect(replayed).toEqual([lost]);
    next.written(replayed);
    next.close();
    expect(readdirSync(join(dir, '0'))).toEqual([]);
    expect(readdirSync(join(dir, '1'))).toEqual([]);
  });

  it('replays the last record journaled under a call id (a stream’s usage ahead of its end, then its end)', () => {
    const dir = newDir();
    const killed = CallJournal.open(dir);
    const ahead = record({ status: 'succeeded' });
    killed.append(ahead);
    const onlyAhead = record();
    killed.append(onlyAhead);
    const final = { ...ahead, status: 'failed' as const, durationMs: 9 };
    killed.append(final);
    rmSync(join(dir, '0', 'owner'));

    expect(CallJournal.open(dir).unwritten()).toEqual([final, onlyAhead]);
  });

  it('rotates its file as it grows and removes each once all its records are written', () => {
    const dir = newDir();
    const journal = CallJournal.open(dir);
    const records = Array.from({ length: 5_000 }, () => record());
    for (const entry of records) journal.append(entry);
    const files = () => readdirSync(join(dir, '0')).filter((name) => name.endsWith('.jsonl'));
    expect(files().length).toBeGreaterThan(1);

    journal.written(records.slice(0, 4_999));
    expect(files()).toHaveLength(1);
    journal.written(records.slice(4_999));
    journal.close();
    expect(files()).toEqual([]);
  });
});
