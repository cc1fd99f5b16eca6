import { describe, expect, it } from 'vitest';
import { FailureCounter } from '../../src/api/middleware/failure-counter.js';

/** A counter on a clock the test moves. */
function counter(maxKeys = 100) {
  const clock = { now: 1_000_000 };
  const failures = new FailureCounter({ maxFailures: 3, windowMs: 60_000, maxKeys, now: () => clock.now });
  return { failures, clock };
}

describe('FailureCounter', () => {
  it('allows the limit, then says how long until the window ends', () => {
    const { failures, clock } = counter();
    expect([1, 2, 3].map(() => failures.recordFailure('a'))).toEqual([null, null, null]);
    expect(failures.recordFailure('a')).toBe(60);
    clock.now += 45_500;
    expect(failures.recordFailure('a')).toBe(15);
  });

  it('counts each key apart, and starts afresh once the window is over', () => {
    const { failures, clock } = counter();
    for (let i = 0; i < 4; i++) failures.recordFailure('a');
    expect(failures.recordFailure('b')).toBeNull();
    clock.now += 60_000;
    expect(failures.recordFailure('a')).toBeNull();
  });

  it('holds at most maxKeys keys, forgetting ended windows first, then the oldest', () => {
    const { failures, clock } = counter(3);
    failures.recordFailure('old');
    clock.now += 30_000;
    failures.recordFailure('b');
    failures.recordFailure('c');
    clock.now += 30_000; // 'old' has ended
    failures.recordFailure('d');
    expect(failures.size).toBe(3);
    for (let i = 0; i < 3; i++) failures.recordFailure('b');
    failures.recordFailure('e'); // full: 'b', the oldest running window, is forgotten
    expect(failures.size).toBe(3);
    expect(failures.recordFailure('b')).toBeNull();
    for (let key = 0; key < 1000; key++) failures.recordFailure(`k${key}`);
    expect(failures.size).toBe(3);
  });
});
