// The services a whole Bazaar needs, started for one test run or one benchmark: a Temporal dev
// server (in memory, on a free port, with Bazaar's search attributes) and a fresh, migrated
// PostgreSQL database. No vitest imports: the global set-up and bench/ both use it.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.js';
import { freePort } from './free-port.js';

/** Where the pinned Temporal CLI is (scripts/setup.sh puts it there), unless TEMPORAL_CLI_PATH says. */
export const temporalCliPath = () =>
  process.env.TEMPORAL_CLI_PATH ?? join(homedir(), '.cache/bazaar/temporal-v1.5.1/temporal');

/** The PostgreSQL server's maintenance database, where fresh databases are created and dropped from. */
export const adminDatabaseUrl = () =>
  process.env.BAZAAR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Running services; stop() ends the dev server and drops the database. */
export interface TestServices {
  databaseUrl: string;
  temporalAddress: string;
  temporalCliPath: string;
  stop(): Promise<void>;
}

/** Starts a Temporal dev server and creates a migrated database named `<prefix>_<time>_<pid>`. */
export async function startTestServices(options: { databasePrefix: string }): Promise<TestServices> {
  const logger = createLogger('warn');
  const cliPath = temporalCliPath();
  const server = await startDevServer({ cliPath, port: await freePort(), namespace: 'default', logger });
  try {
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
  } catch (error) {
    await server.stop();
    throw error;
  }

  const adminUrl = new URL(adminDatabaseUrl());
  const databaseName = `${options.databasePrefix}_${Date.now()}_${process.pid}`;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const dropDatabase = async () => {
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  };
  try {
    await ensureDatabase(databaseUrl.toString());
    await migrate(databaseUrl.toString());
  } catch (error) {
    await server.stop();
    await dropDatabase().catch(() => undefined);
    throw error;
  }

  return {
    databaseUrl: databaseUrl.toString(),
    temporalAddress: server.address,
    temporalCliPath: cliPath,
    async stop() {
      await server.stop();
      await dropDatabase();
    },
  };
}
