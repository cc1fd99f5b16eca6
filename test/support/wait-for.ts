import { setTimeout as sleep } from 'node:timers/promises';

/** Polls check() until it returns a truthy value, failing after timeoutMs with the last value seen. */
export async function waitFor<T>(
  check: () => Promise<T>,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
