// Usage ingestion: events per second recorded with 10% duplicates, over the API (publishers'
// reports through the batching meter) and straight into PostgreSQL (the same insert, no HTTP), and a
// check that nothing was counted twice. Run: npx tsx bench/metering.bench.ts [--events=200000]
// [--batch=500] [--clients=8] [--installations=20]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { insertUsageEvents, type UsageEvent } from '../src/domain/metering/usage-events.js';
import { seedActiveInstallations, seedOrgs } from '../test/support/seed.js';
import { startBenchBazaar } from './bench-bazaar.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    clients: { type: 'string', default: '8' },
    installations: { type: 'string', default: '20' },
  },
});
const total = Number(values.events);
const batchSize = Number(values.batch);
const clients = Number(values.clients);

/** Event ids where every tenth repeats an earlier one, as retries would. */
function idsWithDuplicates(prefix: string, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(i % 10 === 9 ? ids[Math.floor(Math.random() * ids.length)]! : `${prefix}-${i}`);
  }
  return ids;
}

/** Runs `work` over the batches with `clients` concurrent workers; returns the seconds it took. */
async function timed<T>(batches: T[], work: (batch: T) => Promise<void>): Promise<number> {
  let next = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < batches.length) await work(batches[next++]!);
    }),
  );
  return (performance.now() - begin) / 1000;
}

const chunk = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / batchSize) }, (_, i) =>
    items.slice(i * batchSize, (i + 1) * batchSize),
  );

const bench = await startBenchBazaar();
try {
  const manifest = {
    ...(await import('../agents/echo/manifest.json', { with: { type: 'json' } })).default,
    runtime: { kind: 'remote', endpoint: 'https://agent.example/run' },
    requiredCredentials: [],
    pricing: { model: 'usage_based', pricePerInvocation: 0.002, pricePer1kTokens: 0.01 },
  };
  const publisherToken = await bench.publish({ slug: 'metered', manifest });
  const { rows: listing } = await bench.db.query(
    `SELECT l.id, v.id AS version_id FROM listings l JOIN listing_versions v ON v.listing_id = l.id
     WHERE l.slug = 'metered'`,
  );
  // Consumers' installations made directly (a remote agent needs no runtime here), each with its open meter.
  const consumers = await seedOrgs(bench.db, {
    count: Number(values.installations),
    namePrefix: 'consumer-',
  });
  const installationIds = await seedActiveInstallations(
    bench.db,
    consumers.map((orgId) => ({
      orgId,
      listing: { id: listing[0].id, versionId: listing[0].version_id },
      pricing: manifest.pricing,
    })),
  );

  // Over the API: publishers' reports, batched across concurrent requests by the meter.
  const apiIds = idsWithDuplicates('api', total);
  const apiEvents = apiIds.map((id, i) => ({
    id,
    installationId: installationIds[i % installationIds.length]!,
    tokensIn: 120,
    tokensOut: 80,
  }));
  // A duplicate must name the same installation as its original to be the same event.
  const firstInstallation = new Map<string, string>();
  for (const event of apiEvents) {
    const first = firstInstallation.get(event.id);
    if (first) event.installationId = first;
    else firstInstallation.set(event.id, event.installationId);
  }
  let accepted = 0;
  let duplicates = 0;
  const apiSeconds = await timed(chunk(apiEvents), async (events) => {
    const answer = await bench.call('POST', '/v1/usage-events', { token: publisherToken, body: { events } });
    accepted += answer.accepted;
    duplicates += answer.duplicates;
  });

  // Straight into PostgreSQL: the same insert the meter uses, without HTTP and validation.
  const directIds = idsWithDuplicates(`direct-${randomUUID()}`, total);
  const { rows: meters } = await bench.db.query(
    `SELECT installation_id, org_id, listing_id FROM usage_meters WHERE installation_id = ANY($1)`,
    [installationIds],
  );
  const directEvents: UsageEvent[] = directIds.map((id, i) => {
    const meter = meters[i % meters.length];
    return {
      eventId: `publisher:${meter.listing_id}:${id}`,
      orgId: meter.org_id,
      installationId: meter.installation_id,
      listingId: meter.listing_id,
      executionId: null,
      invocations: 1,
      tokensIn: 120,
      tokensOut: 80,
      durationMs: 0,
      cost: '0.004',
      currency: 'usd',
      occurredAt: new Date(),
      source: 'publisher',
    };
  });
  let directNew = 0;
  const directSeconds = await timed(chunk(directEvents), async (events) => {
    const fresh = await insertUsageEvents(bench.db, events);
    directNew += fresh.size;
  });

  const { rows: check } = await bench.db.query(
    `SELECT (SELECT count(*)::int FROM usage_events) AS events,
            (SELECT sum(events)::int FROM usage_monthly) AS aggregated,
            (SELECT sum(cost)::text FROM usage_events) AS raw_cost,
            (SELECT sum(cost)::text FROM usage_monthly) AS aggregated_cost`,
  );
  const distinctApi = new Set(apiIds).size;
  const distinctDirect = new Set(directIds).size;
  console.log(
    JSON.stringify(
      {
        eventsSentEach: total,
        batch: batchSize,
        clients,
        api: {
          eventsPerSecond: Math.round(total / apiSeconds),
          seconds: Number(apiSeconds.toFixed(2)),
          accepted,
          duplicates,
          distinct: distinctApi,
        },
        direct: {
          eventsPerSecond: Math.round(total / directSeconds),
          seconds: Number(directSeconds.toFixed(2)),
          recorded: directNew,
          distinct: distinctDirect,
        },
        doubleCounts: check[0].events - (distinctApi + distinctDirect),
        aggregatesMatchEvents:
          check[0].aggregated === check[0].events && check[0].raw_cost === check[0].aggregated_cost,
      },
      null,
      2,
    ),
  );
} finally {
  await bench.stop();
}
