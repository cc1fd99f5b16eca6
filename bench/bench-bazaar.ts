// A whole Bazaar for benchmarks: its own Temporal dev server and fresh database (test-services.ts),
// and in this process the test Bazaar the tests use (test-bazaar.ts): worker, API app, helpers to
// call the API. stop() removes it all.
import { packDirectory } from '../test/support/artifacts.js';
import { publishThroughReview } from '../test/support/seed.js';
import { createTestBazaar } from '../test/support/test-bazaar.js';
import { startTestServices } from '../test/support/test-services.js';

/** Starts Bazaar for a benchmark; extra configuration comes as environment variables. */
export async function startBenchBazaar(env: Record<string, string> = {}) {
  const services = await startTestServices({ databasePrefix: 'bazaar_bench' });
  let bazaar;
  try {
    bazaar = await createTestBazaar({
      databaseUrl: services.databaseUrl,
      temporalAddress: services.temporalAddress,
      logLevel: 'warn',
      env,
    });
  } catch (error) {
    await services.stop();
    throw error;
  }
  const t = bazaar;

  /** Publishes version 1.0.0 of a listing through review (with the agent's code, when given); returns the publisher's token. */
  async function publish(input: { slug: string; manifest: Record<string, unknown>; agentDir?: string }) {
    const publisher = await t.createOrg(`publisher-${input.slug}`);
    await publishThroughReview(t, {
      publisherToken: publisher.token,
      reviewerToken: await t.createPlatformKey('reviewer'),
      listing: { slug: input.slug, name: input.slug, category: 'bench' },
      manifest: { version: '1.0.0', ...input.manifest },
      artifact: input.agentDir ? packDirectory(input.agentDir) : undefined,
    });
    return publisher.token;
  }

  return {
    ...t,
    publish,
    async stop() {
      await t.stop();
      await services.stop();
    },
  };
}

/** The p-th percentile of sorted numbers. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
