// A whole Bazaar (API app, worker, real PostgreSQL, real Temporal) in the test process, on the run's
// services (the global set-up's dev server and database), with helpers to call the API as different
// principals. The Bazaar itself is createTestBazaar's, which benchmarks use too.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createOwnDatabase } from './own-database.js';
import { createTestBazaar, type TestBazaarOptions } from './test-bazaar.js';

/** Options for one harness. */
export interface HarnessOptions extends Omit<TestBazaarOptions, 'databaseUrl' | 'temporalAddress'> {
  /** Use a database of its own (created, migrated, dropped at stop) instead of the run's shared one. */
  ownDatabase?: boolean;
}

/** Starts a harness; call stop() in afterAll. */
export async function startHarness(options: HarnessOptions = {}) {
  const { ownDatabase: wantsOwnDatabase, ...rest } = options;
  const ownDatabase = wantsOwnDatabase ? await createOwnDatabase() : null;
  let bazaar;
  try {
    bazaar = await createTestBazaar({
      ...rest,
      databaseUrl: ownDatabase?.url ?? inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
    });
  } catch (error) {
    await ownDatabase?.drop();
    throw error;
  }
  return {
    ...bazaar,
    async stop() {
      await bazaar.stop();
      await ownDatabase?.drop();
    },
  };
}

/** The harness type. */
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** A valid manifest for tests, with overrides. */
export function manifest(overrides: Record<string, unknown> = {}) {
  return {
    version: '1.0.0',
    description: 'Checks refund requests against the store policy',
    pricing: { model: 'usage_based', pricePerInvocation: 0.02 },
    requiredCredentials: [{ name: 'SHOP_API_KEY', description: 'read orders' }],
    runtime: { kind: 'process', command: ['node', 'main.js'] },
    ...overrides,
  };
}

/** A listing body with a unique slug. */
export function listingBody(overrides: Record<string, unknown> = {}) {
  return {
    slug: `agent-${randomUUID().slice(0, 8)}`,
    name: 'Refund helper',
    category: 'support',
    tags: ['returns'],
    ...overrides,
  };
}
