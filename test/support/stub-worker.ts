// The real workflow code (src/workflows) in a Worker on the run's Temporal dev server, with stub
// activities: plain functions that record each call and fail where a test says. For the paths a whole
// Bazaar reaches only slowly or not at all (timeouts, each step of a saga failing in turn).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { workflowsPath } from '../../src/temporal/worker.js';

/** One activity call as a stub saw it: its name and the input's ids. */
export interface StubCall {
  activity: string;
  input: Record<string, unknown>;
}

/** What a stub does for one workflow: the activities that fail (with this message), and answers. */
export interface StubScript {
  fail?: Record<string, string>;
  /**
   * What an activity returns (default undefined), e.g. checkVersion's problems; a function is
   * called with how many times that activity was called before for this key (0 the first time).
   */
  returns?: Record<string, unknown>;
}

/**
 * Starts a worker on a task queue of its own whose activities are stubs for `names`. Each workflow
 * is told apart by a key in its activities' input (installationId, else versionId, else listingId,
 * which `alias` can map to another key): `script(key, …)` says how its stubs behave, `calls(key)`
 * lists what they were asked, in order. Failures are non-retryable, so a saga compensates at once.
 */
export async function startStubWorker(names: string[]) {
  const taskQueue = `stub-${randomUUID()}`;
  const scripts = new Map<string, StubScript>();
  const recorded = new Map<string, StubCall[]>();
  const aliases = new Map<string, string>();
  const keyOf = (input: Record<string, unknown>) => {
    const id = String(input.installationId ?? input.versionId ?? input.listingId ?? input.endpointId);
    return aliases.get(id) ?? id;
  };

  const activities = Object.fromEntries(
    names.map((activity) => [
      activity,
      async (input: Record<string, unknown>) => {
        const key = keyOf(input);
        if (!recorded.has(key)) recorded.set(key, []);
        const calledBefore = recorded.get(key)!.filter((call) => call.activity === activity).length;
        recorded.get(key)!.push({ activity, input });
        const script = scripts.get(key) ?? {};
        const failure = script.fail?.[activity];
        if (failure !== undefined) throw ApplicationFailure.nonRetryable(failure, 'Injected');
        const answer = script.returns?.[activity];
        return typeof answer === 'function' ? (answer as (calls: number) => unknown)(calledBefore) : answer;
      },
    ]),
  );

  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath,
    activities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default' });

  return {
    client,
    taskQueue,
    /** Sets how the stubs behave for the workflow keyed `key`. */
    script(key: string, script: StubScript) {
      scripts.set(key, script);
    },
    /** Counts calls whose input names only `id` (e.g. a listing's) as calls for `key`. */
    alias(id: string, key: string) {
      aliases.set(id, key);
    },
    /** The activities called for `key`, in order, by name. */
    calls(key: string): string[] {
      return (recorded.get(key) ?? []).map((call) => call.activity);
    },
    /** The calls for `key` with their inputs. */
    callsWithInput(key: string): StubCall[] {
      return recorded.get(key) ?? [];
    },
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** A stub worker. */
export type StubWorker = Awaited<ReturnType<typeof startStubWorker>>;
