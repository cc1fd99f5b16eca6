import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ToolCallRecord } from '../domain/gateway/tool-calls.js';

/** A journal file rotates once it holds this much; it is removed once every record in it is written. */
const SEGMENT_BYTES = 1024 * 1024;
/** Slots one directory offers to processes that share it (each takes the first free one). */
const MAX_SLOTS = 64;

/** One journal file and how many of its records are not written to PostgreSQL yet. */
interface Segment {
  path: string;
  fd: number;
  bytes: number;
  unwritten: number;
}

/**
 * The gateway's local, append-only journal of call records: a record is appended (one synchronous
 * write, before the call is answered) and, once its batch is committed to PostgreSQL, forgotten.
 * A gateway process killed in between finds its records again at start (unwritten()) and writes
 * them then; they carry their call ids, so one already written counts once. The kernel holds what
 * was written, so a killed process loses nothing; a machine that crashes before its page cache
 * reaches the disk may lose the last seconds (no fsync: that would cost the latency it saves).
 *
 * Files rotate at 1 MiB and each is removed once all its records are written, so the journal stays
 * small. Processes sharing a directory each take a slot of their own (`<dir>/<n>/`, locked by pid
 * and the process's start time); the slots whose owners are gone are taken over, and replayed, by
 * the next process to start.
 */
export class CallJournal {
  private current: Segment;
  private readonly segments = new Set<Segment>();
  private readonly segmentOf = new Map<string, Segment>();
  private replay: ToolCallRecord[];
  private nextNumber: number;

  private constructor(
    private readonly slotDir: string,
    /** The slots this process holds: its own (the first) and those of gone processes it took over. */
    private readonly lockPaths: string[],
  ) {
    // A call journaled twice (a stream's usage ahead of its end, then its end): its last line counts.
    const latest = new Map<string, ToolCallRecord>();
    const found: Segment[] = [];
    let ownLast = 0;
    for (const lockPath of lockPaths) {
      const dir = join(lockPath, '..');
      const names = readdirSync(dir).filter((name) => /^\d+\.jsonl$/.test(name));
      names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
      if (dir === slotDir && names.length > 0) ownLast = parseInt(names.at(-1)!, 10);
      for (const name of names) {
        const segment: Segment = { path: join(dir, name), fd: -1, bytes: 0, unwritten: 0 };
        found.push(segment);
        for (const record of readRecords(segment.path)) {
          this.track(record.callId, segment);
          latest.set(record.callId, record);
        }
      }
    }
    for (const segment of found) {
      if (segment.unwritten === 0) unlinkSync(segment.path);
      else this.segments.add(segment);
    }
    this.replay = [...latest.values()];
    this.nextNumber = ownLast + 1;
    this.current = this.openSegment();
  }

  /**
   * Opens the journal in `dir`: this process writes in the first slot no live process holds, and
   * takes over (to replay them) the other slots whose owners are gone.
   */
  static open(dir: string): CallJournal {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const me = processIdentity(process.pid);
    if (!me) throw new Error('the gateway journal needs /proc to tell live processes from gone ones');
    const held: string[] = [];
    for (let slot = 0; slot < MAX_SLOTS; slot++) {
      const slotDir = join(dir, String(slot));
      // Past the first free slot, only existing ones may hold a gone process's records.
      if (held.length > 0 && !existsSync(slotDir)) continue;
      mkdirSync(slotDir, { recursive: true, mode: 0o700 });
      const lockPath = join(slotDir, 'owner');
      if (takeLock(lockPath, me)) held.push(lockPath);
    }
    if (held.length === 0)
      throw new Error(
        `every one of the ${MAX_SLOTS} gateway journal slots in ${dir} is held by a live process`,
      );
    return new CallJournal(join(held[0]!, '..'), held);
  }

  /** The records processes that held these slots before journaled and may not have written. */
  unwritten(): ToolCallRecord[] {
    return this.replay.splice(0);
  }

  /**
   * Appends one record, synchronously: once this returns, a killed process no longer loses it. A
   * record appended again under the same call id replaces the earlier one.
   */
  append(record: ToolCallRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    writeSync(this.current.fd, line);
    this.current.bytes += line.length; // characters: close enough to bytes to decide when to rotate
    const earlier = this.track(record.callId, this.current);
    if (earlier && earlier.unwritten === 0 && earlier !== this.current) this.remove(earlier);
    if (this.current.bytes >= SEGMENT_BYTES) this.current = this.openSegment();
  }

  /** Counts a call's record in the file holding its last line, no longer in the one before; returns that one. */
  private track(callId: string, segment: Segment): Segment | undefined {
    const earlier = this.segmentOf.get(callId);
    if (earlier) earlier.unwritten--;
    segment.unwritten++;
    this.segmentOf.set(callId, segment);
    return earlier;
  }

  /** Forgets records committed to PostgreSQL; a file they complete is removed. */
  written(records: readonly ToolCallRecord[]): void {
    for (const record of records) {
      const segment = this.segmentOf.get(record.callId);
      if (!segment) continue;
      this.segmentOf.delete(record.callId);
      if (--segment.unwritten === 0 && segment !== this.current) this.remove(segment);
    }
  }

  /** Closes the journal: the files all written go, the others stay for the next start; the slots are freed. */
  close(): void {
    for (const segment of this.segments) if (segment.unwritten === 0) this.remove(segment);
    for (const segment of this.segments) if (segment.fd >= 0) closeSync(segment.fd);
    for (const lockPath of this.lockPaths) unlinkSync(lockPath);
  }

  private openSegment(): Segment {
    const path = join(this.slotDir, `${this.nextNumber++}.jsonl`);
    const segment: Segment = { path, fd: openSync(path, 'a', 0o600), bytes: 0, unwritten: 0 };
    this.segments.add(segment);
    return segment;
  }

  private remove(segment: Segment): void {
    if (segment.fd >= 0) closeSync(segment.fd);
    segment.fd = -1;
    unlinkSync(segment.path);
    this.segments.delete(segment);
  }
}

/** The records of one journal file; a line torn by a kill in the middle of its write is skipped. */
function readRecords(path: string): ToolCallRecord[] {
  const records: ToolCallRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    try {
      const record = JSON.parse(line) as ToolCallRecord;
      if (typeof record.callId === 'string') records.push(record);
    } catch {
      // Torn: the process died writing it, before the call it records was answered.
    }
  }
  return records;
}

/**
 * Takes the slot's lock when it is free or its owner is gone: `pid start-time`, so a pid reused by
 * another process (a container restarted in the same pod starts at pid 1 again) is not taken for it.
 */
function takeLock(lockPath: string, me: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: string;
    try {
      owner = readFileSync(lockPath, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    const [pid] = owner.split(' ');
    if (processIdentity(Number(pid)) === owner) return false;
    try {
      unlinkSync(lockPath);
    } catch {
      // Another process took the stale lock away first; the next attempt tells who holds it now.
    }
  }
  return false;
}

/** `pid start-time` of a live process (start time in clock ticks since boot, from /proc), or null. */
function processIdentity(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${pid} ${fields[19]}`;
  } catch {
    return null;
  }
}
