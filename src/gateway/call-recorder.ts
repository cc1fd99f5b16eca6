import type { Db } from '../db/pool.js';
import { recordToolCalls, type ToolCallRecord } from '../domain/gateway/tool-calls.js';
import type { Logger } from '../logger.js';
import type { CallJournal } from './call-journal.js';

const MAX_BATCH = 500;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2_000;

/**
 * Writes the gateway's tool call records off the request path, in batches: a call is answered
 * first and its record follows at once (whatever arrived while the previous batch was being written
 * goes in one statement). Each record carries its own id, so a batch that failed, or whose outcome is
 * unclear, is written again until it is in, and counted once. The run's end waits for every reserved
 * call to be recorded before it sums its usage (waitForToolCallRecords); close() writes what is left.
 * Each record is first appended to the local journal (before the call is answered), so a process
 * killed before its batch commits writes it at its next start, when the recorder is built again.
 */
export class CallRecorder {
  private queue: ToolCallRecord[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;
  // Per token: its records queued or being written, and who waits for them to be in.
  private readonly pending = new Map<string, { count: number; waiters: Array<() => void> }>();

  constructor(
    private readonly deps: {
      db: Db;
      logger: Logger;
      journal: CallJournal;
      /** Test only: how long each batch waits before it is written (to kill a gateway in between). */
      testOnlyBatchDelayMs?: number;
    },
  ) {
    const unwritten = deps.journal.unwritten();
    if (unwritten.length > 0) {
      deps.logger.info({ calls: unwritten.length }, 'writing tool call records journaled before a restart');
      for (const record of unwritten) this.enqueue(record);
    }
  }

  /** Journals one call's record (synchronously) and queues it; it is written as soon as the batch before it is. */
  add(record: ToolCallRecord): void {
    this.deps.journal.append(record);
    this.enqueue(record);
  }

  /**
   * Journals a call's record before the call ends (a stream's usage, known before its last bytes go
   * on): a process killed before add() replays it; add() journals the final one under the same id.
   */
  journalAhead(record: ToolCallRecord): void {
    this.deps.journal.append(record);
  }

  private enqueue(record: ToolCallRecord): void {
    this.queue.push(record);
    const entry = this.pending.get(record.tokenHash);
    if (entry) entry.count++;
    else this.pending.set(record.tokenHash, { count: 1, waiters: [] });
    this.writing ??= this.drain();
  }

  /**
   * Null when every record of this token is written; else a promise of that moment. A call whose
   * cap or budget reads the token's usage waits for it, so the answer before it counts in full.
   */
  recorded(tokenHash: string): Promise<void> | null {
    const entry = this.pending.get(tokenHash);
    if (!entry) return null;
    return new Promise((resolve) => entry.waiters.push(resolve));
  }

  private settle(batch: readonly ToolCallRecord[]): void {
    for (const record of batch) {
      const entry = this.pending.get(record.tokenHash);
      if (!entry || --entry.count > 0) continue;
      this.pending.delete(record.tokenHash);
      for (const resolve of entry.waiters) resolve();
    }
  }

  /** Writes what is queued and stops retrying after the last attempt fails. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    this.deps.journal.close();
  }

  private async drain(): Promise<void> {
    // Let the calls answered in this turn of the event loop join the batch.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.deps.testOnlyBatchDelayMs)
      await new Promise((resolve) => setTimeout(resolve, this.deps.testOnlyBatchDelayMs));
    let delay = RETRY_FIRST_MS;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      try {
        const late = await recordToolCalls(this.deps.db, batch);
        this.queue.splice(0, batch.length);
        this.deps.journal.written(batch);
        this.settle(batch);
        delay = RETRY_FIRST_MS;
        if (late.length > 0)
          this.deps.logger.info({ callIds: late }, 'tool calls ended after their run: billed on their own');
      } catch (error) {
        this.deps.logger.error(
          { err: error, calls: batch.length, retryInMs: delay },
          'tool calls not recorded yet: writing them again',
        );
        // Closing: the journal keeps them for the next start.
        if (this.closed) {
          this.queue.splice(0, batch.length);
          this.settle(batch);
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    this.writing = null;
    // A record added after the loop saw an empty queue and before `writing` was cleared.
    if (this.queue.length > 0) this.writing = this.drain();
  }
}
