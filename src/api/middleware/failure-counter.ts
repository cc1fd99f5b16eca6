/** Options of a FailureCounter. */
export interface FailureCounterOptions {
  /** Failures a key may have per window; the next ones are over the limit. */
  maxFailures: number;
  windowMs: number;
  /** Keys held at most: past it, the oldest windows are forgotten. */
  maxKeys: number;
  now?: () => number;
}

/** Counts failures per key (a client address) in fixed windows, in bounded memory. */
export class FailureCounter {
  readonly #windows = new Map<string, { startedAt: number; failures: number }>();
  readonly #now: () => number;

  constructor(private readonly options: FailureCounterOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Counts one failure of `key`: the seconds until its window ends when it is over the limit, else null. */
  recordFailure(key: string): number | null {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      this.#windows.delete(key);
      this.#makeRoom(now);
      window = { startedAt: now, failures: 0 };
      this.#windows.set(key, window);
    }
    window.failures += 1;
    if (window.failures <= this.options.maxFailures) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.options.windowMs - now) / 1000));
  }

  /** How many keys are held now. */
  get size(): number {
    return this.#windows.size;
  }

  // A window is (re-)inserted when it starts, so the Map iterates oldest first: drop the ended
  // windows, then, while full, the oldest running ones.
  #makeRoom(now: number): void {
    for (const [key, window] of this.#windows) {
      const ended = now - window.startedAt >= this.options.windowMs;
      if (!ended && this.#windows.size < this.options.maxKeys) return;
      this.#windows.delete(key);
    }
  }
}
