import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * An OpenTelemetry context manager that keeps a context active only for the synchronous part of
 * `with()`: it uses no async_hooks. On Node 20, AsyncLocalStorage (what the usual manager is built
 * on) runs a hook for every promise the whole process creates once it is first used. The price:
 * after an `await` the active context is the root again, so code that needs a request's context
 * later is handed it (the API keeps each request's in Hono's context: see
 * src/api/middleware/trace-requests.ts). For processes that run no worker (see startTracing).
 */
export class SynchronousContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  // A bound function runs in the context when called; an event emitter is returned as it is.
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (thisArg: unknown, args: unknown[]) =>
      this.with(context, () => (target as (...a: unknown[]) => unknown).apply(thisArg, args));
    return function bound(this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
