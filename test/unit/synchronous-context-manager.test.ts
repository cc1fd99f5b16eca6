import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { SynchronousContextManager } from '../../src/observability/synchronous-context-manager.js';

const key = createContextKey('request');
const named = (name: string) => ROOT_CONTEXT.setValue(key, name);

describe('SynchronousContextManager', () => {
  it('keeps a context active within with(), nested, and restores the outer one after', () => {
    const manager = new SynchronousContextManager();
    const seen: unknown[] = [];
    manager.with(named('outer'), () => {
      seen.push(manager.active().getValue(key));
      manager.with(named('inner'), () => seen.push(manager.active().getValue(key)));
      seen.push(manager.active().getValue(key));
    });
    expect(seen).toEqual(['outer', 'inner', 'outer']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('restores the outer context when the function throws', () => {
    const manager = new SynchronousContextManager();
    expect(() =>
      manager.with(named('failing'), () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('ends a context at the first await, so two interleaved requests never see each other’s', async () => {
    const manager = new SynchronousContextManager();
    const request = (name: string) =>
      manager.with(named(name), async () => {
        const before = manager.active().getValue(key);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return [before, manager.active().getValue(key)];
      });
    expect(await Promise.all([request('a'), request('b')])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
  });

  it('runs a bound function in its context, with its arguments and this', () => {
    const manager = new SynchronousContextManager();
    const target = {
      label: 'target',
      read(this: { label: string }, suffix: string) {
        return `${this.label} ${String(manager.active().getValue(key))} ${suffix}`;
      },
    };
    const bound = manager.bind(named('bound'), target.read);
    expect(bound.call(target, '!')).toBe('target bound !');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });
});
